// FoPE: Fourier Position Embedding (Hua et al. 2024, arXiv 2412.17739).
//
// Each RoPE dimension becomes a Fourier series over several frequencies, and frequencies
// whose period exceeds the training length are zeroed. For head dim D (half layout, pairs
// (n, n + D/2)), position t and head h:
//
//   candidates  w_k = theta^(-2k/dim), k < dim/2,  dim = fourier_dim if > D else D
//   floor       w_k <- 0 if w_k < 2 pi / L_train * floor_freq_ratio      (strict <)
//   basis       Omega = the nonzero w_k (ignore_zero), M = |Omega|, N = min(M, D/4)
//               (without ignore_zero: Omega = all w_k, M = dim/2, N = D/2)
//   series      FS_h(t)[n] = sum_m sin(Omega_m t) C_sin[h, m, n]      n < N
//               FC_h(t)[n] = sum_m cos(Omega_m t) C_cos[h, m, n]
//   pad         FS[n] = FC[n] = 1 for N <= n < D/2   (reference; fope_padding::identity: FC 1, FS 0)
//   apply       x'_n = x_n FC_n - x_(n+D/2) FS_n,   x'_(n+D/2) = x_(n+D/2) FC_n + x_n FS_n
//
// FC and FS are not a unit rotation, so q'.k' is no longer a function of t_q - t_k only; the
// apply step has the shape of a rotation, so it runs on the rope kernels (kernels/dispatch.hpp)
// with per-head cos/sin rows. The reference pad value 1 multiplies each padded pair by (1 + i):
// (a, b) -> (a - b, b + a), position-independent, doubling those slots' share of q.k; the
// identity option (cos 1, sin 0) is the "zero frequency" reading of the paper's prose.
// Matches yiju-zhao/Fourier-Position-Embedding (author Hua-rookie) olmo/model.py:
// RotaryEmbedding.get_inv_freq with rope_clamp_floor_freq + rope_clamp_floor_to_zero,
// FourierEmbedding (fourier_separate_basis, fourier_separate_head, fourier_ignore_zero, the
// F.pad value 1) and reset_parameters' eye_xavier_norm (spec/encodings.md §11, P15). Differences:
// frequencies and phases in double with exact phase reduction (math/angles.hpp) where the
// reference uses float32 (a float32 angle is ~1e-4 off at t = 2048); the seeded initialiser
// draws the same distribution as torch but not torch's random stream.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../concepts.hpp"
#include "../kernels/dispatch.hpp"
#include "../math/angles.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// What the non-Fourier slots n in [N, D/2) get.
enum class fope_padding : std::uint8_t {
  reference_one,  ///< FC = FS = 1, a fixed (1 + i) multiply: what the FoPE code does (F.pad value 1)
  identity,       ///< FC = 1, FS = 0: the slots pass through unchanged
};

/// Parameters of a FoPE encoder (names of the FoPE code's OLMo config in the comments).
struct fope_config {
  std::int64_t head_dim = 0;              ///< D, even
  std::int64_t heads = 1;                 ///< coefficient heads (n_heads) when separate_heads
  double theta = 10000.0;                 ///< rope_theta
  std::int64_t max_sequence_length = 0;   ///< L_train for the floor 2 pi / L; 0: no floor clipping
  double floor_freq_ratio = 1.0;          ///< rope_floor_freq_ratio
  std::int64_t fourier_dim = 0;           ///< candidate dim when > head_dim (fourier_dim)
  bool ignore_zero = true;                ///< drop zeroed frequencies (fourier_ignore_zero)
  bool separate_heads = true;             ///< coefficients [heads, M, N], else [M, N] (fourier_separate_head)
  fope_padding padding = fope_padding::reference_one;
  std::int64_t max_positions = 0;         ///< cached series rows (positions 0..max_positions-1)
};

/// FoPE coefficients: sin then cos matrices, each [heads, M, N] row-major (heads = 1 when shared).
/// For the code's fourier_separate_basis = false, pass the one matrix as both.
struct fope_coefficients {
  std::int64_t heads = 1;
  std::int64_t inputs = 0;   ///< M
  std::int64_t outputs = 0;  ///< N
  std::vector<float> sin;
  std::vector<float> cos;
};

/// The Fourier basis a configuration implies: Omega (M frequencies, in double) and N.
struct fope_basis {
  std::vector<double> frequencies;  ///< Omega, decreasing
  std::int64_t outputs = 0;         ///< N
};

