// Scalar reference rotation kernels: the definition every SIMD kernel is tested against.
//
// A rotary pair (a, b) at angle phi becomes (a cos - b sin, b cos + a sin). Evaluation order,
// shared by every ISA so results are bitwise identical:
//   a' = fma(a, cos, -(b * sin)),   b' = fma(b, cos, a * sin)
// except the sign and payload of a NaN result, which IEEE 754 leaves open: x86's fused
// multiply-subtract does not negate a NaN b * sin as -(b * sin) does. A NaN result is NaN on
// every path.
// Storage: float, float16 or bfloat16; 16-bit values widen exactly to float, the arithmetic is
// the float arithmetic above, and the result is rounded once to the storage type (nearest
// even). Per component, |a' - exact| <= 2^-24 (|a cos| + 2 |b sin|) + the storage rounding.
// Layouts (spec/encodings.md §8):
//   half        pair k is (x[k], x[k + partner]) where partner = rotary_dim / 2 ("rotate_half")
//   interleaved pair k is (x[2k], x[2k + 1])
// Each call rotates pairs [0, n) of the rows of two row blocks (q's heads and k's heads of one
// token; the second block may be empty), all at the same angles cos[k], sin[k]. Rows must not
// overlap each other; cos/sin must not alias the rows. Dims outside the pairs are not touched.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>

#include "../config.hpp"
#include "../math/bfloat16.hpp"
#include "../math/float16.hpp"

namespace posenc {

/// True for the element types the rotation kernels store: float, float16, bfloat16.
template <class T>
inline constexpr bool is_storage_type_v =
    std::is_same_v<T, float> || std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>;

namespace kernels {

/// `rows` vectors of storage type T starting `stride` elements apart (e.g. one token's heads).
template <class T>
struct row_block {
  T* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t stride = 0;
};

/// A block's rows advanced by `offset` elements (same rows, same stride).
template <class T>
constexpr row_block<T> offset_block(row_block<T> b, std::int64_t offset) noexcept {
  return {b.rows > 0 ? b.data + offset : b.data, b.rows, b.stride};
}

/// Rows [r0, r0 + count) of b, cut at its last row (empty past it).
template <class T>
constexpr row_block<T> row_range(row_block<T> b, std::int64_t r0, std::int64_t count) noexcept {
  const std::int64_t rows = b.rows - r0 < count ? b.rows - r0 : count;
  return rows > 0 ? row_block<T>{b.data + r0 * b.stride, rows, b.stride} : row_block<T>{};
}

/// Rows a SIMD kernel takes through every register block of their pairs before it goes on to
/// the next rows, when a row needs more than one block (the pairs of `rows_per_pass` rows of q
/// and of k). Going block by block over all of a token's rows instead would stream the tensor
/// once per block, each time touching part of every row: 1.1-1.8x slower from DRAM in
/// docs/performance.md's measurements.
inline constexpr std::int64_t rows_per_pass = 8;

/// The exact float value of a stored element (float, float16, bfloat16).
inline float widen(float v) noexcept { return v; }
/// The exact float value of a float16.
inline float widen(float16 v) noexcept { return static_cast<float>(v); }
/// The exact float value of a bfloat16.
inline float widen(bfloat16 v) noexcept { return static_cast<float>(v); }

/// A float rounded to storage type T (nearest even).
template <class T>
inline T narrow(float v) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return T(v);
  }
}

}  // namespace kernels

namespace kernels::scalar {

/// Rotates one pair in place, in the reference evaluation order.
template <class T>
inline void rotate_pair(T& x0, T& x1, float c, float s) noexcept {
  const float a = widen(x0), b = widen(x1);
  x0 = narrow<T>(std::fma(a, c, -(b * s)));
  x1 = narrow<T>(std::fma(b, c, a * s));
}

/// Rotates pairs (x[k], x[k + partner]), k < n, of every row of blocks a and b in place.
template <class T>
inline void rotate_half(row_block<T> a, row_block<T> b, std::int64_t partner,
                        const float* POSENC_RESTRICT cos, const float* POSENC_RESTRICT sin,
                        std::int64_t n) noexcept {
  for (const row_block<T>& blk : {a, b}) {
    for (std::int64_t h = 0; h < blk.rows; ++h) {
      T* lo = blk.data + h * blk.stride;
      T* hi = lo + partner;
      for (std::int64_t k = 0; k < n; ++k) rotate_pair(lo[k], hi[k], cos[k], sin[k]);
    }
  }
}

/// Rotates pairs (x[2k], x[2k + 1]), k < n, of every row of blocks a and b in place.
template <class T>
inline void rotate_interleaved(row_block<T> a, row_block<T> b, const float* POSENC_RESTRICT cos,
                               const float* POSENC_RESTRICT sin, std::int64_t n) noexcept {
  for (const row_block<T>& blk : {a, b}) {
    for (std::int64_t h = 0; h < blk.rows; ++h) {
      T* v = blk.data + h * blk.stride;
      for (std::int64_t k = 0; k < n; ++k) rotate_pair(v[2 * k], v[2 * k + 1], cos[k], sin[k]);
    }
  }
}

/// cos/sin of p w_k, k < n, from the two-level rows (math/angles.hpp): c = fma(ch, cl, -(sh*sl)),
/// s = fma(sh, cl, ch*sl) in double, times cos_scale / sin_scale, each rounded once to float.
/// Within 0.5 float ulp + 2^-49 |scale| of the exact value (docs/accuracy.md).
inline void compose_cos_sin(const double* POSENC_RESTRICT c_hi, const double* POSENC_RESTRICT s_hi,
                            const double* POSENC_RESTRICT c_lo, const double* POSENC_RESTRICT s_lo,
                            double cos_scale, double sin_scale, float* POSENC_RESTRICT cos,
                            float* POSENC_RESTRICT sin, std::int64_t n) noexcept {
  for (std::int64_t k = 0; k < n; ++k) {
    cos[k] = static_cast<float>(std::fma(c_hi[k], c_lo[k], -(s_hi[k] * s_lo[k])) * cos_scale);
    sin[k] = static_cast<float>(std::fma(s_hi[k], c_lo[k], c_hi[k] * s_lo[k]) * sin_scale);
  }
}

/// Copies `bytes` bytes to each of `rows` rows: row i goes from src + i * src_step to
/// dst + i * dst_stride (byte offsets; src_step may be negative). Rows must not overlap each
/// other or the source. Toeplitz fills (detail/toeplitz.hpp) copy every row of a tile this way,
/// out of one line of distances, src_step = -(element size).
inline void copy_rows(unsigned char* dst, std::int64_t dst_stride, const unsigned char* src,
                      std::int64_t src_step, std::int64_t rows, std::int64_t bytes) noexcept {
  for (std::int64_t i = 0; i < rows; ++i) {
    std::memcpy(dst + i * dst_stride, src + i * src_step, static_cast<std::size_t>(bytes));
  }
}

}  // namespace kernels::scalar
}  // namespace posenc
