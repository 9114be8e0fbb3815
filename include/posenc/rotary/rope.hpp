// RoPE: rotary position embedding (Su et al., RoFormer, arXiv 2104.09864).
//
// Each rotary pair of q or k at position p is rotated by p * w_k:
//
//     [a']   [cos(p w_k)  -sin(p w_k)] [a]        half layout:        (x[k], x[k + r/2])
//     [b'] = [sin(p w_k)   cos(p w_k)] [b]        interleaved layout: (x[2k], x[2k+1])
//
// so <R_m q, R_n k> depends on m - n only. Frequencies w_k use the rotary width r (partial
// rotary: r = int(head_dim * partial_rotary_factor); dims [r, head_dim) pass through). Both cos
// and sin are multiplied by the scaling type's attention factor, as Hugging Face does, so the
// rotary part of q.k scales by its square; pass-through dims are not scaled.
// Matches transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb (half; partial split as
// modeling_phi) and GLM / GPT-J / Meta Llama (interleaved), in exact arithmetic: cos/sin come
// from math/angles.hpp, within 1 float ulp of exact for positions below 2^24.
// q/k may be stored as float, float16 or bfloat16: the rotation runs in float on the kernels of
// kernels/dispatch.hpp (AVX-512, AVX2, NEON or scalar, all bitwise identical) and each element
// is rounded once to its storage type. shift() re-rotates cached keys by a position delta.
//
// cos/sin source. Positions in [0, max_positions) read an exact table (4 * rotary_dim bytes per
// position). Outside it, angle_source decides:
//   exact (default)  each token's cos/sin computed exactly in scalar double (within 1 float ulp,
//                    the table's own bits), ~1.4 us per token at rotary_dim 128: 5-12x the
//                    table path for 32 heads. No memory beyond the table.
//   two_level        for |p| < 2^24, composed with SIMD from two exact double rows
//                    (math::two_level_cos_sin_table, 8192 rows: 128 KiB per rotary pair,
//                    8 MiB at rotary_dim 128, built in make()), within 0.5 float ulp + 2^-49
//                    (times the attention factor) of exact -- not the table's bits in every
//                    case, but far below the rotation's own float rounding; 1.03-1.2x the
//                    table path's time. Beyond 2^24, exact as above.
// exact stays the default so an encoder costs no more than its table and rotate() is bit for bit
// the same in and out of the table; an engine serving contexts longer than a table it wants to
// hold (say 1M positions: 512 MiB at rotary_dim 128) turns on two_level. docs/performance.md
// and docs/accuracy.md give the measurements.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include "../concepts.hpp"
#include "../kernels/dispatch.hpp"
#include "../math/angles.hpp"
#include "../status.hpp"
#include "../tensor.hpp"
#include "frequencies.hpp"

namespace posenc {

/// Which dims form a rotary pair.
enum class rope_layout : std::uint8_t {
  half,         ///< (k, k + r/2): GPT-NeoX, HF Llama/Mistral/Qwen/Phi/Gemma ("rotate_half")
  interleaved,  ///< (2k, 2k + 1): GPT-J, GLM, RoFormer, Meta Llama
};

/// "half" or "interleaved".
constexpr std::string_view rope_layout_name(rope_layout l) noexcept {
  return l == rope_layout::half ? "half" : "interleaved";
}

/// Where cos/sin come from for positions outside the exact table [0, max_positions).
enum class rope_angle_source : std::uint8_t {
  exact,      ///< computed exactly per token (scalar double sin/cos; within 1 float ulp)
  two_level,  ///< composed from 2 x 4096 exact rows for |p| < 2^24 (SIMD; 0.5 ulp + 2^-49 abs)
};

/// Parameters of a RoPE encoder (Hugging Face names where they exist).
struct rope_config {
  std::int64_t head_dim = 0;            ///< dims per head
  std::int64_t rotary_dim = 0;          ///< dims rotated; 0: head_dim * partial_rotary_factor
  double partial_rotary_factor = 1.0;   ///< used when rotary_dim is 0
  double theta = 10000.0;               ///< rope_theta
  rope_scaling scaling = default_scaling{};
  rope_layout layout = rope_layout::half;
  std::int64_t max_positions = 0;       ///< cos/sin table rows; other positions exact on the fly
  rope_angle_source angle_source = rope_angle_source::exact;  ///< cos/sin outside the table
};

/// A RoPE encoder (models RotaryEncoder). Immutable once made: const calls are thread-safe.
class rope {
 public:
  using config_type = rope_config;
  static constexpr encoder_family family = encoder_family::rotary;
  /// Largest table, in floats, make() accepts (4 GiB), counting the two-level rows' doubles
  /// as two floats each.
  static constexpr std::int64_t max_table_floats = std::int64_t{1} << 30;
  /// Largest head_dim make() accepts.
  static constexpr std::int64_t max_head_dim = std::int64_t{1} << 16;