/// A FoPE encoder (models RotaryEncoder). Immutable once made: const calls are thread-safe.
class fope {
 public:
  using config_type = fope_config;
  static constexpr encoder_family family = encoder_family::rotary;
  /// Largest head_dim make() accepts (the per-token series lives on the stack).
  static constexpr std::int64_t max_head_dim = 2048;
  /// Largest coefficient head count make() accepts.
  static constexpr std::int64_t max_heads = std::int64_t{1} << 16;
  /// Largest M (Fourier inputs) make() accepts.
  static constexpr std::int64_t max_inputs = 1024;
  /// Largest cached series, in floats (4 GiB).
  static constexpr std::int64_t max_table_floats = std::int64_t{1} << 30;

  /// Validates the configuration and returns its basis (Steps 1-2 of spec/encodings.md §11).
  [[nodiscard]] static result<fope_basis> basis(const fope_config& cfg) noexcept {
    const std::int64_t d = cfg.head_dim;
    if (d <= 0 || d % 2 != 0 || d > max_head_dim) {
      return make_error(errc::invalid_argument, "fope: head_dim must be even and in [2, ",
                        max_head_dim, "], got ", d);
    }
    if (cfg.separate_heads && (cfg.heads <= 0 || cfg.heads > max_heads)) {
      return make_error(errc::invalid_argument, "fope: heads must be in [1, ", max_heads, "], got ",
                        cfg.heads);
    }
    if (!std::isfinite(cfg.theta) || cfg.theta <= 0.0) {
      return make_error(errc::invalid_argument, "fope: rope_theta must be a finite positive number, got ",
                        cfg.theta);
    }
    if (cfg.max_sequence_length < 0) {
      return make_error(errc::invalid_argument, "fope: max_sequence_length must be >= 0, got ",
                        cfg.max_sequence_length);
    }
    if (!std::isfinite(cfg.floor_freq_ratio) || cfg.floor_freq_ratio <= 0.0) {
      return make_error(errc::invalid_argument, "fope: rope_floor_freq_ratio must be positive, got ",
                        cfg.floor_freq_ratio);
    }
    const std::int64_t dim = cfg.fourier_dim > d ? cfg.fourier_dim : d;
    if (dim % 2 != 0 || dim > (std::int64_t{1} << 21)) {
      return make_error(errc::invalid_argument, "fope: fourier_dim must be even and at most 2^21, got ",
                        cfg.fourier_dim);
    }
    const double floor = cfg.max_sequence_length > 0
                             ? 2.0 * std::numbers::pi / static_cast<double>(cfg.max_sequence_length) *
                                   cfg.floor_freq_ratio
                             : 0.0;
    fope_basis b;
    for (std::int64_t k = 0; k < dim / 2; ++k) {
      double w = std::pow(cfg.theta, -2.0 * static_cast<double>(k) / static_cast<double>(dim));
      if (w < floor) w = 0.0;
      if (w != 0.0 || !cfg.ignore_zero) b.frequencies.push_back(w);
    }
    const auto m = static_cast<std::int64_t>(b.frequencies.size());
    if (m > max_inputs) {
      return make_error(errc::invalid_argument, "fope: ", m, " Fourier inputs exceed the limit ",
                        max_inputs);
    }
    b.outputs = cfg.ignore_zero ? std::min(m, d / 4) : d / 2;
    return b;
  }

  /// Coefficients as the reference's eye_xavier_norm: xavier-normal noise (gain `gain`; 3-D fan
  /// rule for [heads, M, N]) plus the identity (M == N) or step-eye (E[n*ceil(M/N), n] = 1),
  /// from a seeded generator (same distribution as torch, not its random stream). gain 0: "eye".
  [[nodiscard]] static result<fope_coefficients> init_coefficients(const fope_config& cfg,
                                                                   std::uint64_t seed,
                                                                   double gain = 0.3) noexcept {
    auto b = basis(cfg);
    if (!b) return b.error();
    if (!std::isfinite(gain) || gain < 0.0) {
      return make_error(errc::invalid_argument, "fope: init gain must be finite and >= 0, got ", gain);
    }
    fope_coefficients c;
    c.heads = cfg.separate_heads ? cfg.heads : 1;
    c.inputs = static_cast<std::int64_t>(b->frequencies.size());
    c.outputs = b->outputs;
    const double m = static_cast<double>(c.inputs), n = static_cast<double>(c.outputs);
    const double h = static_cast<double>(c.heads);
    // torch's fans: 3-D [H, M, N] -> fan_in = M N, fan_out = H N; 2-D [M, N] -> N and M.
    const double fans = cfg.separate_heads ? m * n + h * n : m + n;
    const double std_dev = fans > 0.0 ? gain * std::sqrt(2.0 / fans) : 0.0;
    std::mt19937_64 gen(seed);
    const std::size_t size = static_cast<std::size_t>(c.heads * c.inputs * c.outputs);
    for (auto* w : {&c.sin, &c.cos}) {
      w->resize(size);
      for (auto& e : *w) e = static_cast<float>(std_dev * standard_normal(gen));
      const std::int64_t step = c.outputs > 0 ? (c.inputs + c.outputs - 1) / c.outputs : 1;
      for (std::int64_t hh = 0; hh < c.heads; ++hh) {
        for (std::int64_t j = 0; j < c.outputs && j * step < c.inputs; ++j) {
          (*w)[static_cast<std::size_t>((hh * c.inputs + j * step) * c.outputs + j)] += 1.0f;
        }
      }
    }
    return c;
  }

