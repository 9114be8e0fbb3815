// Strided views over user buffers, and Eigen adaptors. Views never own memory.
//
// view3<T> is a [n0, n1, n2] tensor whose last dimension is contiguous; the two outer
// dimensions have element strides s0 and s1 (any order, so [tokens, heads, dim] over a
// [heads, tokens, dim] buffer is a view too). view2<T> is a row-major matrix with a row stride.
// validate() checks that a view is well formed and that no two rows overlap, which the
// in-place kernels rely on.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "status.hpp"

namespace posenc {

/// A [n0, n1, n2] view with a contiguous last dimension; e.g. q as [tokens, heads, head_dim].
template <class T>
struct view3 {
  T* data = nullptr;
  std::int64_t n0 = 0, n1 = 0, n2 = 0;  ///< extents
  std::int64_t s0 = 0, s1 = 0;          ///< element strides of dimensions 0 and 1

  /// Pointer to the contiguous row (i0, i1).
  T* row(std::int64_t i0, std::int64_t i1) const noexcept { return data + i0 * s0 + i1 * s1; }
  /// Read-only version of this view.
  operator view3<const T>() const noexcept { return {data, n0, n1, n2, s0, s1}; }
};

/// A row-major [rows, cols] matrix view with a row stride (elements).
template <class T>
struct view2 {
  T* data = nullptr;
  std::int64_t rows = 0, cols = 0;
  std::int64_t stride = 0;

  /// Pointer to row r.
  T* row(std::int64_t r) const noexcept { return data + r * stride; }
  /// Read-only version of this view.
  operator view2<const T>() const noexcept { return {data, rows, cols, stride}; }
};

/// A contiguous [tokens, heads, dim] view over p.
template <class T>
constexpr view3<T> heads_view(T* p, std::int64_t tokens, std::int64_t heads,
                              std::int64_t dim) noexcept {
  return {p, tokens, heads, dim, heads * dim, dim};
}

/// A contiguous [n0, n1, n2] view over p (same as heads_view, for non-token tensors).
template <class T>
constexpr view3<T> tensor_view(T* p, std::int64_t n0, std::int64_t n1, std::int64_t n2) noexcept {
  return heads_view(p, n0, n1, n2);
}

/// A contiguous row-major [rows, cols] view over p.
template <class T>
constexpr view2<T> matrix_view(T* p, std::int64_t rows, std::int64_t cols) noexcept {
  return {p, rows, cols, cols};
}

/// Rows [begin, end) of dimension 0, e.g. one thread's share of tokens.
template <class T>
constexpr view3<T> slice0(const view3<T>& v, std::int64_t begin, std::int64_t end) noexcept {
  POSENC_ASSERT(0 <= begin && begin <= end && end <= v.n0, "slice0 out of range");
  return {v.data + begin * v.s0, end - begin, v.n1, v.n2, v.s0, v.s1};
}

namespace detail {
inline bool mul_overflows(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r);
}
}  // namespace detail

/// Checks extents, strides and that distinct rows do not overlap. `what` names the tensor.
template <class T>
status validate(const view3<T>& v, std::string_view what) noexcept {
  if (v.n0 < 0 || v.n1 < 0 || v.n2 < 0) {
    return make_error(errc::shape_mismatch, what, ": negative extent [", v.n0, ", ", v.n1, ", ",
                      v.n2, "]");
  }
  if (v.n0 == 0 || v.n1 == 0 || v.n2 == 0) return {};
  if (v.data == nullptr) return make_error(errc::invalid_argument, what, ": null data pointer");
  if (v.s0 < 0 || v.s1 < 0) {
    return make_error(errc::shape_mismatch, what, ": negative stride (", v.s0, ", ", v.s1, ")");
  }
  // Sort the outer dimensions by stride; the inner one must step over a whole row and the
  // outer one over the whole inner block, unless it has a single entry.
  std::int64_t a = v.s1, na = v.n1, b = v.s0, nb = v.n0;
  if (b < a) std::swap(a, b), std::swap(na, nb);
  const bool inner_ok = na == 1 || a >= v.n2;
  if (detail::mul_overflows(na - 1, a) || detail::mul_overflows(nb - 1, b)) {
    return make_error(errc::shape_mismatch, what, ": strides (", v.s0, ", ", v.s1,
                      ") overflow the address range");
  }
  const std::int64_t inner_span = (na - 1) * a + v.n2;
  const bool outer_ok = nb == 1 || b >= inner_span;
  if (!inner_ok || !outer_ok) {
    return make_error(errc::shape_mismatch, what, ": strides (", v.s0, ", ", v.s1,
                      ") make rows of shape [", v.n0, ", ", v.n1, ", ", v.n2, "] overlap");
  }
  return {};
}

namespace detail {
/// floor(a / b) for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - (a % b < 0 ? 1 : 0);
}
}  // namespace detail

