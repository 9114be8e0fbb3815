// Sinusoidal absolute position encoding (Vaswani et al., "Attention Is All You Need",
// arXiv 1706.03762), n = d/2 frequencies w_i:
//
//     interleaved (default):  PE(p, 2i) = sin(p w_i),   PE(p, 2i+1) = cos(p w_i)
//     concat:                 PE(p, i)  = sin(p w_i),   PE(p, n+i)  = cos(p w_i)
//
//     spacing paper (default):   w_i = base^(-2i/d)
//     spacing tensor2tensor:     w_i = base^(-i/max(n-1, 1))   (fairseq, t2t get_timing_signal_1d)
//
// Interleaved matches transformers' modeling_xlm.create_sinusoidal_embeddings; concat matches
// modeling_marian.MarianSinusoidalPositionalEmbedding (and the XLNet/Transformer-XL layout); both
// build the table in float64 and round once, and so do we: phases are exact (math/angles.hpp),
// every value within 1 float ulp of the exact sin/cos. The tensor2tensor spacing matches
// common_attention.get_timing_signal_1d with min/max timescale 1/base (concat layout there);
// fairseq's positions start at padding_idx + 1, which is the caller's offset to add.
// Odd d is rejected: the references disagree on it (a shape error, a zero column, or an extra
// sine column), so a silent choice would match one and not the others.
// Negative positions are allowed (sin is odd); |p| must stay below 2^53, where phases are exact.
//
// Storage types (DESIGN.md: float, double as the reference, float16 and bfloat16 computed in
// float). Each value is first made in double from the exact phase (math::fill_cos_sin: libm's
// sin/cos of the reduced phase, within 1.5 double ulp of exact, the bound the tests check), then
// written as T:
//   double    that double value;
//   float     rounded once to float (as above: within 1 float ulp of exact);
//   16-bit    the float value rounded once more (nearest even): the float32 table cast to the
//             model's dtype that the PyTorch references hold, and the rule t5/alibi biases
//             follow (detail::to_value). Rounding the exact value once to 16 bits instead
//             would differ only where the float value is a 16-bit tie.
// add_to<T> adds that value: in double for double; otherwise x is widened exactly to float,
// the float value added in float and the sum rounded once to T (detail::add_value).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../concepts.hpp"
#include "../detail/values.hpp"
#include "../math/angles.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// Where the sines and cosines go in a row.
enum class sinusoidal_layout : std::uint8_t {
  interleaved,  ///< sin at 2i, cos at 2i+1 (the paper; HF XLM)
  concat,       ///< all sines, then all cosines (HF Marian, XLNet, tensor2tensor, fairseq)
};

/// How the frequencies are spaced.
enum class sinusoidal_spacing : std::uint8_t {
  paper,          ///< w_i = base^(-2i/d)
  tensor2tensor,  ///< w_i = base^(-i/(d/2 - 1)): fairseq and tensor2tensor; the last is 1/base
};

/// Parameters of a sinusoidal encoder.
struct sinusoidal_config {
  std::int64_t d_model = 0;  ///< width d (even)
  double base = 10000.0;     ///< the wavelength base (max timescale), above 1
  sinusoidal_layout layout = sinusoidal_layout::interleaved;
  sinusoidal_spacing spacing = sinusoidal_spacing::paper;
};

/// A sinusoidal encoder (models AbsoluteEncoder). Immutable once made: const calls are thread-safe.
class sinusoidal {
 public:
  using config_type = sinusoidal_config;
  static constexpr encoder_family family = encoder_family::absolute;
  /// Largest d_model make() accepts.
  static constexpr std::int64_t max_d_model = std::int64_t{1} << 20;

  /// Validates the configuration and computes the frequencies in double.
  [[nodiscard]] static result<sinusoidal> make(const sinusoidal_config& cfg) noexcept {
    if (cfg.d_model <= 0 || cfg.d_model > max_d_model || cfg.d_model % 2 != 0) {
      return make_error(errc::invalid_argument, "sinusoidal: d_model must be even and in [2, ",
                        max_d_model, "], got ", cfg.d_model);
    }
    // base > 1 keeps every w_i <= 1, which the exact-phase bound on |p| assumes.
    if (!std::isfinite(cfg.base) || cfg.base <= 1.0) {
      return make_error(errc::invalid_argument, "sinusoidal: base must be a finite number above 1, got ",
                        cfg.base);
    }
    const std::int64_t n = cfg.d_model / 2;
    const double denom = cfg.spacing == sinusoidal_spacing::paper
                             ? static_cast<double>(cfg.d_model) / 2.0
                             : static_cast<double>(std::max<std::int64_t>(n - 1, 1));
    std::vector<double> w(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      w[static_cast<std::size_t>(i)] = std::pow(cfg.base, -static_cast<double>(i) / denom);
    }
    return sinusoidal(cfg, std::move(w));
  }

