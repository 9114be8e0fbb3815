// attention_logits: the pre-softmax attention scores of any encoder, one entry point per family.
//
//     score encoders (Shaw, XLNet, DeBERTa):   S = scale * (q k^T + encoder terms)
//     bias encoders (T5, ALiBi):               S = scale * q k^T + bias
//     rotary encoders (RoPE, FoPE):            S = scale * (R_{o+i} q_i) . (R_j k_j)
//
// q is [Q, Hq, d], k is [K, Hk, d] with Hq a multiple of Hk (GQA: query head h reads key head
// h / (Hq / Hk)); logits is [Hq, Q, K]; query i sits at position q_offset + i, key j at j.
// `scale` is what the model multiplies q . k by (1/sqrt(d) for most; a score encoder's scale()
// for its own convention; 1 for T5). This is the generic helper the tests compare every
// encoder through against one float64 softmax-attention reference; it is not a fused kernel:
// rotary encoders rotate copies of q and k (allocated here), and the q k^T products go through
// Eigen's GEMM.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "concepts.hpp"
#include "detail/toeplitz.hpp"
#include "status.hpp"
#include "tensor.hpp"

namespace posenc {

namespace detail {

// logits[h, i, j] = scale * q[i, h] . k[j, h / group] (+ logits[h, i, j] when accumulate).
inline void add_qk(view3<const float> q, view3<const float> k, double scale, bool accumulate,
                   view3<float> logits) noexcept {
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using cmap = Eigen::Map<const row_major, Eigen::Unaligned, Eigen::OuterStride<>>;
  using map = Eigen::Map<row_major, Eigen::Unaligned, Eigen::OuterStride<>>;
  const std::int64_t group = q.n1 / k.n1;
  const auto s = static_cast<float>(scale);
  for (std::int64_t h = 0; h < q.n1; ++h) {
    cmap qh(q.row(0, h), q.n0, q.n2, Eigen::OuterStride<>(q.n0 > 1 ? q.s0 : q.n2));
    cmap kh(k.row(0, h / group), k.n0, k.n2, Eigen::OuterStride<>(k.n0 > 1 ? k.s0 : k.n2));
    map out(logits.row(h, 0), logits.n1, logits.n2,
            Eigen::OuterStride<>(logits.n1 > 1 ? logits.s1 : logits.n2));
    if (accumulate) {
      out.noalias() += s * (qh * kh.transpose());
    } else {
      out.noalias() = s * (qh * kh.transpose());
    }
  }
}

inline void scale_all(view3<float> t, double scale) noexcept {
  const auto s = static_cast<float>(scale);
  for (std::int64_t a = 0; a < t.n0; ++a) {
    for (std::int64_t b = 0; b < t.n1; ++b) {
      float* r = t.row(a, b);
      for (std::int64_t c = 0; c < t.n2; ++c) r[c] *= s;
    }
  }
}

inline status check_attention(view3<const float> q, view3<const float> k, std::int64_t q_offset,
                              view3<float> logits) noexcept {
  POSENC_TRY(validate(q, "q"));
  POSENC_TRY(validate(k, "k"));
  POSENC_TRY(validate(logits, "logits"));
  if (q.n2 != k.n2) {
    return make_error(errc::shape_mismatch, "attention_logits: q has head_dim ", q.n2,
                      " but k has ", k.n2);
  }
  if (k.n1 <= 0 || q.n1 % k.n1 != 0) {
    return make_error(errc::shape_mismatch, "attention_logits: ", q.n1,
                      " query heads are not a multiple of ", k.n1, " key heads");
  }
  if (logits.n0 != q.n1 || logits.n1 != q.n0 || logits.n2 != k.n0) {
    return make_error(errc::shape_mismatch, "attention_logits: logits is [", logits.n0, ", ",
                      logits.n1, ", ", logits.n2, "], expected [", q.n1, ", ", q.n0, ", ", k.n0,
                      "]");
  }
  // Bounds q_offset + i (rotary positions) far from overflow.
  return check_bias_extents("attention_logits", q.n0, k.n0, q_offset);
}

// A contiguous copy of a view3, for encoders that rotate in place.
inline std::vector<float> copy_rows(view3<const float> x) {
  std::vector<float> out(static_cast<std::size_t>(x.n0 * x.n1 * x.n2));
  for (std::int64_t a = 0; a < x.n0; ++a) {
    for (std::int64_t b = 0; b < x.n1; ++b) {
      std::copy_n(x.row(a, b), x.n2, out.data() + (a * x.n1 + b) * x.n2);
    }
  }
  return out;
}

}  // namespace detail

/// Pre-softmax scores [Hq, Q, K] of encoder e for q [Q, Hq, d] and k [K, Hk, d] (see above).
template <PositionEncoder E>
[[nodiscard]] status attention_logits(const E& e, view3<const float> q, view3<const float> k,
                                      std::int64_t q_offset, double scale,
                                      view3<float> logits) noexcept {
  // Every check, the encoder's included, runs before logits is written.
  POSENC_TRY(detail::check_attention(q, k, q_offset, logits));
  if constexpr (ScoreEncoder<E>) {
    POSENC_TRY(e.check_scores(q, k, q_offset, logits));
    detail::add_qk(q, k, 1.0, /*accumulate=*/false, logits);
    POSENC_TRY(e.add_scores(q, k, q_offset, logits));
    detail::scale_all(logits, scale);
  } else if constexpr (BiasEncoder<E>) {
    // bias() checks, then writes every entry; q . k goes on top.
    POSENC_TRY(e.bias(q.n0, k.n0, q_offset, logits));
    detail::add_qk(q, k, scale, /*accumulate=*/true, logits);
  } else if constexpr (RotaryEncoder<E>) {
    std::vector<float> qr = detail::copy_rows(q), kr = detail::copy_rows(k);
    std::vector<std::int64_t> qpos(static_cast<std::size_t>(q.n0)), kpos(static_cast<std::size_t>(k.n0));
    for (std::int64_t i = 0; i < q.n0; ++i) qpos[static_cast<std::size_t>(i)] = q_offset + i;
    for (std::int64_t j = 0; j < k.n0; ++j) kpos[static_cast<std::size_t>(j)] = j;
    const view3<float> qv = heads_view(qr.data(), q.n0, q.n1, q.n2);
    const view3<float> kv = heads_view(kr.data(), k.n0, k.n1, k.n2);
    POSENC_TRY(e.rotate(qv, qpos));
    POSENC_TRY(e.rotate(kv, kpos));
    detail::add_qk(qv, kv, scale, /*accumulate=*/false, logits);
  } else {
    static_assert(ScoreEncoder<E> || BiasEncoder<E> || RotaryEncoder<E>,
                  "attention_logits: absolute encoders are added to embeddings, not to scores");
  }
  return {};
}

}  // namespace posenc