/// Checks that no row of a shares an element with a row of b (both validated, same element
/// type); the names prefix the message. Exact for views that step tokens (dimension 0) by the
/// same stride, as slices of one packed buffer do (q, k, v heads of a fused projection, in any
/// order or interleaving), or that have one token: rows (t, h) of a and (t', h') of b meet
/// depending on t - t' only, so each pair of heads is tested at the token offset that brings
/// them closest. Other views whose address ranges meet, and views with more than 2^20 pairs
/// of heads, are reported as possibly overlapping.
template <class A, class B>
status check_disjoint(std::string_view who, std::string_view a_name, const view3<A>& a,
                      std::string_view b_name, const view3<B>& b) noexcept {
  static_assert(std::is_same_v<std::remove_const_t<A>, std::remove_const_t<B>>);
  if (a.n0 == 0 || a.n1 == 0 || a.n2 == 0 || b.n0 == 0 || b.n1 == 0 || b.n2 == 0) return {};
  constexpr auto size = static_cast<std::int64_t>(sizeof(A));
  const auto bytes = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(b.data) -
                                               reinterpret_cast<std::uintptr_t>(a.data));
  const std::int64_t span_a = (a.n0 - 1) * a.s0 + (a.n1 - 1) * a.s1 + a.n2;
  const std::int64_t span_b = (b.n0 - 1) * b.s0 + (b.n1 - 1) * b.s1 + b.n2;
  if (bytes >= span_a * size || -bytes >= span_b * size) return {};  // address ranges apart
  // A one-token view's s0 never applies: take the other view's.
  const std::int64_t s = a.n0 > 1 ? a.s0 : b.s0;
  if ((a.n0 > 1 && b.n0 > 1 && a.s0 != b.s0) || bytes % size != 0 || a.n1 > (1 << 20) / b.n1) {
    return make_error(errc::invalid_argument, who, ": cannot rule out that ", a_name, " and ",
                      b_name, " overlap: their address ranges meet and their token strides (",
                      a.s0, " and ", b.s0, ") differ; pass them in separate calls");
  }
  const std::int64_t delta = bytes / size;  // b.data - a.data in elements
  // Row (t, h) of a starts at t s + h a.s1 and row (t', h') of b at delta + t' s + h' b.s1; they
  // meet iff -b.n2 < (b's start - a's start) < a.n2, i.e. with tau = t - t' in
  // [1 - b.n0, a.n0 - 1] and e = delta + h' b.s1 - h a.s1, iff e - a.n2 < tau s < e + b.n2.
  for (std::int64_t h = 0; h < a.n1; ++h) {
    for (std::int64_t h2 = 0; h2 < b.n1; ++h2) {
      const std::int64_t e = delta + h2 * b.s1 - h * a.s1;
      std::int64_t tau = 0;
      if (s > 0) tau = std::max(detail::floor_div(e - a.n2, s) + 1, 1 - b.n0);
      if (tau > a.n0 - 1 || tau * s <= e - a.n2 || tau * s >= e + b.n2) continue;
      const std::int64_t t = std::max<std::int64_t>(tau, 0);
      return make_error(errc::invalid_argument, who, ": ", a_name, " and ", b_name,
                        " overlap in memory: ", a_name, "[", t, ", ", h, "] and ", b_name, "[",
                        t - tau, ", ", h2, "] share elements");
    }
  }
  return {};
}

/// Checks a matrix view: non-negative extents, stride >= cols, non-null data.
template <class T>
status validate(const view2<T>& v, std::string_view what) noexcept {
  if (v.rows < 0 || v.cols < 0) {
    return make_error(errc::shape_mismatch, what, ": negative extent [", v.rows, ", ", v.cols,
                      "]");
  }
  if (v.rows == 0 || v.cols == 0) return {};
  if (v.data == nullptr) return make_error(errc::invalid_argument, what, ": null data pointer");
  if (v.rows > 1 && v.stride < v.cols) {
    return make_error(errc::shape_mismatch, what, ": row stride ", v.stride,
                      " is smaller than the row length ", v.cols);
  }
  return {};
}

// ---- Eigen adaptors ---------------------------------------------------------------------

/// An owned row-major Eigen matrix (what encoders that own a table store).
template <class T>
using row_major_matrix = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic,
                                       Eigen::RowMajor>;

/// An Eigen::Map over a matrix view (no copy).
template <class T>
auto as_eigen(const view2<T>& v) noexcept {
  using matrix = std::conditional_t<std::is_const_v<T>, const row_major_matrix<T>,
                                    row_major_matrix<T>>;
  return Eigen::Map<matrix, Eigen::Unaligned, Eigen::OuterStride<>>(
      v.data, v.rows, v.cols, Eigen::OuterStride<>(v.rows > 1 ? v.stride : v.cols));
}

/// The [n1, n2] matrix at index i0 of a view3, e.g. all heads of one token, as an Eigen::Map.
template <class T>
auto as_eigen(const view3<T>& v, std::int64_t i0) noexcept {
  return as_eigen(view2<T>{v.data + i0 * v.s0, v.n1, v.n2, v.s1});
}

/// A matrix view over an Eigen row-major matrix or map (no copy).
template <class Derived>
auto to_view(Eigen::PlainObjectBase<Derived>& m) noexcept {
  static_assert(Derived::IsRowMajor, "posenc views are row-major");
  using scalar = typename Derived::Scalar;
  return view2<scalar>{m.data(), m.rows(), m.cols(), m.outerStride()};
}

}  // namespace posenc
