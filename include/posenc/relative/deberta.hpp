// DeBERTa disentangled attention (He et al., arXiv 2006.03654; v3: arXiv 2111.09543).
//
// Query i sits at position o + i (o = q_offset), key j at j; r(i, j) = (o + i) - j. With
// projected relative tables Kr = P W_k^T + b_k and Qr = P W_q^T + b_q and span s:
//
//     delta(i, j) = clamp(bucket(r) + s, 0, 2s - 1)                (row of the span window)
//     c2p[i, j]   = q_i . Kr[delta(i, j)]
//     p2c[i, j]   = k_j . Qr[delta(i, j)]           <- the SAME index as c2p (DeBERTa #162)
//     A[i, j]     = (q_i . k_j + c2p + p2c) / sqrt(d_h * scale_factor)
//
// bucket(r) = r without log buckets; with b = position_buckets, mid = b / 2 and
// k = max_relative_positions (make_log_bucket_position):
//     |r| <= mid:  r                                                  (the exact region)
//     else:        sign(r) * (mid + ceil(ln(|r| / mid) / ln((k - 1) / mid) * (mid - 1)))
// Hugging Face lets far buckets grow; the official code first clamps r to +-(k - 1), so they
// saturate at +-(2 mid - 1) (deberta_reference). Spans: v1 is dynamic, s = min(max(Lq, Lk), k),
// reading rows [k - s, k + s) of a 2k-row P; v2/v3 is fixed, s = b (or k when b = 0), 2s rows.
// scale_factor = 1 + #{c2p, p2c} (HF v2), also counting p2p in v1 and the official code.
// Matches transformers' modeling_deberta (v1) and modeling_deberta_v2 DisentangledSelfAttention
// (disentangled_att_bias / disentangled_attention_bias, build_relative_position,
// make_log_bucket_position), and microsoft/DeBERTa disentangled_attention.py / da_utils.py.
// Buckets are computed in double; HF's float32 agrees inside |r| < k (spec/encodings.md §6c).
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
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// DeBERTa generation: v1 (dynamic span, no buckets) or v2/v3 (fixed span, log buckets).
enum class deberta_version : std::uint8_t { v1, v2 };

/// Whose behaviour to follow where the references differ (spec/encodings.md P8).
enum class deberta_reference : std::uint8_t {
  hf,        ///< transformers: far buckets keep growing; v2 scale_factor ignores p2p
  official,  ///< microsoft/DeBERTa: r clamped to +-(k - 1) first; p2p counts in scale_factor
};

/// Parameters of DeBERTa disentangled attention (Hugging Face names).
struct deberta_config {
  deberta_version version = deberta_version::v2;
  std::int64_t max_relative_positions = 512;  ///< k (HF's -1 means max_position_embeddings)
  std::int64_t position_buckets = 0;          ///< b; 0: no log buckets (always 0 for v1)
  bool c2p = true;                            ///< pos_att_type has c2p
  bool p2c = true;                            ///< pos_att_type has p2c
  bool p2p = false;                           ///< pos_att_type has p2p (counts in scale only)
  std::int64_t heads = 1;                     ///< num_attention_heads
  std::int64_t head_dim = 0;                  ///< d_h
  deberta_reference reference = deberta_reference::hf;
};

namespace detail {

inline status check_deberta_positions(const deberta_config& c) noexcept {
  const std::int64_t k = c.max_relative_positions, b = c.position_buckets;
  if (k <= 0 || k > (std::int64_t{1} << 30)) {
    return make_error(errc::invalid_argument,
                      "deberta: max_relative_positions must be in [1, 2^30], got ", k);
  }
  if (b < 0 || b > (std::int64_t{1} << 30)) {
    return make_error(errc::invalid_argument, "deberta: position_buckets must be in [0, 2^30], got ",
                      b);
  }
  if (c.version == deberta_version::v1 && b != 0) {
    return make_error(errc::invalid_argument,
                      "deberta: v1 has no log buckets, got position_buckets ", b);
  }
  if (b > 0 && (b < 2 || k - 1 <= b / 2)) {
    return make_error(errc::invalid_argument, "deberta: log buckets need position_buckets >= 2 and "
                      "max_relative_positions - 1 > position_buckets / 2, got position_buckets ",
                      b, " and max_relative_positions ", k);
  }
  return {};
}

}  // namespace detail

