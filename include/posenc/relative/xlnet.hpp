// Transformer-XL / XLNet relative attention (Dai et al., arXiv 1901.02860; Yang et al., XLNet,
// arXiv 1906.08237).
//
// Query i sits at position o + i (o = q_offset, the memory length mlen), key j at j. The
// relative sinusoid of distance r, with w_t = 1 / 10000^(2t / d_model), is all sines then all
// cosines (d_model, not d_head):
//
//     R_r        = [sin(r w_0) .. sin(r w_{d/2-1}), cos(r w_0) .. cos(r w_{d/2-1})]
//     e(i, j)    = clamp(o + i - j)        XLNet: to [-c, c]; Transformer-XL: min(., c) only
//     score[i,j] = ((q_i + u) . k_j + (q_i + v) . W_R R_{e(i,j)}) / sqrt(d_head)
//
// u = r_w_bias, v = r_r_bias, W_R = r_weight [d_model, heads, d_head] (XLNet's einsum layout;
// Transformer-XL's r_net.weight is its transpose). The position term is computed directly per
// (i, j), so there is no rel_shift and no wrapped garbage to mask (spec/encodings.md P9): the
// result equals the rel_shift formulation on its meaningful region. Phases are exact in double
// (math/angles.hpp) and each table value is rounded once to float.
// Matches transformers' XLNetModel.relative_positional_encoding / positional_embedding and
// XLNetRelativeAttention.rel_attn_core (bi_data false), zihangdai/xlnet modeling.py, and
// kimiyoung/transformer-xl RelPartialLearnableMultiHeadAttn (with xlnet_clamp::upper).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../concepts.hpp"
#include "../detail/relative.hpp"
#include "../math/angles.hpp"
#include "../rotary/frequencies.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// XLNet's attn_type: which distances its table holds.
enum class xlnet_attn_type : std::uint8_t {
  bi,   ///< K down to -Q + 1 (K + Q rows)
  uni,  ///< K down to 0 (K + 1 rows)
};

/// How clamp_len limits distances.
enum class xlnet_clamp : std::uint8_t {
  symmetric,  ///< XLNet: clip to [-clamp_len, clamp_len]
  upper,      ///< Transformer-XL: min(r, clamp_len) only
};

/// Parameters of XLNet / Transformer-XL relative attention (Hugging Face names).
struct xlnet_config {
  std::int64_t d_model = 0;                            ///< width of the sinusoid (even)
  xlnet_attn_type attn_type = xlnet_attn_type::bi;     ///< attn_type (table layout only)
  std::int64_t clamp_len = -1;                         ///< <= 0: no clamp
  xlnet_clamp clamp = xlnet_clamp::symmetric;
  std::int64_t heads = 1;                              ///< n_head (score terms)
  std::int64_t head_dim = 0;                           ///< d_head (score terms)
  /// |distance| the score table covers when clamp_len <= 0; with the upper clamp, how far below
  /// -clamp_len negative distances reach
  std::int64_t max_distance = 0;
};

namespace detail {

inline status check_xlnet_table(const xlnet_config& c) noexcept {
  if (c.d_model <= 0 || c.d_model % 2 != 0 || c.d_model > (std::int64_t{1} << 20)) {
    return make_error(errc::invalid_argument, "xlnet: d_model must be even and in [2, 2^20], got ",
                      c.d_model);
  }
  if (c.clamp_len >= math::max_exact_position) {
    return make_error(errc::invalid_argument, "xlnet: clamp_len must be below 2^53, got ", c.clamp_len);
  }
  return {};
}

// R_r into row (d_model floats): sines, then cosines.
inline void xlnet_fill_row(std::int64_t r, std::span<const double> w, float* row) noexcept {
  const auto n = static_cast<std::int64_t>(w.size());
  math::fill_cos_sin(r, w, 1.0, row + n, row);
}

}  // namespace detail