  /// Validates the configuration and builds the frequencies and the cos/sin table.
  [[nodiscard]] static result<rope> make(const rope_config& cfg) noexcept {
    return make_for_length(cfg, 0);
  }

  /// The encoder Hugging Face would use for a batch whose largest position is seq_len - 1:
  /// dynamic NTK rescales the base and LongRoPE picks its long factors past their original
  /// length. Other scalings are unchanged. Engines decide when to switch, since it changes the
  /// rotation of keys already cached (spec/encodings.md P12).
  [[nodiscard]] result<rope> for_sequence_length(std::int64_t seq_len) const noexcept {
    return make_for_length(cfg_, seq_len);
  }

  /// The configuration it was made from.
  const rope_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "rope".
  static constexpr std::string_view name() noexcept { return "rope"; }
  /// Dims rotated per head (even).
  std::int64_t rotary_dim() const noexcept { return rotary_dim_; }
  /// The inverse frequencies w_k (rotary_dim/2 of them), in double.
  std::span<const double> inv_freq() const noexcept { return freq_.inv_freq; }
  /// The factor cos and sin are multiplied by.
  double attention_factor() const noexcept { return freq_.attention_factor; }

  /// cos and sin (times the attention factor) of position p, rotary_dim/2 each, as rotate() uses.
  void cos_sin(std::int64_t p, float* cos_out, float* sin_out) const noexcept {
    if (table_.covers(p)) {
      std::copy_n(table_.cos_row(p), pairs(), cos_out);
      std::copy_n(table_.sin_row(p), pairs(), sin_out);
    } else {
      fill_chunk(kernels::compose_kernel(), p, 0, pairs(), freq_.attention_factor, cos_out, sin_out);
    }
  }

  /// Rotates x [tokens, heads, head_dim] in place, token t at positions[t]. T is float,
  /// float16 or bfloat16 (computed in float, rounded once to T per element).
  template <class T>
    requires is_storage_type_v<T>
  [[nodiscard]] status rotate(view3<T> x, positions_span positions) const noexcept {
    POSENC_TRY(check(x, positions, "x"));
    apply<T>(positions, true, row_blocks<T>{x, {}});
    return {};
  }

  /// Rotates q and k in place in one pass (shared cos/sin); q and k may differ in head count
  /// and strides (GQA/MQA) but not in tokens, and must not share elements (slices of one
  /// packed QKV buffer are fine; see check_disjoint in tensor.hpp).
  template <class T>
    requires is_storage_type_v<T>
  [[nodiscard]] status rotate(view3<T> q, view3<T> k, positions_span positions) const noexcept {
    POSENC_TRY(check(q, positions, "q"));
    POSENC_TRY(check(k, positions, "k"));
    POSENC_TRY(check_disjoint("rope", "q", q, "k", k));
    apply<T>(positions, true, row_blocks<T>{q, k});
    return {};
  }

  /// K-cache re-rotation (context shift, self-extend): keys k [tokens, heads, head_dim] already
  /// rotated at positions p move to p + delta[t], in place. The rotation is by delta[t] * w_k
  /// alone, with cos/sin of that angle computed exactly (never un-rotating to p first) and
  /// without the attention factor, which the keys already carry. Error bound: see
  /// docs/performance.md ("K-cache re-rotation"); tests/kernels/rope_storage_test.cpp checks it.
  template <class T>
    requires is_storage_type_v<T>
  [[nodiscard]] status shift(view3<T> k, positions_span delta) const noexcept {
    POSENC_TRY(check(k, delta, "k"));
    apply<T>(delta, false, row_blocks<T>{k, {}});
    return {};
  }

  /// K-cache re-rotation of every token by the same delta (see the span overload).
  template <class T>
    requires is_storage_type_v<T>
  [[nodiscard]] status shift(view3<T> k, std::int64_t delta) const noexcept {
    POSENC_TRY(check_shape(k, "k"));
    POSENC_TRY(check_position(delta));
    apply_constant<T>(delta, k);
    return {};
  }

 private:
  // On-the-fly cos/sin are made in chunks of this many pairs, on the stack.
  static constexpr std::int64_t chunk_pairs = 128;

