// T5 relative attention bias (Raffel et al., "Exploring the Limits of Transfer Learning with a
// Unified Text-to-Text Transformer", arXiv 1910.10683).
//
// A query at position q and a key at position k get the learned scalar W[bucket(k - q), h]
// added to head h's logit (no 1/sqrt(d) scaling in T5). With B buckets, max distance M:
//
//     bidirectional (encoder): B' = B/2, offset B' when rel > 0, n = |rel|
//     decoder:                 B' = B,   offset 0,               n = max(-rel, 0)
//     e = B'/2:  bucket = offset + n                                           if n < e
//                bucket = offset + min(B'-1, e + floor(ln(n/e) / ln(M/e) * (B' - e)))  otherwise
//
// Matches transformers' T5Attention._relative_position_bucket and compute_bias (query i at
// cache_position = q_offset + i, key j at j). The reference evaluates the log branch in float32;
// we use double and land exactly on the integer values the exact formula hits (n = 16, 32, 64
// for the defaults), where the float32 path also lands; spec/encodings.md §4 [computed] found
// both give the same buckets. Saturation comes at n = 91 (encoder) / 113 (decoder), before M.
// The log branch is never evaluated for n < e (ln 0 -> -inf -> integer is undefined in C++),
// nor for n >= M, where the bucket is B'-1 exactly.
// The bias is Toeplitz in (i, j): each distance is bucketed once and rows are filled by copies
// (detail/toeplitz.hpp), so bias() runs near the speed of writing its output.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

#include "../concepts.hpp"
#include "../detail/matrix_storage.hpp"
#include "../detail/toeplitz.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// Parameters of T5's bucketed relative bias (Hugging Face names in comments).
struct t5_config {
  std::int64_t num_buckets = 32;    ///< relative_attention_num_buckets
  std::int64_t max_distance = 128;  ///< relative_attention_max_distance
  bool bidirectional = true;        ///< true for encoders; false for decoders (is_decoder)
  std::int64_t num_heads = 0;       ///< columns of the bucket table
};

/// T5's bucket function and relative-position ids, without a bucket table.
class t5_buckets {
 public:
  /// Largest num_buckets make() accepts.
  static constexpr std::int64_t max_num_buckets = std::int64_t{1} << 20;

  /// Validates num_buckets and max_distance (num_heads is not used here).
  [[nodiscard]] static result<t5_buckets> make(const t5_config& cfg) noexcept {
    const std::int64_t min_buckets = cfg.bidirectional ? 4 : 2;
    if (cfg.num_buckets < min_buckets || cfg.num_buckets > max_num_buckets) {
      return make_error(errc::invalid_argument, "t5: num_buckets must be in [", min_buckets, ", ",
                        max_num_buckets, "] for ",
                        cfg.bidirectional ? "a bidirectional" : "a decoder", " bias, got ",
                        cfg.num_buckets);
    }
    const std::int64_t half = cfg.bidirectional ? cfg.num_buckets / 2 : cfg.num_buckets;
    const std::int64_t exact = half / 2;
    if (cfg.max_distance <= exact || cfg.max_distance > math_limit) {
      return make_error(errc::invalid_argument, "t5: max_distance must be in (", exact,
                        ", 2^53] (above the exact buckets), got ", cfg.max_distance);
    }
    return t5_buckets(cfg.bidirectional, half, exact,
                      std::log(static_cast<double>(cfg.max_distance) / static_cast<double>(exact)),
                      cfg.max_distance);
  }

  /// The bucket of rel = key position - query position, in [0, num_buckets).
  std::int64_t bucket(std::int64_t rel) const noexcept {
    std::int64_t offset = 0;
    std::uint64_t n = 0;
    if (bidirectional_) {
      offset = rel > 0 ? half_ : 0;
      n = rel > 0 ? static_cast<std::uint64_t>(rel) : std::uint64_t{0} - static_cast<std::uint64_t>(rel);
    } else {
      n = rel < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(rel) : 0;
    }
    if (n < near_cache) return offset + near_[n];
    return offset + distance_bucket(n);
  }

  /// Writes bucket(j - (q_offset + i)) to out[i, j] for out [q_len, k_len].
  [[nodiscard]] status relative_positions(std::int64_t q_len, std::int64_t k_len,
                                          std::int64_t q_offset,
                                          view2<std::int64_t> out) const noexcept {
    POSENC_TRY(detail::check_bias_extents("t5", q_len, k_len, q_offset));
    POSENC_TRY(detail::check_matrix_out("t5", out, q_len, k_len));
    detail::fill_toeplitz_ids(out, [&](std::int64_t d) { return bucket(d - q_offset); });
    return {};
  }

 private:
  static constexpr std::int64_t math_limit = std::int64_t{1} << 53;

  t5_buckets(bool bidirectional, std::int64_t half, std::int64_t exact, double log_ratio,
             std::int64_t max_distance) noexcept
      : bidirectional_(bidirectional), half_(half), exact_(exact), log_ratio_(log_ratio),
        max_distance_(max_distance) {
    for (std::int64_t n = 0; n < near_cache; ++n) {
      near_[static_cast<std::size_t>(n)] =
          static_cast<std::int32_t>(distance_bucket(static_cast<std::uint64_t>(n)));
    }
  }