  /// The configuration it was made from.
  const sinusoidal_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "sinusoidal".
  static constexpr std::string_view name() noexcept { return "sinusoidal"; }
  /// Width of a row (d_model).
  std::int64_t width() const noexcept { return cfg_.d_model; }
  /// The frequencies w_i (d_model/2 of them), in double.
  std::span<const double> inv_freq() const noexcept { return w_; }

  /// Writes PE(positions[t]) into row t of out [tokens, d_model] of float, double, float16 or
  /// bfloat16 (16-bit: the float value rounded once more).
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status encode(positions_span positions, view2<T> out) const noexcept {
    POSENC_TRY(check(out, positions, "out"));
    for (std::size_t t = 0; t < positions.size(); ++t) {
      apply_row<false>(positions[t], out.row(static_cast<std::int64_t>(t)));
    }
    return {};
  }

  /// Adds PE(positions[t]) to row t of x [tokens, d_model] of float, double, float16 or
  /// bfloat16 (double: the double value; otherwise the float value, summed in float).
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status add_to(view2<T> x, positions_span positions) const noexcept {
    POSENC_TRY(check(x, positions, "x"));
    for (std::size_t t = 0; t < positions.size(); ++t) {
      apply_row<true>(positions[t], x.row(static_cast<std::int64_t>(t)));
    }
    return {};
  }

 private:
  // sin/cos are made in chunks of this many frequencies, on the stack.
  static constexpr std::int64_t chunk = 128;

  sinusoidal(sinusoidal_config cfg, std::vector<double> w) noexcept
      : cfg_(cfg), w_(std::move(w)) {}

  template <class T>
  status check(const view2<T>& v, positions_span positions, std::string_view what) const noexcept {
    POSENC_TRY(validate(v, what));
    if (v.cols != cfg_.d_model || v.rows != static_cast<std::int64_t>(positions.size())) {
      return make_error(errc::shape_mismatch, "sinusoidal: ", what, " has shape [", v.rows, ", ",
                        v.cols, "], expected [", positions.size(), ", ", cfg_.d_model, "]");
    }
    for (std::int64_t p : positions) {
      if (p <= -math::max_exact_position || p >= math::max_exact_position) {
        return make_error(errc::out_of_range, "sinusoidal: position ", p,
                          " is outside (-2^53, 2^53), where phases are exact");
      }
    }
    return {};
  }

  // Writes (or adds) PE(p) into row.
  template <bool Add, class T>
  void apply_row(std::int64_t p, T* row) const noexcept {
    const auto n = static_cast<std::int64_t>(w_.size());
    const bool interleaved = cfg_.layout == sinusoidal_layout::interleaved;
    double c[chunk], s[chunk];  // double for every T: float(double) is the float value
    for (std::int64_t k0 = 0; k0 < n; k0 += chunk) {
      const std::int64_t m = std::min(chunk, n - k0);
      math::fill_cos_sin(p, std::span<const double>(w_).subspan(static_cast<std::size_t>(k0),
                                                                static_cast<std::size_t>(m)),
                         1.0, c, s);
      for (std::int64_t k = 0; k < m; ++k) {
        const std::int64_t i = k0 + k;
        T& sin_slot = interleaved ? row[2 * i] : row[i];
        T& cos_slot = interleaved ? row[2 * i + 1] : row[n + i];
        if constexpr (Add) {
          sin_slot = detail::add_value(sin_slot, s[k]);
          cos_slot = detail::add_value(cos_slot, c[k]);
        } else {
          sin_slot = detail::to_value<T>(s[k]);
          cos_slot = detail::to_value<T>(c[k]);
        }
      }
    }
  }

  sinusoidal_config cfg_;
  std::vector<double> w_;
};

}  // namespace posenc