  rope(rope_config cfg, std::int64_t rotary_dim, rope_frequencies freq, math::cos_sin_table t,
       math::two_level_cos_sin_table two_level)
      : cfg_(std::move(cfg)), rotary_dim_(rotary_dim), freq_(std::move(freq)),
        table_(std::move(t)), two_level_(std::move(two_level)) {}

  std::int64_t pairs() const noexcept { return rotary_dim_ / 2; }

  static result<rope> make_for_length(const rope_config& cfg, std::int64_t seq_len) noexcept {
    if (cfg.head_dim <= 0 || cfg.head_dim > max_head_dim) {
      return make_error(errc::invalid_argument, "rope: head_dim must be in [1, ", max_head_dim,
                        "], got ", cfg.head_dim);
    }
    std::int64_t r = cfg.rotary_dim;
    if (r == 0) {
      const double f = cfg.partial_rotary_factor;
      if (!std::isfinite(f) || f <= 0.0 || f > 1.0) {
        return make_error(errc::invalid_argument,
                          "rope: partial_rotary_factor must be in (0, 1], got ", f);
      }
      r = static_cast<std::int64_t>(static_cast<double>(cfg.head_dim) * f);
    }
    if (r <= 0 || r % 2 != 0 || r > cfg.head_dim) {
      return make_error(errc::invalid_argument, "rope: rotary dim must be even and in [2, head_dim = ",
                        cfg.head_dim, "], got ", r);
    }
    if (cfg.max_positions < 0 || cfg.max_positions > max_table_floats / r) {
      return make_error(errc::invalid_argument, "rope: max_positions must be in [0, ",
                        max_table_floats / r, "] for rotary dim ", r, ", got ", cfg.max_positions);
    }
    if (seq_len < 0) {
      return make_error(errc::invalid_argument, "rope: sequence length must be >= 0, got ",
                        seq_len);
    }
    if (cfg.angle_source != rope_angle_source::exact &&
        cfg.angle_source != rope_angle_source::two_level) {
      return make_error(errc::invalid_argument, "rope: unknown angle_source ",
                        static_cast<int>(cfg.angle_source));
    }
    // The two-level rows: 2 * block rows of r doubles, counted as floats against the limit.
    const std::int64_t two_level_floats = 4 * math::two_level_cos_sin_table::block * r;
    if (cfg.angle_source == rope_angle_source::two_level &&
        cfg.max_positions > (max_table_floats - two_level_floats) / r) {
      return make_error(errc::invalid_argument, "rope: the two-level rows (", two_level_floats,
                        " floats for rotary dim ", r, ") and max_positions ", cfg.max_positions,
                        " exceed the table limit of ", max_table_floats, " floats");
    }
    auto freq = compute_frequencies(r, cfg.theta, cfg.scaling, seq_len);
    if (!freq) return freq.error();
    math::cos_sin_table table(cfg.max_positions, freq->inv_freq, freq->attention_factor);
    math::two_level_cos_sin_table two_level;
    if (cfg.angle_source == rope_angle_source::two_level) {
      two_level = math::two_level_cos_sin_table(freq->inv_freq);
    }
    return rope(cfg, r, std::move(*freq), std::move(table), std::move(two_level));
  }

  static status check_position(std::int64_t p) noexcept {
    if (p <= -math::max_exact_position || p >= math::max_exact_position) {
      return make_error(errc::out_of_range, "rope: position ", p,
                        " is outside (-2^53, 2^53), where angles are exact");
    }
    return {};
  }

  template <class T>
  status check_shape(const view3<T>& x, std::string_view what) const noexcept {
    POSENC_TRY(validate(x, what));
    if (x.n2 != cfg_.head_dim) {
      return make_error(errc::shape_mismatch, "rope: ", what, " has head_dim ", x.n2,
                        ", the encoder was made for ", cfg_.head_dim);
    }
    return {};
  }

  template <class T>
  status check(const view3<T>& x, positions_span positions, std::string_view what) const noexcept {
    POSENC_TRY(check_shape(x, what));
    if (static_cast<std::int64_t>(positions.size()) != x.n0) {
      return make_error(errc::shape_mismatch, "rope: ", positions.size(), " positions for ",
                        x.n0, " tokens of ", what);
    }
    for (std::int64_t p : positions) POSENC_TRY(check_position(p));
    return {};
  }

  // The tensors one call rotates: x alone, or q and k (k empty for a single tensor).
  template <class T>
  struct row_blocks {
    view3<T> q, k;
  };