  /// Validates the configuration and the coefficients and builds the optional series cache.
  [[nodiscard]] static result<fope> make(const fope_config& cfg, fope_coefficients coef) noexcept {
    auto b = basis(cfg);
    if (!b) return b.error();
    const std::int64_t heads = cfg.separate_heads ? cfg.heads : 1;
    const auto m = static_cast<std::int64_t>(b->frequencies.size());
    if (coef.heads != heads || coef.inputs != m || coef.outputs != b->outputs) {
      return make_error(errc::shape_mismatch, "fope: coefficients have shape [", coef.heads, ", ",
                        coef.inputs, ", ", coef.outputs, "], the config needs [", heads, ", ", m,
                        ", ", b->outputs, "] (heads, M, N)");
    }
    const auto size = static_cast<std::size_t>(heads * m * b->outputs);
    if (coef.sin.size() != size || coef.cos.size() != size) {
      return make_error(errc::shape_mismatch, "fope: coefficient arrays hold ", coef.sin.size(),
                        " and ", coef.cos.size(), " values, expected ", size);
    }
    for (const auto* w : {&coef.sin, &coef.cos}) {
      for (float e : *w) {
        if (!std::isfinite(e)) {
          return make_error(errc::invalid_argument, "fope: coefficients must be finite, got ", e);
        }
      }
    }
    if (cfg.max_positions < 0 || cfg.max_positions > max_table_floats / (heads * cfg.head_dim)) {
      return make_error(errc::invalid_argument, "fope: max_positions must be in [0, ",
                        max_table_floats / (heads * cfg.head_dim), "], got ", cfg.max_positions);
    }
    fope f(cfg, std::move(*b), std::move(coef));
    std::vector<float> table(static_cast<std::size_t>(cfg.max_positions * heads * cfg.head_dim));
    f.cfg_.max_positions = 0;  // series() computes until the table is complete
    for (std::int64_t p = 0; p < cfg.max_positions; ++p) {
      for (std::int64_t h = 0; h < heads; ++h) {
        float* row = table.data() + (p * heads + h) * cfg.head_dim;
        f.series(p, h, row, row + cfg.head_dim / 2);
      }
    }
    f.table_ = std::move(table);
    f.cfg_.max_positions = cfg.max_positions;
    return f;
  }

  /// The configuration it was made from.
  const fope_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "fope".
  static constexpr std::string_view name() noexcept { return "fope"; }
  /// Omega: the M Fourier input frequencies, in double.
  std::span<const double> frequencies() const noexcept { return basis_.frequencies; }
  /// M, the Fourier inputs per slot.
  std::int64_t inputs() const noexcept { return static_cast<std::int64_t>(basis_.frequencies.size()); }
  /// N, the Fourier slots; slots [N, head_dim/2) are padding.
  std::int64_t outputs() const noexcept { return basis_.outputs; }
  /// Heads with their own coefficients (1 when shared).
  std::int64_t coefficient_heads() const noexcept { return coef_.heads; }
  /// The coefficients it was made with (sin, then cos).
  const fope_coefficients& coefficients() const noexcept { return coef_; }

  /// FC_h(p) and FS_h(p) padded to head_dim/2 values each (h < coefficient_heads()).
  void series(std::int64_t p, std::int64_t h, float* fc, float* fs) const noexcept {
    if (p >= 0 && p < cfg_.max_positions) {
      const float* row = table_.data() + (p * coef_.heads + h) * cfg_.head_dim;
      std::copy_n(row, cfg_.head_dim / 2, fc);
      std::copy_n(row + cfg_.head_dim / 2, cfg_.head_dim / 2, fs);
    } else {
      float c[max_inputs], s[max_inputs];
      math::fill_cos_sin(p, basis_.frequencies, 1.0, c, s);
      series_from(c, s, h, fc, fs);
    }
  }

  /// Applies FoPE in place to x [tokens, heads, head_dim], token t at positions[t].
  [[nodiscard]] status rotate(view3<float> x, positions_span positions) const noexcept {
    POSENC_TRY(check(x, positions, "x"));
    apply(positions, x, view3<float>{});
    return {};
  }