/// The distance the sinusoid is taken at: r clamped as cfg says (identity when clamp_len <= 0).
constexpr std::int64_t xlnet_clamped_distance(const xlnet_config& cfg, std::int64_t r) noexcept {
  if (cfg.clamp_len <= 0) return r;
  if (r > cfg.clamp_len) return cfg.clamp_len;
  if (cfg.clamp == xlnet_clamp::symmetric && r < -cfg.clamp_len) return -cfg.clamp_len;
  return r;
}

/// The frequencies w_t = 10000^(-2t / d_model), t < d_model / 2, in double.
inline std::vector<double> xlnet_inv_freq(std::int64_t d_model) {
  return detail::default_inv_freq(d_model, 10000.0);
}

/// Number of rows of the relative table: K + Q (bi) or K + 1 (uni).
constexpr std::int64_t xlnet_table_rows(const xlnet_config& cfg, std::int64_t q_len,
                                        std::int64_t k_len) noexcept {
  return cfg.attn_type == xlnet_attn_type::bi ? k_len + q_len : k_len + 1;
}

/// Fills out [rows, d_model] with HF XLNet's relative table: row c is R at clamp(K - c).
[[nodiscard]] inline status xlnet_relative_table(const xlnet_config& cfg, std::int64_t q_len,
                                                 std::int64_t k_len, view2<float> out) noexcept {
  POSENC_TRY(detail::check_xlnet_table(cfg));
  POSENC_TRY(detail::check_bias_extents("xlnet", q_len, k_len, 0));
  const std::int64_t rows = xlnet_table_rows(cfg, q_len, k_len);
  POSENC_TRY(detail::check_matrix_out("xlnet", out, rows, cfg.d_model));
  const std::vector<double> w = xlnet_inv_freq(cfg.d_model);
  for (std::int64_t c = 0; c < rows; ++c) {
    detail::xlnet_fill_row(xlnet_clamped_distance(cfg, k_len - c), w, out.row(c));
  }
  return {};
}

/// One layer's relative-attention parameters (views are read once, by make).
struct xlnet_weights {
  view2<const float> r_w_bias;  ///< u [heads, head_dim]
  view2<const float> r_r_bias;  ///< v [heads, head_dim]
  view2<const float> r_weight;  ///< W_R [d_model, heads * head_dim]
};

/// XLNet / Transformer-XL relative attention for one layer (models ScoreEncoder). The
/// projected table W_R R_e is built once for every distance the encoder covers. Immutable.
class xlnet {
 public:
  using config_type = xlnet_config;
  static constexpr encoder_family family = encoder_family::score;
  /// Largest projected table, in floats, make() accepts (4 GiB).
  static constexpr std::int64_t max_table_floats = std::int64_t{1} << 30;