/// The log bucket of relative position r (make_log_bucket_position) for b buckets and k
/// max_relative_positions; requires b >= 2 and k - 1 > b / 2.
inline std::int64_t deberta_log_bucket(std::int64_t r, std::int64_t b, std::int64_t k,
                                       deberta_reference ref = deberta_reference::hf) noexcept {
  const std::int64_t mid = b / 2;
  if (ref == deberta_reference::official) r = std::clamp(r, -(k - 1), k - 1);
  const std::int64_t a = r < 0 ? -r : r;
  if (a <= mid) return r;
  const double md = static_cast<double>(mid);
  const double grow = std::ceil(std::log(static_cast<double>(a) / md) /
                                std::log(static_cast<double>(k - 1) / md) * (md - 1.0));
  const auto bucket = mid + static_cast<std::int64_t>(grow);
  return r < 0 ? -bucket : bucket;
}

/// The relative position DeBERTa uses for a query and key position: bucket(query - key).
inline std::int64_t deberta_relative_position(const deberta_config& cfg, std::int64_t query_pos,
                                              std::int64_t key_pos) noexcept {
  const std::int64_t r = query_pos - key_pos;
  if (cfg.position_buckets <= 0) return r;
  return deberta_log_bucket(r, cfg.position_buckets, cfg.max_relative_positions, cfg.reference);
}

/// Writes bucket((q_offset + i) - j) into out [q_len, k_len] (build_relative_position).
[[nodiscard]] inline status deberta_relative_positions(const deberta_config& cfg,
                                                       std::int64_t q_len, std::int64_t k_len,
                                                       std::int64_t q_offset,
                                                       view2<std::int64_t> out) noexcept {
  POSENC_TRY(detail::check_deberta_positions(cfg));
  POSENC_TRY(detail::check_bias_extents("deberta", q_len, k_len, q_offset));
  POSENC_TRY(detail::check_matrix_out("deberta", out, q_len, k_len));
  detail::fill_toeplitz_ids(out, [&](std::int64_t d) {
    return deberta_relative_position(cfg, q_offset, d);  // query - key = o - d
  });
  return {};
}

/// The attention span s: v1 min(max(q_len, k_len, 1), k) (dynamic), v2 b or k (fixed); at
/// least 1 for any lengths, so the span window is never empty.
constexpr std::int64_t deberta_span(const deberta_config& cfg, std::int64_t q_len,
                                    std::int64_t k_len) noexcept {
  if (cfg.version == deberta_version::v1) {
    return std::min(std::max({q_len, k_len, std::int64_t{1}}), cfg.max_relative_positions);
  }
  return cfg.position_buckets > 0 ? cfg.position_buckets : cfg.max_relative_positions;
}

/// Rows of the relative embedding table P: 2k (v1) or 2s (v2).
constexpr std::int64_t deberta_table_rows(const deberta_config& cfg) noexcept {
  return 2 * (cfg.version == deberta_version::v1 ? cfg.max_relative_positions
                                                 : deberta_span(cfg, 0, 0));
}

/// The factor the logits are divided by the square root of (d_h * scale_factor).
constexpr std::int64_t deberta_scale_factor(const deberta_config& cfg) noexcept {
  const bool count_p2p = cfg.version == deberta_version::v1 || cfg.reference == deberta_reference::official;
  return 1 + cfg.c2p + cfg.p2c + (count_p2p && cfg.p2p);
}

/// The relative-embedding weights of one layer (torch layouts; views are read once, by make).
struct deberta_weights {
  view2<const float> rel_embeddings;  ///< P [deberta_table_rows, hidden], LayerNorm already applied
  view2<const float> key_proj;        ///< [heads * head_dim, hidden]: v1 pos_proj, v2 key_proj or pos_key_proj
  std::span<const float> key_bias;    ///< [heads * head_dim], or empty (v1 pos_proj has none)
  view2<const float> query_proj;      ///< [heads * head_dim, hidden]: v1 pos_q_proj, v2 query_proj or pos_query_proj
  std::span<const float> query_bias;  ///< [heads * head_dim], or empty
};

/// DeBERTa disentangled attention for one layer (models ScoreEncoder). Immutable once made.
class deberta {
 public:
  using config_type = deberta_config;
  static constexpr encoder_family family = encoder_family::score;