  /// Applies FoPE to q and k in place in one pass (shared series). With per-head coefficients
  /// both need coefficient_heads() heads; shared coefficients allow any head counts (GQA).
  [[nodiscard]] status rotate(view3<float> q, view3<float> k,
                              positions_span positions) const noexcept {
    POSENC_TRY(check(q, positions, "q"));
    POSENC_TRY(check(k, positions, "k"));
    POSENC_TRY(check_disjoint("fope", "q", q, "k", k));
    apply(positions, q, k);
    return {};
  }

 private:
  fope(fope_config cfg, fope_basis b, fope_coefficients c)
      : cfg_(std::move(cfg)), basis_(std::move(b)), coef_(std::move(c)) {}

  // A standard normal from two uniform draws (Box-Muller), identical on every standard library.
  static double standard_normal(std::mt19937_64& gen) noexcept {
    const double u1 = (static_cast<double>(gen() >> 11) + 1.0) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(gen() >> 11) * 0x1p-53;          // [0, 1)
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  // FC_h, FS_h from c = cos(Omega p), s = sin(Omega p) (exact, math/angles.hpp): the
  // coefficient products, then the padding.
  void series_from(const float* c, const float* s, std::int64_t h, float* fc, float* fs) const noexcept {
    const std::int64_t m = inputs(), n = outputs(), half = cfg_.head_dim / 2;
    using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    if (n > 0) {
      const std::int64_t off = h * m * n;
      Eigen::Map<const row_major> cs(coef_.sin.data() + off, m, n), cc(coef_.cos.data() + off, m, n);
      Eigen::Map<Eigen::RowVectorXf>(fs, n).noalias() = Eigen::Map<const Eigen::RowVectorXf>(s, m) * cs;
      Eigen::Map<Eigen::RowVectorXf>(fc, n).noalias() = Eigen::Map<const Eigen::RowVectorXf>(c, m) * cc;
    }
    const float pad_sin = cfg_.padding == fope_padding::reference_one ? 1.0f : 0.0f;
    std::fill(fc + n, fc + half, 1.0f);
    std::fill(fs + n, fs + half, pad_sin);
  }

  status check(const view3<float>& x, positions_span positions, std::string_view what) const noexcept {
    POSENC_TRY(validate(x, what));
    if (x.n2 != cfg_.head_dim) {
      return make_error(errc::shape_mismatch, "fope: ", what, " has head_dim ", x.n2,
                        ", the encoder was made for ", cfg_.head_dim);
    }
    if (coef_.heads > 1 && x.n1 != coef_.heads && x.n0 > 0) {
      return make_error(errc::shape_mismatch, "fope: ", what, " has ", x.n1,
                        " heads but the coefficients are per head for ", coef_.heads);
    }
    if (static_cast<std::int64_t>(positions.size()) != x.n0) {
      return make_error(errc::shape_mismatch, "fope: ", positions.size(), " positions for ",
                        x.n0, " tokens of ", what);
    }
    for (std::int64_t p : positions) {
      if (p <= -math::max_exact_position || p >= math::max_exact_position) {
        return make_error(errc::out_of_range, "fope: position ", p,
                          " is outside (-2^53, 2^53), where angles are exact");
      }
    }
    return {};
  }

  // The rope kernels do x' = x fc - rot(x) fs pairwise for any fc, fs; one call per coefficient
  // head (per-head series) or one per token (shared series, all heads at once).
  void apply(positions_span positions, const view3<float>& q, const view3<float>& k) const noexcept {
    const auto kt = kernels::rotate_kernels<float>();
    const std::int64_t half = cfg_.head_dim / 2;
    float fc[max_head_dim / 2], fs[max_head_dim / 2];
    float c[max_inputs], s[max_inputs];
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const auto t = static_cast<std::int64_t>(i);
      const std::int64_t p = positions[i];
      const bool cached = p >= 0 && p < cfg_.max_positions;
      // The M sines and cosines once per token, shared by every head's series.
      if (!cached) math::fill_cos_sin(p, basis_.frequencies, 1.0, c, s);
      for (std::int64_t h = 0; h < coef_.heads; ++h) {
        if (cached) {
          series(p, h, fc, fs);
        } else {
          series_from(c, s, h, fc, fs);
        }
        const bool shared = coef_.heads == 1;
        const kernels::row_block<float> a{q.n1 > 0 ? q.row(t, h) : nullptr, shared ? q.n1 : 1, q.s1};
        const kernels::row_block<float> b{k.n1 > 0 && k.data ? k.row(t, h) : nullptr,
                                          k.data ? (shared ? k.n1 : 1) : 0, k.s1};
        kt.half(a, b, half, fc, fs, half);
      }
    }
  }

  fope_config cfg_;
  fope_basis basis_;
  fope_coefficients coef_;
  std::vector<float> table_;  // [max_positions, heads, (FC | FS)], head_dim floats per row
};

}  // namespace posenc
