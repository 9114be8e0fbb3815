// Shaw et al. relative position representations (arXiv 1803.02155).
//
// Query i sits at position o + i (o = q_offset), key j at j. With clip distance k:
//
//     id(i, j)  = clip(j - (o + i), -k, k) + k                 in [0, 2k]
//     e_ij      = (q_i . k_j + q_i . W^K[id(i, j)]) / sqrt(d_h) (the a^K logits term)
//     z_i       = sum_j alpha_ij (v_j + W^V[id(i, j)])          (the a^V output term)
//
// W^K, W^V are [2k + 1, d_h] tables shared by every head. Distances past +-k reuse the edge row
// (unlike Music Transformer's zero rows or HF BERT relative_key, which does not clip and uses
// i - j; spec/encodings.md P10). Matches tensor2tensor common_attention
// (_generate_relative_positions_matrix, _relative_attention_inner); t2t's own query placement
// for q_len < k_len is q_offset = k_len - q_len.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

#include "../concepts.hpp"
#include "../detail/matrix_storage.hpp"
#include "../detail/relative.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// Parameters of Shaw relative attention (tensor2tensor names in comments).
struct shaw_config {
  std::int64_t max_relative_position = 0;  ///< the clip distance k (> 0)
  std::int64_t head_dim = 0;               ///< d_h, the width of W^K and W^V
};

namespace detail {
inline status check_shaw_config(const shaw_config& c) noexcept {
  if (c.max_relative_position <= 0 || c.max_relative_position > (std::int64_t{1} << 30)) {
    return make_error(errc::invalid_argument,
                      "shaw: max_relative_position must be in [1, 2^30], got ",
                      c.max_relative_position);
  }
  if (c.head_dim <= 0) {
    return make_error(errc::invalid_argument, "shaw: head_dim must be positive, got ", c.head_dim);
  }
  return {};
}

}  // namespace detail

/// The clipped id clip(key - query, -k, k) + k of a query and a key position.
constexpr std::int64_t shaw_relative_id(std::int64_t query_pos, std::int64_t key_pos,
                                        std::int64_t max_relative_position) noexcept {
  return std::clamp(key_pos - query_pos, -max_relative_position, max_relative_position) +
         max_relative_position;
}

/// Writes id(i, j) for query i at q_offset + i and key j into out [q_len, k_len].
[[nodiscard]] inline status shaw_relative_ids(const shaw_config& cfg, std::int64_t q_len,
                                              std::int64_t k_len, std::int64_t q_offset,
                                              view2<std::int64_t> out) noexcept {
  POSENC_TRY(detail::check_shaw_config(cfg));
  POSENC_TRY(detail::check_bias_extents("shaw", q_len, k_len, q_offset));
  POSENC_TRY(detail::check_matrix_out("shaw", out, q_len, k_len));
  detail::fill_toeplitz_ids(out, [&](std::int64_t d) {
    return shaw_relative_id(q_offset, d, cfg.max_relative_position);  // key - query = d - o
  });
  return {};
}

/// Shaw relative attention for one layer (models ScoreEncoder). Immutable once made.
class shaw {
 public:
  using config_type = shaw_config;
  static constexpr encoder_family family = encoder_family::score;

  /// An encoder over the caller's tables W^K, W^V [2k + 1, head_dim], which must outlive it.
  [[nodiscard]] static result<shaw> make(const shaw_config& cfg, view2<const float> wk,
                                         view2<const float> wv) noexcept {
    return make_with(cfg, detail::matrix_storage(wk), detail::matrix_storage(wv));
  }

  /// An encoder that owns its tables W^K, W^V [2k + 1, head_dim].
  [[nodiscard]] static result<shaw> make(const shaw_config& cfg, row_major_matrix<float> wk,
                                         row_major_matrix<float> wv) noexcept {
    return make_with(cfg, detail::matrix_storage(std::move(wk)),
                     detail::matrix_storage(std::move(wv)));
  }

  /// The configuration it was made from.
  const shaw_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "shaw".
  static constexpr std::string_view name() noexcept { return "shaw"; }
  /// The factor tensor2tensor applies to q . (k + a^K): 1 / sqrt(head_dim).
  double scale() const noexcept { return 1.0 / std::sqrt(static_cast<double>(cfg_.head_dim)); }
  /// W^K [2k + 1, head_dim].
  view2<const float> key_table() const noexcept { return wk_.view(); }
  /// W^V [2k + 1, head_dim].
  view2<const float> value_table() const noexcept { return wv_.view(); }

  /// The checks add_scores runs before it writes: an error here means add_scores would fail.
  [[nodiscard]] status check_scores(view3<const float> q, view3<const float> k,
                                    std::int64_t q_offset, view3<float> logits) const noexcept {
    POSENC_TRY(validate(k, "k"));
    if (k.n2 != cfg_.head_dim) {
      return make_error(errc::shape_mismatch, "shaw: k has head_dim ", k.n2, ", expected ",
                        cfg_.head_dim);
    }
    return check_heads(q, "q", logits, "logits", k.n0, q_offset);
  }

