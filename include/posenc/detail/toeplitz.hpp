// Internal: filling [heads, Q, K] blocks whose entries depend on the key-query distance only.
//
// T5 and ALiBi biases (and T5 bucket ids) are Toeplitz in (i, j): entry (h, i, j) is a function
// of d = j - i. A tile of r rows and c columns holds the r + c - 1 distances of one "line", so
// each head's line is computed once per tile into a small stack buffer and every row of the
// tile is one copy out of it (kernels::copy_rows_kernel: one call per tile and head). The
// copies write each head's rows in address order and read from L1, so the fill runs near the
// speed of writing the output; the per-distance work (a T5 bucket, an ALiBi product) is done
// for a group of heads at once, not per entry.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "../kernels/dispatch.hpp"
#include "../tensor.hpp"
#include "values.hpp"

namespace posenc::detail {

/// Largest query/key length and |query offset| bias calls accept: every distance
/// j - (q_offset + i) then lies in (-2^53, 2^53), exact in double and far from int64 overflow.
inline constexpr std::int64_t max_bias_extent = std::int64_t{1} << 51;

/// Checks q_len, k_len and q_offset against max_bias_extent; `who` prefixes the message.
inline status check_bias_extents(std::string_view who, std::int64_t q_len, std::int64_t k_len,
                                 std::int64_t q_offset) noexcept {
  if (q_len < 0 || q_len > max_bias_extent || k_len < 0 || k_len > max_bias_extent) {
    return make_error(errc::invalid_argument, who, ": q_len and k_len must be in [0, 2^51], got ",
                      q_len, " and ", k_len);
  }
  if (q_offset < -max_bias_extent || q_offset > max_bias_extent) {
    return make_error(errc::out_of_range, who, ": query offset must be in [-2^51, 2^51], got ",
                      q_offset);
  }
  return {};
}

/// Checks that out (named `what`: out, logits) is a well-formed [heads, q_len, k_len] view.
template <class T>
status check_bias_out(std::string_view who, std::string_view what, const view3<T>& out,
                      std::int64_t heads, std::int64_t q_len, std::int64_t k_len) noexcept {
  POSENC_TRY(validate(out, what));
  if (out.n0 != heads || out.n1 != q_len || out.n2 != k_len) {
    return make_error(errc::shape_mismatch, who, ": ", what, " has shape [", out.n0, ", ", out.n1,
                      ", ", out.n2, "], expected [heads, Q, K] = [", heads, ", ", q_len, ", ",
                      k_len, "]");
  }
  return {};
}

/// Checks that out is a well-formed [q_len, k_len] matrix (relative position ids).
template <class T>
status check_matrix_out(std::string_view who, const view2<T>& out, std::int64_t q_len,
                        std::int64_t k_len) noexcept {
  POSENC_TRY(validate(out, "out"));
  if (out.rows != q_len || out.cols != k_len) {
    return make_error(errc::shape_mismatch, who, ": out has shape [", out.rows, ", ", out.cols,
                      "], expected [Q, K] = [", q_len, ", ", k_len, "]");
  }
  return {};
}

/// Bytes of stack fill_toeplitz uses for its lines (no call allocates; DESIGN.md).
inline constexpr std::size_t toeplitz_scratch_bytes = 16384;

/// Fills out[h, i, j] = value of distance j - i for every head h. `edge(d, dst, stride, h0, h1)`
/// writes the value of distance d for heads h0 <= h < h1 to dst[(h - h0) * stride]. out must
/// be validated (rows do not overlap), with a contiguous last dimension.
template <class T, class Edge>
void fill_toeplitz(const view3<T>& out, Edge&& edge) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  constexpr auto cap = static_cast<std::int64_t>(toeplitz_scratch_bytes / sizeof(T));
  const std::int64_t heads = out.n0, rows = out.n1, cols = out.n2, row_stride = out.s1;
  if (heads == 0 || rows == 0 || cols == 0) return;
  // Tiles of at most cap / 2 rows and columns, so one head's line (r + c - 1 values) fits;
  // as many heads as fit share a pass over the distances.
  const std::int64_t tile_cols = std::min(cols, cap / 2), tile_rows = std::min(rows, cap / 2);
  const std::int64_t group = std::max<std::int64_t>(1, cap / (tile_rows + tile_cols - 1));
  T line[cap];
  constexpr auto elem = static_cast<std::int64_t>(sizeof(T));
  // A single row's stride may be anything (validate does not bound it): never multiply it.
  const std::int64_t row_bytes = rows > 1 ? row_stride * elem : 0;
  const kernels::copy_rows_fn copy = kernels::copy_rows_kernel();
  for (std::int64_t j0 = 0; j0 < cols; j0 += tile_cols) {
    const std::int64_t c = std::min(tile_cols, cols - j0);
    for (std::int64_t i0 = 0; i0 < rows; i0 += tile_rows) {
      const std::int64_t r = std::min(tile_rows, rows - i0);
      const std::int64_t len = r + c - 1;
      const std::int64_t d_min = j0 - (i0 + r - 1);  // the distance at line[0]
      for (std::int64_t h0 = 0; h0 < heads; h0 += group) {
        const std::int64_t h1 = std::min(heads, h0 + group);
        for (std::int64_t k = 0; k < len; ++k) edge(d_min + k, line + k, len, h0, h1);
        for (std::int64_t h = h0; h < h1; ++h) {
          // Row i0 + i starts at distance j0 - i0 - i, which is line index r - 1 - i.
          const T* head_line = line + (h - h0) * len + (r - 1);
          copy(reinterpret_cast<unsigned char*>(out.row(h, i0) + j0), row_bytes,
               reinterpret_cast<const unsigned char*>(head_line), -elem, r,
               c * elem);
        }
      }
    }
  }
}

/// Fills the [Q, K] matrix out with id(j - i): one head of fill_toeplitz.
template <class Id>
void fill_toeplitz_ids(const view2<std::int64_t>& out, Id&& id) noexcept {
  const view3<std::int64_t> block{out.data, 1, out.rows, out.cols, 0, out.stride};
  fill_toeplitz(block, [&](std::int64_t d, std::int64_t* dst, std::int64_t, std::int64_t,
                           std::int64_t) { *dst = id(d); });
}

}  // namespace posenc::detail