  // The bucket (within one direction) of distance n >= 0.
  std::int64_t distance_bucket(std::uint64_t n) const noexcept {
    if (n < static_cast<std::uint64_t>(exact_)) return static_cast<std::int64_t>(n);
    if (n >= static_cast<std::uint64_t>(max_distance_)) return half_ - 1;
    // Here exact <= n < max_distance, so the ratio is finite and in [0, half - exact). The
    // nudge (2^-40 relative) puts values the exact formula makes integers on that integer.
    const double v = std::log(static_cast<double>(n) / static_cast<double>(exact_)) / log_ratio_ *
                     static_cast<double>(half_ - exact_);
    const auto large = exact_ + static_cast<std::int64_t>(v + v * 0x1p-40);
    return large < half_ - 1 ? large : half_ - 1;
  }

  // Distances below near_cache (T5's max_distance is 128) keep their bucket in near_, computed
  // once by distance_bucket: a bias fill then does no log per distance.
  static constexpr std::int64_t near_cache = 256;

  bool bidirectional_ = true;
  std::int64_t half_ = 0;   // B': buckets per direction
  std::int64_t exact_ = 0;  // e = B'/2: distances below it have their own bucket
  double log_ratio_ = 0.0;  // ln(M / e)
  std::int64_t max_distance_ = 0;
  std::array<std::int32_t, near_cache> near_{};
};

/// The T5 relative bias (models BiasEncoder): buckets plus a table W [num_buckets, num_heads],
/// borrowed from user memory (it must outlive the encoder) or owned. Immutable once made.
class t5 {
 public:
  using config_type = t5_config;
  using matrix = row_major_matrix<float>;
  static constexpr encoder_family family = encoder_family::bias;

  /// An encoder over a bucket table in user memory [num_buckets, num_heads].
  [[nodiscard]] static result<t5> make(const t5_config& cfg, view2<const float> table) noexcept {
    return make_with(cfg, detail::matrix_storage(table));
  }

  /// An encoder that owns its bucket table [num_buckets, num_heads].
  [[nodiscard]] static result<t5> make(const t5_config& cfg, matrix table) noexcept {
    return make_with(cfg, detail::matrix_storage(std::move(table)));
  }

  /// The configuration it was made from.
  const t5_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "t5".
  static constexpr std::string_view name() noexcept { return "t5"; }
  /// The bucket function.
  const t5_buckets& buckets() const noexcept { return buckets_; }
  /// The bucket table W [num_buckets, num_heads].
  view2<const float> table() const noexcept { return table_.view(); }

  /// Bucket ids [q_len, k_len] for query i at q_offset + i and key j at j.
  [[nodiscard]] status relative_positions(std::int64_t q_len, std::int64_t k_len,
                                          std::int64_t q_offset,
                                          view2<std::int64_t> out) const noexcept {
    return buckets_.relative_positions(q_len, k_len, q_offset, out);
  }

  /// Writes out[h, i, j] = W[bucket(j - (q_offset + i)), h] for out [num_heads, q_len, k_len]
  /// of float, double, float16 or bfloat16 (W's float values, rounded once to 16 bits).
  /// A thread may fill query rows [a, b) alone: q_len = b - a, q_offset + a, out rows a..b-1.
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status bias(std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset,
                            view3<T> out) const noexcept {
    POSENC_TRY(detail::check_bias_extents("t5", q_len, k_len, q_offset));
    POSENC_TRY(detail::check_bias_out("t5", "out", out, cfg_.num_heads, q_len, k_len));
    const view2<const float> w = table();
    detail::fill_toeplitz(out, [&](std::int64_t d, T* dst, std::int64_t stride, std::int64_t h0,
                                   std::int64_t h1) {
      const float* row = w.row(buckets_.bucket(d - q_offset));
      for (std::int64_t h = h0; h < h1; ++h) dst[(h - h0) * stride] = detail::to_value<T>(row[h]);
    });
    return {};
  }

 private:
  t5(t5_config cfg, t5_buckets buckets, detail::matrix_storage table) noexcept
      : cfg_(cfg), buckets_(buckets), table_(std::move(table)) {}

  static result<t5> make_with(const t5_config& cfg, detail::matrix_storage table) noexcept {
    auto buckets = t5_buckets::make(cfg);
    if (!buckets) return buckets.error();
    if (cfg.num_heads <= 0) {
      return make_error(errc::invalid_argument, "t5: num_heads must be positive, got ",
                        cfg.num_heads);
    }
    const view2<const float> w = table.view();
    POSENC_TRY(validate(w, "t5 bucket table"));
    if (w.rows != cfg.num_buckets || w.cols != cfg.num_heads) {
      return make_error(errc::shape_mismatch, "t5: the bucket table has shape [", w.rows, ", ",
                        w.cols, "], expected [num_buckets, num_heads] = [", cfg.num_buckets, ", ",
                        cfg.num_heads, "]");
    }
    return t5(cfg, *buckets, std::move(table));
  }

  t5_config cfg_;
  t5_buckets buckets_;
  detail::matrix_storage table_;
};

}  // namespace posenc