  /// logits[h, i, j] += q[i, h] . W^K[id(i, j)] for q [Q, H, d], logits [H, Q, K]; k gives K.
  [[nodiscard]] status add_scores(view3<const float> q, view3<const float> k, std::int64_t q_offset,
                                  view3<float> logits) const noexcept {
    POSENC_TRY(check_scores(q, k, q_offset, logits));
    const view2<const float> wk = key_table();
    const detail::table_rows table{wk.data, wk.stride, wk.cols};
    const std::int64_t kmax = cfg_.max_relative_position;
    for (std::int64_t h = 0; h < logits.n0; ++h) {
      for (std::int64_t i = 0; i < q.n0; ++i) {
        const std::int64_t qp = q_offset + i;
        detail::add_gathered_dots(
            table, q.row(i, h), nullptr, 0,
            [&](std::int64_t j) { return shaw_relative_id(qp, j, kmax); }, logits.n2,
            logits.row(h, i), 1);
      }
    }
    return {};
  }

  /// out[i, h] += sum_j weights[h, i, j] W^V[id(i, j)] for attention weights [H, Q, K] and
  /// out [Q, H, d] (the a^V term of z_i; the caller adds sum_j alpha_ij v_j).
  [[nodiscard]] status add_value_terms(view3<const float> weights, std::int64_t q_offset,
                                       view3<float> out) const noexcept {
    POSENC_TRY(validate(weights, "weights"));
    POSENC_TRY(check_heads(out, "out", weights, "weights", weights.n2, q_offset));
    const view2<const float> wv = value_table();
    const std::int64_t kmax = cfg_.max_relative_position;
    for (std::int64_t h = 0; h < weights.n0; ++h) {
      for (std::int64_t i = 0; i < weights.n1; ++i) {
        const float* a = weights.row(h, i);
        Eigen::Map<Eigen::RowVectorXf> z(out.row(i, h), cfg_.head_dim);
        // Ids are monotone in j: sum the weights of each run of one id, then one axpy per id.
        std::int64_t j = 0;
        while (j < weights.n2) {
          const std::int64_t id = shaw_relative_id(q_offset + i, j, kmax);
          float run = 0.0f;
          for (; j < weights.n2 && shaw_relative_id(q_offset + i, j, kmax) == id; ++j) run += a[j];
          z += run * Eigen::Map<const Eigen::RowVectorXf>(wv.row(id), cfg_.head_dim);
        }
      }
    }
    return {};
  }

 private:
  shaw(shaw_config cfg, detail::matrix_storage wk, detail::matrix_storage wv) noexcept
      : cfg_(cfg), wk_(std::move(wk)), wv_(std::move(wv)) {}

  static result<shaw> make_with(const shaw_config& cfg, detail::matrix_storage wk,
                                detail::matrix_storage wv) noexcept {
    POSENC_TRY(detail::check_shaw_config(cfg));
    POSENC_TRY(check_table(cfg, wk.view(), "W^K"));
    POSENC_TRY(check_table(cfg, wv.view(), "W^V"));
    return shaw(cfg, std::move(wk), std::move(wv));
  }

  static status check_table(const shaw_config& cfg, view2<const float> t,
                            std::string_view what) noexcept {
    POSENC_TRY(validate(t, what));
    const std::int64_t rows = 2 * cfg.max_relative_position + 1;
    if (t.rows != rows || t.cols != cfg.head_dim) {
      return make_error(errc::shape_mismatch, "shaw: ", what, " is [", t.rows, ", ", t.cols,
                        "], expected [2k + 1 = ", rows, ", head_dim = ", cfg.head_dim, "]");
    }
    return {};
  }

  // x [Q, H, d] against a [H, Q, keys] tensor y, plus the query-position range.
  template <class X, class Y>
  status check_heads(const view3<X>& x, std::string_view xn, const view3<Y>& y,
                     std::string_view yn, std::int64_t keys, std::int64_t q_offset) const noexcept {
    POSENC_TRY(validate(x, xn));
    POSENC_TRY(validate(y, yn));
    if (x.n2 != cfg_.head_dim) {
      return make_error(errc::shape_mismatch, "shaw: ", xn, " has head_dim ", x.n2,
                        ", expected ", cfg_.head_dim);
    }
    if (y.n0 != x.n1 || y.n1 != x.n0 || y.n2 != keys) {
      return make_error(errc::shape_mismatch, "shaw: ", yn, " is [", y.n0, ", ", y.n1, ", ",
                        y.n2, "], expected [heads = ", x.n1, ", Q = ", x.n0, ", K = ", keys, "]");
    }
    return detail::check_bias_extents("shaw", x.n0, keys, q_offset);
  }

  shaw_config cfg_;
  detail::matrix_storage wk_, wv_;
};

}  // namespace posenc