  // cos/sin of pairs [k0, k0 + m) of position p times scale into c, s: composed from the
  // two-level rows where configured and |p| < 2^24 (cos is even, sin odd), else exact.
  void fill_chunk(kernels::compose_fn compose, std::int64_t p, std::int64_t k0, std::int64_t m,
                  double scale, float* c, float* s) const noexcept {
    if (two_level_.covers(p)) {
      const std::int64_t n = pairs();
      const double* hi = two_level_.high_row(p);
      const double* lo = two_level_.low_row(p);
      compose(hi + k0, hi + n + k0, lo + k0, lo + n + k0, scale, p < 0 ? -scale : scale, c, s, m);
    } else {
      math::fill_cos_sin(p, std::span<const double>(freq_.inv_freq).subspan(k0, m), scale, c, s);
    }
  }

  // Rotates the pairs [k0, k0 + n) of token t of both tensors at angles c, s.
  template <class T>
  void rotate_token(const kernels::rotate_table<T>& kt, const row_blocks<T>& x, std::int64_t t,
                    std::int64_t k0, const float* c, const float* s,
                    std::int64_t n) const noexcept {
    const auto block = [&](const view3<T>& v) {
      return v.n1 > 0 && v.n0 > 0 ? kernels::row_block<T>{v.row(t, 0), v.n1, v.s1}
                                  : kernels::row_block<T>{};
    };
    const kernels::row_block<T> q = block(x.q), k = block(x.k);
    if (cfg_.layout == rope_layout::half) {
      kt.half(kernels::offset_block(q, k0), kernels::offset_block(k, k0), pairs(), c, s, n);
    } else {
      kt.interleaved(kernels::offset_block(q, 2 * k0), kernels::offset_block(k, 2 * k0), c, s, n);
    }
  }

  // Rotates every token t of x by positions[t]: cos/sin from the table when it has the row
  // (and `scaled`: the table carries the attention factor), else computed exactly in stack
  // chunks by fill_chunk (rotary dims up to chunk_pairs pairs are computed once per run of
  // equal positions). The ISA is chosen once per call.
  template <class T>
  void apply(positions_span positions, bool scaled, const row_blocks<T>& x) const noexcept {
    const kernels::rotate_table<T> kt = kernels::rotate_kernels<T>();
    const kernels::compose_fn compose = kernels::compose_kernel();
    const std::int64_t n = pairs();
    const bool use_table = scaled || freq_.attention_factor == 1.0;
    const double scale = scaled ? freq_.attention_factor : 1.0;
    float c[chunk_pairs], s[chunk_pairs];
    bool have_row = false;  // c/s hold the whole row for position `last`
    std::int64_t last = 0;
    for (std::size_t t = 0; t < positions.size(); ++t) {
      const std::int64_t p = positions[t];
      const auto tt = static_cast<std::int64_t>(t);
      if (use_table && table_.covers(p)) {
        rotate_token(kt, x, tt, 0, table_.cos_row(p), table_.sin_row(p), n);
        continue;
      }
      if (have_row && p == last) {
        rotate_token(kt, x, tt, 0, c, s, n);
        continue;
      }
      for (std::int64_t k0 = 0; k0 < n; k0 += chunk_pairs) {
        const std::int64_t m = std::min(chunk_pairs, n - k0);
        fill_chunk(compose, p, k0, m, scale, c, s);
        rotate_token(kt, x, tt, k0, c, s, m);
      }
      have_row = n <= chunk_pairs, last = p;
    }
  }

  // shift() by one delta for every token: cos/sin (unscaled) once per chunk of pairs.
  template <class T>
  void apply_constant(std::int64_t delta, const view3<T>& k) const noexcept {
    const kernels::rotate_table<T> kt = kernels::rotate_kernels<T>();
    const kernels::compose_fn compose = kernels::compose_kernel();
    const std::int64_t n = pairs();
    const row_blocks<T> x{k, {}};
    float c[chunk_pairs], s[chunk_pairs];
    for (std::int64_t k0 = 0; k0 < n; k0 += chunk_pairs) {
      const std::int64_t m = std::min(chunk_pairs, n - k0);
      const float* cp = c;
      const float* sp = s;
      if (freq_.attention_factor == 1.0 && table_.covers(delta)) {
        cp = table_.cos_row(delta) + k0, sp = table_.sin_row(delta) + k0;
      } else {
        fill_chunk(compose, delta, k0, m, 1.0, c, s);
      }
      for (std::int64_t t = 0; t < k.n0; ++t) rotate_token(kt, x, t, k0, cp, sp, m);
    }
  }

  rope_config cfg_;
  std::int64_t rotary_dim_ = 0;
  rope_frequencies freq_;
  math::cos_sin_table table_;
  math::two_level_cos_sin_table two_level_;  // empty unless angle_source is two_level
};

}  // namespace posenc