  /// Validates cfg and the weights, and projects the sinusoid of every covered distance.
  [[nodiscard]] static result<xlnet> make(const xlnet_config& cfg, const xlnet_weights& w) noexcept {
    POSENC_TRY(detail::check_xlnet_table(cfg));
    if (cfg.heads <= 0 || cfg.head_dim <= 0) {
      return make_error(errc::invalid_argument, "xlnet: heads and head_dim must be positive, got ",
                        cfg.heads, " and ", cfg.head_dim);
    }
    if (cfg.max_distance < 0 || cfg.max_distance > max_table_floats) {
      return make_error(errc::invalid_argument, "xlnet: max_distance must be in [0, 2^30], got ",
                        cfg.max_distance);
    }
    if (cfg.clamp_len <= 0 && cfg.max_distance == 0) {
      return make_error(errc::invalid_argument, "xlnet: without clamp_len, max_distance must be "
                        "positive, got ", cfg.max_distance);
    }
    if (cfg.heads > max_table_floats / cfg.head_dim) {
      return make_error(errc::invalid_argument, "xlnet: heads * head_dim must be at most 2^30, got ",
                        cfg.heads, " * ", cfg.head_dim);
    }
    const std::int64_t width = cfg.heads * cfg.head_dim;
    POSENC_TRY(check_matrix(w.r_w_bias, "r_w_bias", cfg.heads, cfg.head_dim));
    POSENC_TRY(check_matrix(w.r_r_bias, "r_r_bias", cfg.heads, cfg.head_dim));
    POSENC_TRY(check_matrix(w.r_weight, "r_weight", cfg.d_model, width));
    // Floats per covered distance: R, W_R R and v . W_R R. clamp_len < 2^53 and
    // max_distance <= 2^30 keep the count of distances from overflowing.
    const std::int64_t per_distance = cfg.d_model + width + cfg.heads;
    const auto [lo, hi] = covered(cfg);
    if (hi - lo + 1 > max_table_floats / per_distance) {
      return make_error(errc::invalid_argument, "xlnet: ", hi - lo + 1, " distances of ",
                        per_distance, " floats exceed the 2^30-float table limit (lower "
                        "max_distance or clamp_len)");
    }
    // R for every covered distance, then W_R R and (v . W_R R) per head.
    const std::vector<double> freq = xlnet_inv_freq(cfg.d_model);
    row_major_matrix<float> r(hi - lo + 1, cfg.d_model);
    for (std::int64_t e = lo; e <= hi; ++e) detail::xlnet_fill_row(e, freq, r.row(e - lo).data());
    row_major_matrix<float> kr = r * as_eigen(w.r_weight);
    row_major_matrix<float> vkr(kr.rows(), cfg.heads);
    const auto v = as_eigen(w.r_r_bias);
    for (std::int64_t h = 0; h < cfg.heads; ++h) {
      vkr.col(h).noalias() = kr.middleCols(h * cfg.head_dim, cfg.head_dim) * v.row(h).transpose();
    }
    row_major_matrix<float> u = as_eigen(w.r_w_bias);
    return xlnet(cfg, lo, hi, std::move(kr), std::move(vkr), std::move(u));
  }

  /// The configuration it was made from.
  const xlnet_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "xlnet".
  static constexpr std::string_view name() noexcept { return "xlnet"; }
  /// 1 / sqrt(head_dim), the factor (ac + bd) is multiplied by.
  double scale() const noexcept { return 1.0 / std::sqrt(static_cast<double>(cfg_.head_dim)); }
  /// Smallest and largest clamped distance the encoder covers.
  std::pair<std::int64_t, std::int64_t> distance_range() const noexcept { return {lo_, hi_}; }

  /// The checks add_scores runs before it writes: an error here means add_scores would fail.
  [[nodiscard]] status check_scores(view3<const float> q, view3<const float> k,
                                    std::int64_t q_offset, view3<float> logits) const noexcept {
    POSENC_TRY(check(q, "q"));
    POSENC_TRY(check(k, "k"));
    POSENC_TRY(detail::check_bias_out("xlnet", "logits", logits, cfg_.heads, q.n0, k.n0));
    POSENC_TRY(detail::check_bias_extents("xlnet", q.n0, k.n0, q_offset));
    if (q.n0 == 0 || k.n0 == 0) return {};
    // Clamping is monotone, so the extreme distances bound every (i, j).
    for (std::int64_t r : {q_offset - (k.n0 - 1), q_offset + q.n0 - 1}) {
      const std::int64_t e = xlnet_clamped_distance(cfg_, r);
      if (e < lo_ || e > hi_) {
        return make_error(errc::out_of_range, "xlnet: distance ", r, " is outside [", lo_, ", ",
                          hi_, "], the distances this encoder was made for (raise max_distance)");
      }
    }
    return {};
  }

