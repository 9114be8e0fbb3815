// ALiBi: attention with linear biases (Press, Smith and Lewis, "Train Short, Test Long",
// arXiv 2108.12409). Head h adds a distance penalty to its (already 1/sqrt(d)-scaled) logits:
//
//     causal (default):  b_h(i, j) = m_h (j - i)      (= -m_h (i - j); future keys are masked)
//     symmetric:         b_h(i, j) = -m_h |i - j|     (MPT full=True, bidirectional models)
//
// Slopes for n heads, c = 2^floor(log2 n), bias_max Bm (8 in the paper and Bloom; MPT's
// alibi_bias_max): m_h = 2^(-Bm (h+1) / c) for h < c, then the n - c extra heads take
// 2^(-(Bm/2)(2t+1) / c), t = 0, 1, ...: the odd-position slopes of the 2c-head sequence. Order
// matters: the power-of-two part first (n = 12: 1/2 ... 1/256, then 2^-0.5, 2^-1.5, ...).
// Slopes are computed in double and rounded once to float, as the original code
// (ofirpress/attention_with_linear_biases get_slopes) does; Bloom's build_alibi_tensor and MPT's
// gen_slopes use float32 powers and differ by a few ulps (spec/encodings.md §7, P6).
// The bias is each float slope times the exact distance, rounded once (the float32 product of
// the reference for distances below 2^24, and exact beyond). Bloom and the original add
// m_h * j instead, which equals the causal form up to a per-row constant only in exact
// arithmetic; we write the paper's form, with a query offset for a KV cache.
// The bias is Toeplitz in (i, j) and filled by row copies (detail/toeplitz.hpp).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../concepts.hpp"
#include "../detail/toeplitz.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// Parameters of ALiBi (Hugging Face / MPT names in comments).
struct alibi_config {
  std::int64_t num_heads = 0;  ///< n_head / n_heads / num_heads
  double bias_max = 8.0;       ///< alibi_bias_max (MPT); 8 in the paper and Bloom
  bool causal = true;          ///< true: m (j - i); false: -m |i - j| (alibi_causal)
};

/// The ALiBi slope of head h of n (h < n), in double: see the formula above.
inline double alibi_slope(std::int64_t h, std::int64_t n, double bias_max) noexcept {
  const auto c = static_cast<double>(std::bit_floor(static_cast<std::uint64_t>(n)));
  const auto hd = static_cast<double>(h);
  const double exponent = hd < c ? bias_max * (hd + 1.0) : bias_max / 2.0 * (2.0 * (hd - c) + 1.0);
  return std::exp2(-exponent / c);
}

/// An ALiBi encoder (models BiasEncoder). Immutable once made: const calls are thread-safe.
class alibi {
 public:
  using config_type = alibi_config;
  static constexpr encoder_family family = encoder_family::bias;
  /// Largest head count make() accepts.
  static constexpr std::int64_t max_heads = std::int64_t{1} << 16;

  /// Validates the configuration and computes the slopes.
  [[nodiscard]] static result<alibi> make(const alibi_config& cfg) noexcept {
    if (cfg.num_heads <= 0 || cfg.num_heads > max_heads) {
      return make_error(errc::invalid_argument, "alibi: num_heads must be in [1, ", max_heads,
                        "], got ", cfg.num_heads);
    }
    if (!std::isfinite(cfg.bias_max) || cfg.bias_max <= 0.0) {
      return make_error(errc::invalid_argument,
                        "alibi: bias_max must be a finite positive number, got ", cfg.bias_max);
    }
    std::vector<float> slopes(static_cast<std::size_t>(cfg.num_heads));
    for (std::int64_t h = 0; h < cfg.num_heads; ++h) {
      slopes[static_cast<std::size_t>(h)] =
          static_cast<float>(alibi_slope(h, cfg.num_heads, cfg.bias_max));
    }
    return alibi(cfg, std::move(slopes));
  }

  /// The configuration it was made from.
  const alibi_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "alibi".
  static constexpr std::string_view name() noexcept { return "alibi"; }
  /// The slope of each head, rounded to float.
  std::span<const float> slopes() const noexcept { return slopes_; }

  /// Writes out[h, i, j] = m_h (j - (q_offset + i)) (causal) or -m_h |j - (q_offset + i)|
  /// (symmetric) for out [num_heads, q_len, k_len] of float, double (the exact product) or
  /// float16 / bfloat16 (its float rounding, rounded again, as a float32 bias cast to the
  /// model's dtype). Future keys are not masked here.
  /// A thread may fill query rows [a, b) alone: q_len = b - a, q_offset + a, out rows a..b-1.
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status bias(std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset,
                            view3<T> out) const noexcept {
    POSENC_TRY(detail::check_bias_extents("alibi", q_len, k_len, q_offset));
    POSENC_TRY(detail::check_bias_out("alibi", "out", out, cfg_.num_heads, q_len, k_len));
    const float* m = slopes_.data();
    if (cfg_.causal) {
      detail::fill_toeplitz(out, [&](std::int64_t d, T* dst, std::int64_t stride, std::int64_t h0,
                                     std::int64_t h1) {
        const auto rel = static_cast<double>(d - q_offset);
        for (std::int64_t h = h0; h < h1; ++h) dst[(h - h0) * stride] = detail::to_value<T>(m[h] * rel);
      });
    } else {
      detail::fill_toeplitz(out, [&](std::int64_t d, T* dst, std::int64_t stride, std::int64_t h0,
                                     std::int64_t h1) {
        const double dist = std::fabs(static_cast<double>(d - q_offset));
        for (std::int64_t h = h0; h < h1; ++h) dst[(h - h0) * stride] = detail::to_value<T>(-m[h] * dist);
      });
    }
    return {};
  }

 private:
  alibi(alibi_config cfg, std::vector<float> slopes) noexcept
      : cfg_(cfg), slopes_(std::move(slopes)) {}

  alibi_config cfg_;
  std::vector<float> slopes_;
};

}  // namespace posenc