  /// Validates cfg and the weights' shapes, and projects P to Kr and Qr (Eigen products).
  [[nodiscard]] static result<deberta> make(const deberta_config& cfg,
                                            const deberta_weights& w) noexcept {
    POSENC_TRY(detail::check_deberta_positions(cfg));
    if (cfg.heads <= 0 || cfg.head_dim <= 0) {
      return make_error(errc::invalid_argument, "deberta: heads and head_dim must be positive, got ",
                        cfg.heads, " and ", cfg.head_dim);
    }
    if (cfg.heads > (std::int64_t{1} << 30) / cfg.head_dim) {
      return make_error(errc::invalid_argument,
                        "deberta: heads * head_dim must be at most 2^30, got ", cfg.heads, " * ",
                        cfg.head_dim);
    }
    POSENC_TRY(validate(w.rel_embeddings, "rel_embeddings"));
    const std::int64_t rows = deberta_table_rows(cfg);
    if (w.rel_embeddings.rows != rows) {
      return make_error(errc::shape_mismatch, "deberta: rel_embeddings has ", w.rel_embeddings.rows,
                        " rows, expected ", rows);
    }
    auto kr = project(cfg, cfg.c2p, w.rel_embeddings, w.key_proj, w.key_bias, "key_proj");
    if (!kr) return kr.error();
    auto qr = project(cfg, cfg.p2c, w.rel_embeddings, w.query_proj, w.query_bias, "query_proj");
    if (!qr) return qr.error();
    return deberta(cfg, std::move(*kr), std::move(*qr));
  }

  /// The configuration it was made from.
  const deberta_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "deberta".
  static constexpr std::string_view name() noexcept { return "deberta"; }
  /// 1 / sqrt(head_dim * scale_factor), the factor every term is multiplied by.
  double scale() const noexcept {
    return 1.0 / std::sqrt(static_cast<double>(cfg_.head_dim * deberta_scale_factor(cfg_)));
  }
  /// The projected key table Kr [rows, heads * head_dim] (empty without c2p).
  const row_major_matrix<float>& pos_key() const noexcept { return kr_; }
  /// The projected query table Qr [rows, heads * head_dim] (empty without p2c).
  const row_major_matrix<float>& pos_query() const noexcept { return qr_; }
  /// The row of P that query position qp and key position kp read, for lengths (q_len, k_len).
  std::int64_t table_row(std::int64_t qp, std::int64_t kp, std::int64_t q_len,
                         std::int64_t k_len) const noexcept {
    const std::int64_t s = deberta_span(cfg_, q_len, k_len);
    const std::int64_t base = cfg_.version == deberta_version::v1 ? cfg_.max_relative_positions - s : 0;
    return base + std::clamp(relative(qp - kp) + s, std::int64_t{0}, 2 * s - 1);
  }

  /// The checks add_scores runs before it writes: an error here means add_scores would fail.
  [[nodiscard]] status check_scores(view3<const float> q, view3<const float> k,
                                    std::int64_t q_offset, view3<float> logits) const noexcept {
    POSENC_TRY(check(q, "q"));
    POSENC_TRY(check(k, "k"));
    POSENC_TRY(detail::check_bias_out("deberta", "logits", logits, cfg_.heads, q.n0, k.n0));
    return detail::check_bias_extents("deberta", q.n0, k.n0, q_offset);
  }

  /// logits[h, i, j] += c2p + p2c for q [Q, H, d], k [K, H, d], logits [H, Q, K]. The v1 span
  /// uses Lq = q_offset + Q, so splitting self-attention rows across threads gives one span.
  [[nodiscard]] status add_scores(view3<const float> q, view3<const float> k, std::int64_t q_offset,
                                  view3<float> logits) const noexcept {
    POSENC_TRY(check_scores(q, k, q_offset, logits));
    const std::int64_t lq = q_offset + q.n0, lk = k.n0, w = cfg_.heads * cfg_.head_dim;
    for (std::int64_t h = 0; h < cfg_.heads; ++h) {
      if (cfg_.c2p) {
        const detail::table_rows t{kr_.data() + h * cfg_.head_dim, w, cfg_.head_dim};
        for (std::int64_t i = 0; i < q.n0; ++i) {
          const std::int64_t qp = q_offset + i;
          detail::add_gathered_dots(
              t, q.row(i, h), nullptr, 0, [&](std::int64_t j) { return table_row(qp, j, lq, lk); },
              k.n0, logits.row(h, i), 1);
        }
      }
      if (cfg_.p2c) add_p2c(h, k, q_offset, lq, logits);
    }
    return {};
  }

 private:
  // Largest |r| whose bucket is tabulated (a 1 MiB table at most, whatever k is).
  static constexpr std::int64_t max_cached_distance = std::int64_t{1} << 16;
  // Key columns per p2c tile.
  static constexpr std::int64_t p2c_tile_keys = 16;

