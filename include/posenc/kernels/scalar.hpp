// Scalar reference rotation kernels: the definition every SIMD kernel is tested against.
//
// A rotary pair (a, b) at angle phi becomes (a cos - b sin, b cos + a sin). Evaluation order,
// shared by every ISA so results are bitwise identical:
//   a' = fma(a, cos, -(b * sin)),   b' = fma(b, cos, a * sin)
// Layouts (spec/encodings.md §8):
//   half        pair k is (x[k], x[k + partner]) where partner = rotary_dim / 2 ("rotate_half")
//   interleaved pair k is (x[2k], x[2k + 1])
// Each call rotates pairs [0, n) of `rows` vectors that start `stride` elements apart (the heads
// of one token), all at the same angles cos[k], sin[k]. Rows must not overlap; cos/sin must not
// alias x. Dims outside the pairs are not touched.
#pragma once

#include <cmath>
#include <cstdint>

#include "../config.hpp"

namespace posenc::kernels::scalar {

/// Rotates pairs (x[k], x[k + partner]), k < n, of each row in place.
inline void rotate_half(float* x, std::int64_t rows, std::int64_t stride, std::int64_t partner,
                        const float* POSENC_RESTRICT cos, const float* POSENC_RESTRICT sin,
                        std::int64_t n) noexcept {
  for (std::int64_t h = 0; h < rows; ++h) {
    float* lo = x + h * stride;
    float* hi = lo + partner;
    for (std::int64_t k = 0; k < n; ++k) {
      const float a = lo[k], b = hi[k];
      lo[k] = std::fma(a, cos[k], -(b * sin[k]));
      hi[k] = std::fma(b, cos[k], a * sin[k]);
    }
  }
}

/// Rotates pairs (x[2k], x[2k + 1]), k < n, of each row in place.
inline void rotate_interleaved(float* x, std::int64_t rows, std::int64_t stride,
                               const float* POSENC_RESTRICT cos,
                               const float* POSENC_RESTRICT sin, std::int64_t n) noexcept {
  for (std::int64_t h = 0; h < rows; ++h) {
    float* v = x + h * stride;
    for (std::int64_t k = 0; k < n; ++k) {
      const float a = v[2 * k], b = v[2 * k + 1];
      v[2 * k] = std::fma(a, cos[k], -(b * sin[k]));
      v[2 * k + 1] = std::fma(b, cos[k], a * sin[k]);
    }
  }
}

}  // namespace posenc::kernels::scalar
