// Internal pieces shared by the relative encoders (Shaw, XLNet, DeBERTa): argument checks and
// the gathered dot products behind Shaw's a^K term, DeBERTa's c2p/p2c and XLNet's position
// term. Not for direct inclusion by users.
//
// Each of those terms is out[t] += x . T[idx(t)] (+ bias[idx(t)]) for a run of logits t that
// share one vector x (a query row or a key row) and a row index idx(t) into a table T of
// projected relative embeddings. idx is monotone in t (it is a clipped or bucketed distance),
// so the rows a run touches form one contiguous block. The block is multiplied by x once per
// distinct row with an Eigen matrix-vector product, in chunks held on the stack, and the
// products are gathered into out: cost min(run, rows) * d multiply-adds, no allocation.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "../config.hpp"
#include "../status.hpp"
#include "../tensor.hpp"
#include "toeplitz.hpp"

namespace posenc::detail {

/// Checks that x (named `what`) is a well-formed [tokens, heads, head_dim] view.
inline status check_head_layout(std::string_view who, const view3<const float>& x,
                                std::string_view what, std::int64_t heads,
                                std::int64_t head_dim) noexcept {
  POSENC_TRY(validate(x, what));
  if (x.n1 != heads || x.n2 != head_dim) {
    return make_error(errc::shape_mismatch, who, ": ", what, " has [heads, head_dim] [", x.n1, ", ",
                      x.n2, "], expected [", heads, ", ", head_dim, "]");
  }
  return {};
}

/// A row-major float table [rows, cols] with a row stride, seen through one head's columns.
struct table_rows {
  const float* data = nullptr;  ///< row 0 of the head's columns
  std::int64_t stride = 0;      ///< elements between rows
  std::int64_t cols = 0;        ///< columns used (the head dim)
};

/// Rows whose products are held on the stack at once.
inline constexpr std::int64_t gather_chunk_rows = 256;

/// out[t * out_stride] += x . T[idx(t)] (+ bias[idx(t) * bias_stride] when bias is not null)
/// for t in [0, n); idx must be monotone (either direction) with values inside the table.
template <class Index>
void add_gathered_dots(const table_rows& table, const float* x, const float* bias,
                       std::int64_t bias_stride, Index&& idx, std::int64_t n, float* out,
                       std::int64_t out_stride) noexcept {
  if (n <= 0) return;
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using const_block = Eigen::Map<const row_major, Eigen::Unaligned, Eigen::OuterStride<>>;
  const Eigen::Map<const Eigen::VectorXf> xv(x, table.cols);
  alignas(64) float buf[gather_chunk_rows];
  const std::int64_t last = idx(n - 1);
  const bool ascending = idx(0) <= last;
  std::int64_t t = 0;
  while (t < n) {
    const std::int64_t first = idx(t);
    const std::int64_t lo = ascending ? first : std::max(last, first - gather_chunk_rows + 1);
    const std::int64_t hi = ascending ? std::min(last, first + gather_chunk_rows - 1) : first;
    const std::int64_t rows = hi - lo + 1;
    const_block block(table.data + lo * table.stride, rows, table.cols,
                      Eigen::OuterStride<>(table.stride));
    Eigen::Map<Eigen::VectorXf> prod(buf, rows);
    prod.noalias() = block * xv;
    if (bias != nullptr) {
      for (std::int64_t r = 0; r < rows; ++r) buf[r] += bias[(lo + r) * bias_stride];
    }
    for (; t < n; ++t) {
      const std::int64_t i = idx(t);
      if (i < lo || i > hi) break;
      out[t * out_stride] += buf[i - lo];
    }
  }
}

}  // namespace posenc::detail
