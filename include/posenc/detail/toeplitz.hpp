// Internal: filling [heads, Q, K] blocks whose entries depend on the key-query distance only.
//
// T5 and ALiBi biases (and T5 bucket ids) are Toeplitz in (i, j): entry (h, i, j) is a function
// of d = j - i. Row 0 holds d = 0 .. K-1; row i is row i-1 shifted right by one with a new
// entry d = -i at its front. So every value is computed once per distance (Q + K - 1 of them,
// for all heads at once) and the rest of the block is plain copies from the row just written,
// which is still in cache: the fill runs at the speed of writing the output.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "../tensor.hpp"

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

/// Checks that out is a well-formed [heads, q_len, k_len] view.
template <class T>
status check_bias_out(std::string_view who, const view3<T>& out, std::int64_t heads,
                      std::int64_t q_len, std::int64_t k_len) noexcept {
  POSENC_TRY(validate(out, "out"));
  if (out.n0 != heads || out.n1 != q_len || out.n2 != k_len) {
    return make_error(errc::shape_mismatch, who, ": out has shape [", out.n0, ", ", out.n1, ", ",
                      out.n2, "], expected [heads, Q, K] = [", heads, ", ", q_len, ", ", k_len,
                      "]");
  }
  return {};
}

/// Fills out[h, i, j] = value of distance j - i for every head h. `edge(d, dst, stride)` writes
/// the value of distance d for head h to dst[h * stride] for h < out.n0. out must be validated
/// (rows do not overlap), with a contiguous last dimension.
template <class T, class Edge>
void fill_toeplitz(const view3<T>& out, Edge&& edge) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::int64_t heads = out.n0, rows = out.n1, cols = out.n2;
  if (heads == 0 || rows == 0 || cols == 0) return;
  T* row0 = out.row(0, 0);
  for (std::int64_t j = 0; j < cols; ++j) edge(j, row0 + j, out.s0);
  const auto shifted = static_cast<std::size_t>(cols - 1) * sizeof(T);
  for (std::int64_t i = 1; i < rows; ++i) {
    edge(-i, out.row(0, i), out.s0);
    for (std::int64_t h = 0; h < heads; ++h) {
      std::memcpy(out.row(h, i) + 1, out.row(h, i - 1), shifted);
    }
  }
}

}  // namespace posenc::detail