  deberta(deberta_config cfg, row_major_matrix<float> kr, row_major_matrix<float> qr)
      : cfg_(cfg), kr_(std::move(kr)), qr_(std::move(qr)) {
    // Buckets of r in [-n, n], n = min(k, max_cached_distance); beyond, deberta_log_bucket is
    // called.
    if (cfg_.position_buckets > 0) {
      const std::int64_t k = cfg_.max_relative_positions;
      cached_ = std::min(k, max_cached_distance);
      buckets_.resize(static_cast<std::size_t>(2 * cached_ + 1));
      for (std::int64_t r = -cached_; r <= cached_; ++r) {
        buckets_[static_cast<std::size_t>(r + cached_)] =
            deberta_log_bucket(r, cfg_.position_buckets, k, cfg_.reference);
      }
    }
  }

  std::int64_t relative(std::int64_t r) const noexcept {
    if (cfg_.position_buckets <= 0) return r;
    if (r >= -cached_ && r <= cached_) return buckets_[static_cast<std::size_t>(r + cached_)];
    return deberta_log_bucket(r, cfg_.position_buckets, cfg_.max_relative_positions, cfg_.reference);
  }

  // p2c of head h. Its shared vector is a key row, so it is gathered down a column; tiles of
  // p2c_tile_keys keys by gather_chunk_rows queries are gathered into a stack buffer laid out
  // by query and then added to logits a row at a time, not a column at a time.
  void add_p2c(std::int64_t h, const view3<const float>& k, std::int64_t q_offset,
               std::int64_t lq, const view3<float>& logits) const noexcept {
    constexpr std::int64_t tq = detail::gather_chunk_rows, tk = p2c_tile_keys;
    const std::int64_t lk = k.n0;
    const detail::table_rows t{qr_.data() + h * cfg_.head_dim, cfg_.heads * cfg_.head_dim,
                               cfg_.head_dim};
    alignas(64) float tile[tq * tk];
    for (std::int64_t i0 = 0; i0 < logits.n1; i0 += tq) {
      const std::int64_t nq = std::min(tq, logits.n1 - i0);
      for (std::int64_t j0 = 0; j0 < lk; j0 += tk) {
        const std::int64_t nk = std::min(tk, lk - j0);
        std::fill_n(tile, nq * tk, 0.0f);
        for (std::int64_t c = 0; c < nk; ++c) {
          detail::add_gathered_dots(
              t, k.row(j0 + c, h), nullptr, 0,
              [&](std::int64_t i) { return table_row(q_offset + i0 + i, j0 + c, lq, lk); }, nq,
              tile + c, tk);
        }
        for (std::int64_t i = 0; i < nq; ++i) {
          float* out = logits.row(h, i0 + i) + j0;
          const float* in = tile + i * tk;
          for (std::int64_t c = 0; c < nk; ++c) out[c] += in[c];
        }
      }
    }
  }

  // P W^T + b, or an empty matrix when the term is off.
  static result<row_major_matrix<float>> project(const deberta_config& cfg, bool used,
                                                 view2<const float> p, view2<const float> wt,
                                                 std::span<const float> bias,
                                                 std::string_view what) noexcept {
    if (!used) return row_major_matrix<float>();
    POSENC_TRY(validate(wt, what));
    const std::int64_t out = cfg.heads * cfg.head_dim;
    if (wt.rows != out || wt.cols != p.cols) {
      return make_error(errc::shape_mismatch, "deberta: ", what, " is [", wt.rows, ", ", wt.cols,
                        "], expected [heads * head_dim = ", out, ", hidden = ", p.cols, "]");
    }
    if (!bias.empty() && static_cast<std::int64_t>(bias.size()) != out) {
      return make_error(errc::shape_mismatch, "deberta: ", what, " bias has ", bias.size(),
                        " entries, expected ", out);
    }
    row_major_matrix<float> m = as_eigen(p) * as_eigen(wt).transpose();
    if (!bias.empty()) {
      m.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), out);
    }
    return m;
  }

  status check(const view3<const float>& x, std::string_view what) const noexcept {
    return detail::check_head_layout("deberta", x, what, cfg_.heads, cfg_.head_dim);
  }

  deberta_config cfg_;
  row_major_matrix<float> kr_, qr_;
  std::int64_t cached_ = 0;             // buckets_ holds r in [-cached_, cached_]
  std::vector<std::int64_t> buckets_;
};

}  // namespace posenc