  /// logits[h, i, j] += u_h . k_j + (q_i + v_h) . W_R R_{e(i, j)} for q [Q, H, d], k [K, H, d],
  /// logits [H, Q, K]. Every (i, j) is computed, so for attn_type uni the caller masks j > o + i
  /// as the model does; a distance outside distance_range() is an error.
  [[nodiscard]] status add_scores(view3<const float> q, view3<const float> k, std::int64_t q_offset,
                                  view3<float> logits) const noexcept {
    POSENC_TRY(check_scores(q, k, q_offset, logits));
    const std::int64_t width = cfg_.heads * cfg_.head_dim;
    for (std::int64_t h = 0; h < cfg_.heads; ++h) {
      add_key_terms(h, k, logits);
      const detail::table_rows t{kr_.data() + h * cfg_.head_dim, width, cfg_.head_dim};
      for (std::int64_t i = 0; i < q.n0; ++i) {
        const std::int64_t qp = q_offset + i;
        detail::add_gathered_dots(
            t, q.row(i, h), vkr_.data() + h, cfg_.heads,
            [&](std::int64_t j) { return xlnet_clamped_distance(cfg_, qp - j) - lo_; }, k.n0,
            logits.row(h, i), 1);
      }
    }
    return {};
  }

 private:
  xlnet(xlnet_config cfg, std::int64_t lo, std::int64_t hi, row_major_matrix<float> kr,
        row_major_matrix<float> vkr, row_major_matrix<float> u)
      : cfg_(cfg), lo_(lo), hi_(hi), kr_(std::move(kr)), vkr_(std::move(vkr)), u_(std::move(u)) {}

  // logits[h, i, j] += u_h . k_j: the products for a chunk of keys (one matrix-vector product,
  // on the stack), then added to each row of the chunk in address order.
  void add_key_terms(std::int64_t h, const view3<const float>& k,
                     const view3<float>& logits) const noexcept {
    const Eigen::Map<const Eigen::VectorXf> u(u_.row(h).data(), cfg_.head_dim);
    alignas(64) float uk[detail::gather_chunk_rows];
    for (std::int64_t j0 = 0; j0 < k.n0; j0 += detail::gather_chunk_rows) {
      const std::int64_t n = std::min(detail::gather_chunk_rows, k.n0 - j0);
      const auto keys = as_eigen(view2<const float>{k.row(j0, h), n, cfg_.head_dim, k.s0});
      Eigen::Map<Eigen::VectorXf>(uk, n).noalias() = keys * u;
      for (std::int64_t i = 0; i < logits.n1; ++i) {
        float* out = logits.row(h, i) + j0;
        for (std::int64_t j = 0; j < n; ++j) out[j] += uk[j];
      }
    }
  }

  // The clamped distances a table must hold. Transformer-XL's upper clamp leaves negative
  // distances (keys after the query, which it masks) as they are: the table reaches down to
  // -clamp_len, or -max_distance when that is larger, so a block of up to clamp_len + 1 queries
  // works without setting max_distance.
  static std::pair<std::int64_t, std::int64_t> covered(const xlnet_config& c) noexcept {
    if (c.clamp_len <= 0) return {-c.max_distance, c.max_distance};
    if (c.clamp == xlnet_clamp::symmetric) return {-c.clamp_len, c.clamp_len};
    return {-std::max(c.clamp_len, c.max_distance), c.clamp_len};
  }

  static status check_matrix(view2<const float> m, std::string_view what, std::int64_t rows,
                             std::int64_t cols) noexcept {
    POSENC_TRY(validate(m, what));
    if (m.rows != rows || m.cols != cols) {
      return make_error(errc::shape_mismatch, "xlnet: ", what, " is [", m.rows, ", ", m.cols,
                        "], expected [", rows, ", ", cols, "]");
    }
    return {};
  }

  status check(const view3<const float>& x, std::string_view what) const noexcept {
    return detail::check_head_layout("xlnet", x, what, cfg_.heads, cfg_.head_dim);
  }

  xlnet_config cfg_;
  std::int64_t lo_ = 0, hi_ = 0;
  row_major_matrix<float> kr_;   // W_R R_e, row e - lo_, [distances, heads * head_dim]
  row_major_matrix<float> vkr_;  // v_h . (W_R R_e)_h, [distances, heads]
  row_major_matrix<float> u_;    // r_w_bias [heads, head_dim]
};

}  // namespace posenc
