// AVX2 + FMA (+ F16C) rotation kernels: 8 float lanes; tails go through a small stack buffer.
//
// Contract: the same as kernels/scalar.hpp (layouts, row blocks, aliasing: rows must not
// overlap and cos/sin must not alias them; any strides; any n, so any even rotary dim).
// Accuracy: bitwise identical to the scalar reference for every storage type. The arithmetic
// is the reference's, lane for lane:
//   half        a' = fmsub(a, c, b*s) = fma(a, c, -(b*s)),  b' = fmadd(b, c, a*s)
//   interleaved x' = fmaddsub(x, c2, swap(x)*s2): even lanes x*c - (b*s), odd x*c + (a*s)
// float16 uses F16C vcvtph2ps / vcvtps2ph (round to nearest even); bfloat16 widens by a shift
// and narrows with integer round-to-nearest-even (AVX2 has no bf16 conversion).
//
// Shape of the loop: up to four vectors of cos/sin (32 pairs half, 16 interleaved) are loaded
// once into registers and applied to every row of both blocks (q and k of one token). Rows that
// take more than one block go a group of rows at a time through all their blocks (8 rows,
// kernels::rows_per_pass; 12 interleaved), so the tensor is streamed once, not once per block
// (head_dim 128: 8-25% faster from DRAM, 5-13% slower from L1/L2; docs/performance.md). A
// partial last vector is copied through an 8-element buffer, so tails never read or write
// outside the pairs.
#pragma once

#include "../config.hpp"

#if POSENC_ARCH_X86_64

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "scalar.hpp"

#define POSENC_AVX2_FN [[gnu::target("avx2,fma,f16c"), gnu::always_inline]] inline
#define POSENC_AVX2_ENTRY [[gnu::target("avx2,fma,f16c")]] inline

// The intrinsics' "undefined" upper halves trip GCC's -Wmaybe-uninitialized, and vector
// arguments of target functions trip -Wpsabi; both are benign here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace posenc::kernels::avx2 {
namespace detail {

inline constexpr int lanes = 8;
inline constexpr int block_vectors = 4;  // cos/sin vectors held in registers per block

// Storage I/O: 8 stored elements <-> one vector of 8 floats. The partial forms touch only the
// first m elements.
template <class Derived, class T>
struct io_base {
  using type = T;
  POSENC_AVX2_FN static __m256 load(const T* p, int m) noexcept {
    T buf[lanes] = {};
    std::memcpy(buf, p, static_cast<std::size_t>(m) * sizeof(T));
    return Derived::load(buf);
  }
  POSENC_AVX2_FN static void store(T* p, __m256 v, int m) noexcept {
    T buf[lanes];
    Derived::store(buf, v);
    std::memcpy(p, buf, static_cast<std::size_t>(m) * sizeof(T));
  }
};

struct io_f32 : io_base<io_f32, float> {
  using io_base::load, io_base::store;
  POSENC_AVX2_FN static __m256 load(const float* p) noexcept { return _mm256_loadu_ps(p); }
  POSENC_AVX2_FN static void store(float* p, __m256 v) noexcept { _mm256_storeu_ps(p, v); }
};

struct io_f16 : io_base<io_f16, float16> {
  using io_base::load, io_base::store;
  POSENC_AVX2_FN static __m256 load(const float16* p) noexcept {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  POSENC_AVX2_FN static void store(float16* p, __m256 v) noexcept {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

struct io_bf16 : io_base<io_bf16, bfloat16> {
  using io_base::load, io_base::store;
  POSENC_AVX2_FN static __m256 load(const bfloat16* p) noexcept {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  // Round to nearest even on the float bits (math/bfloat16.hpp): add 0x7FFF plus the kept lsb,
  // keep the top half; NaN lanes keep their top bits with the quiet bit set.
  POSENC_AVX2_FN static void store(bfloat16* p, __m256 v) noexcept {
    const __m256i x = _mm256_castps_si256(v);
    const __m256i hi = _mm256_srli_epi32(x, 16);
    const __m256i lsb = _mm256_and_si256(hi, _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(
        _mm256_add_epi32(x, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, _mm256_or_si256(hi, _mm256_set1_epi32(0x40)), nan);
    const __m128i packed =
        _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), packed);
  }
};

// The reference rotation of pair vectors (a, b) (half layout).
POSENC_AVX2_FN void rotate(__m256& a, __m256& b, __m256 c, __m256 s) noexcept {
  const __m256 bs = _mm256_mul_ps(b, s);
  const __m256 as = _mm256_mul_ps(a, s);
  a = _mm256_fmsub_ps(a, c, bs);
  b = _mm256_fmadd_ps(b, c, as);
}

// The reference rotation of 4 interleaved pairs; c and s hold each angle twice.
POSENC_AVX2_FN __m256 rotate_interleaved(__m256 x, __m256 c, __m256 s) noexcept {
  const __m256 swapped = _mm256_permute_ps(x, 0xB1);  // (b0, a0, b1, a1, ...)
  return _mm256_fmaddsub_ps(x, c, _mm256_mul_ps(swapped, s));
}

// Four floats (p0, p1, p2, p3) as (p0, p0, p1, p1, p2, p2, p3, p3).
POSENC_AVX2_FN __m256 doubled(__m128 v) noexcept {
  const __m256i idx = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), idx);
}

POSENC_AVX2_FN __m128 load4(const float* p, int m) noexcept {
  float buf[4] = {};
  std::memcpy(buf, p, static_cast<std::size_t>(m) * sizeof(float));
  return _mm_loadu_ps(buf);
}

// One block of the half layout: Full whole vectors of pairs, then `tail` more if Tail.
template <class Io, int Full, bool Tail>
POSENC_AVX2_FN void half_rows(row_block<typename Io::type> blk, std::int64_t partner,
                              const __m256 (&c)[Full + Tail], const __m256 (&s)[Full + Tail],
                              int tail) noexcept {
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    typename Io::type* lo = blk.data + h * blk.stride;
    typename Io::type* hi = lo + partner;
    for (int j = 0; j < Full; ++j) {
      __m256 a = Io::load(lo + j * lanes), b = Io::load(hi + j * lanes);
      rotate(a, b, c[j], s[j]);
      Io::store(lo + j * lanes, a);
      Io::store(hi + j * lanes, b);
    }
    if constexpr (Tail) {
      __m256 a = Io::load(lo + Full * lanes, tail), b = Io::load(hi + Full * lanes, tail);
      rotate(a, b, c[Full], s[Full]);
      Io::store(lo + Full * lanes, a, tail);
      Io::store(hi + Full * lanes, b, tail);
    }
  }
}

template <class Io, int Full, bool Tail>
POSENC_AVX2_FN void half_block(row_block<typename Io::type> a, row_block<typename Io::type> b,
                               std::int64_t partner, const float* cos, const float* sin,
                               int tail) noexcept {
  __m256 c[Full + Tail], s[Full + Tail];
  for (int j = 0; j < Full; ++j) {
    c[j] = _mm256_loadu_ps(cos + j * lanes);
    s[j] = _mm256_loadu_ps(sin + j * lanes);
  }
  if constexpr (Tail) {
    c[Full] = io_f32::load(cos + Full * lanes, tail);
    s[Full] = io_f32::load(sin + Full * lanes, tail);
  }
  half_rows<Io, Full, Tail>(a, partner, c, s, tail);
  half_rows<Io, Full, Tail>(b, partner, c, s, tail);
}

// One block of the interleaved layout: each vector holds 4 pairs; `tail` counts x elements.
template <class Io, int Full, bool Tail>
POSENC_AVX2_FN void interleaved_rows(row_block<typename Io::type> blk,
                                     const __m256 (&c)[Full + Tail],
                                     const __m256 (&s)[Full + Tail], int tail) noexcept {
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    typename Io::type* v = blk.data + h * blk.stride;
    for (int j = 0; j < Full; ++j) {
      Io::store(v + j * lanes, rotate_interleaved(Io::load(v + j * lanes), c[j], s[j]));
    }
    if constexpr (Tail) {
      Io::store(v + Full * lanes,
                rotate_interleaved(Io::load(v + Full * lanes, tail), c[Full], s[Full]), tail);
    }
  }
}

template <class Io, int Full, bool Tail>
POSENC_AVX2_FN void interleaved_block(row_block<typename Io::type> a,
                                      row_block<typename Io::type> b, const float* cos,
                                      const float* sin, int tail) noexcept {
  constexpr int pairs = lanes / 2;
  __m256 c[Full + Tail], s[Full + Tail];
  for (int j = 0; j < Full; ++j) {
    c[j] = doubled(_mm_loadu_ps(cos + j * pairs));
    s[j] = doubled(_mm_loadu_ps(sin + j * pairs));
  }
  if constexpr (Tail) {
    c[Full] = doubled(load4(cos + Full * pairs, tail / 2));
    s[Full] = doubled(load4(sin + Full * pairs, tail / 2));
  }
  interleaved_rows<Io, Full, Tail>(a, c, s, tail);
  interleaved_rows<Io, Full, Tail>(b, c, s, tail);
}

// Pairs [0, n) of every row of a and b, half layout, block by block.
template <class Io>
POSENC_AVX2_FN void half_pass(row_block<typename Io::type> a, row_block<typename Io::type> b,
                              std::int64_t partner, const float* cos, const float* sin,
                              std::int64_t n) noexcept {
  constexpr std::int64_t step = std::int64_t{lanes} * block_vectors;
  std::int64_t k0 = 0;
  for (; k0 + step <= n; k0 += step) {
    half_block<Io, block_vectors, false>(offset_block(a, k0), offset_block(b, k0), partner,
                                         cos + k0, sin + k0, 0);
  }
  const std::int64_t rem = n - k0;
  const int full = static_cast<int>(rem / lanes);
  const int tail = static_cast<int>(rem % lanes);
  a = offset_block(a, k0), b = offset_block(b, k0), cos += k0, sin += k0;
  switch (full * 2 + (tail != 0)) {
    case 1: return half_block<Io, 0, true>(a, b, partner, cos, sin, tail);
    case 2: return half_block<Io, 1, false>(a, b, partner, cos, sin, tail);
    case 3: return half_block<Io, 1, true>(a, b, partner, cos, sin, tail);
    case 4: return half_block<Io, 2, false>(a, b, partner, cos, sin, tail);
    case 5: return half_block<Io, 2, true>(a, b, partner, cos, sin, tail);
    case 6: return half_block<Io, 3, false>(a, b, partner, cos, sin, tail);
    case 7: return half_block<Io, 3, true>(a, b, partner, cos, sin, tail);
    default: return;
  }
}

// Pairs [0, n) of every row of a and b, interleaved layout, block by block.
template <class Io>
POSENC_AVX2_FN void interleaved_pass(row_block<typename Io::type> a,
                                     row_block<typename Io::type> b, const float* cos,
                                     const float* sin, std::int64_t n) noexcept {
  constexpr std::int64_t step = std::int64_t{lanes} * block_vectors;  // x elements per block
  const std::int64_t count = 2 * n;
  std::int64_t k0 = 0;
  for (; k0 + step <= count; k0 += step) {
    interleaved_block<Io, block_vectors, false>(offset_block(a, k0), offset_block(b, k0),
                                                cos + k0 / 2, sin + k0 / 2, 0);
  }
  const std::int64_t rem = count - k0;
  const int full = static_cast<int>(rem / lanes);
  const int tail = static_cast<int>(rem % lanes);
  a = offset_block(a, k0), b = offset_block(b, k0), cos += k0 / 2, sin += k0 / 2;
  switch (full * 2 + (tail != 0)) {
    case 1: return interleaved_block<Io, 0, true>(a, b, cos, sin, tail);
    case 2: return interleaved_block<Io, 1, false>(a, b, cos, sin, tail);
    case 3: return interleaved_block<Io, 1, true>(a, b, cos, sin, tail);
    case 4: return interleaved_block<Io, 2, false>(a, b, cos, sin, tail);
    case 5: return interleaved_block<Io, 2, true>(a, b, cos, sin, tail);
    case 6: return interleaved_block<Io, 3, false>(a, b, cos, sin, tail);
    case 7: return interleaved_block<Io, 3, true>(a, b, cos, sin, tail);
    default: return;
  }
}

}  // namespace detail

/// Half layout, storage Io::type: see the file comment for layout, aliasing and accuracy.
template <class Io>
POSENC_AVX2_ENTRY void rotate_half(row_block<typename Io::type> a, row_block<typename Io::type> b,
                                   std::int64_t partner, const float* cos, const float* sin,
                                   std::int64_t n) noexcept {
  const std::int64_t rows = a.rows > b.rows ? a.rows : b.rows;
  const std::int64_t group = n > detail::lanes * detail::block_vectors ? rows_per_pass : rows;
  for (std::int64_t r0 = 0; r0 < rows; r0 += group) {
    detail::half_pass<Io>(row_range(a, r0, group), row_range(b, r0, group), partner, cos, sin, n);
  }
}

/// Interleaved layout, storage Io::type: see the file comment.
template <class Io>
POSENC_AVX2_ENTRY void rotate_interleaved(row_block<typename Io::type> a,
                                          row_block<typename Io::type> b, const float* cos,
                                          const float* sin, std::int64_t n) noexcept {
  // 12 rows, not rows_per_pass: called directly on f32 head_dim-128 rows, groups of 8 (4 KiB)
  // ran 40% slower than ungrouped at 64 tokens, 12 and 16 as fast; from DRAM 12 was the faster.
  constexpr std::int64_t interleaved_rows_per_pass = 12;
  const std::int64_t rows = a.rows > b.rows ? a.rows : b.rows;
  const std::int64_t group =
      n > detail::lanes / 2 * detail::block_vectors ? interleaved_rows_per_pass : rows;
  for (std::int64_t r0 = 0; r0 < rows; r0 += group) {
    detail::interleaved_pass<Io>(row_range(a, r0, group), row_range(b, r0, group), cos, sin, n);
  }
}

/// Two-level cos/sin composition: kernels/scalar.hpp's compose_cos_sin, 4 doubles per vector,
/// the last n mod 4 by the scalar reference; bitwise identical to it.
POSENC_AVX2_ENTRY void compose_cos_sin(const double* c_hi, const double* s_hi, const double* c_lo,
                                       const double* s_lo, double cos_scale, double sin_scale,
                                       float* cos, float* sin, std::int64_t n) noexcept {
  const __m256d fc = _mm256_set1_pd(cos_scale), fs = _mm256_set1_pd(sin_scale);
  std::int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const __m256d ch = _mm256_loadu_pd(c_hi + k), sh = _mm256_loadu_pd(s_hi + k);
    const __m256d cl = _mm256_loadu_pd(c_lo + k), sl = _mm256_loadu_pd(s_lo + k);
    const __m256d c = _mm256_mul_pd(_mm256_fmsub_pd(ch, cl, _mm256_mul_pd(sh, sl)), fc);
    const __m256d s = _mm256_mul_pd(_mm256_fmadd_pd(sh, cl, _mm256_mul_pd(ch, sl)), fs);
    _mm_storeu_ps(cos + k, _mm256_cvtpd_ps(c));
    _mm_storeu_ps(sin + k, _mm256_cvtpd_ps(s));
  }
  scalar::compose_cos_sin(c_hi + k, s_hi + k, c_lo + k, s_lo + k, cos_scale, sin_scale, cos + k,
                          sin + k, n - k);
}

}  // namespace posenc::kernels::avx2

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#undef POSENC_AVX2_FN
#undef POSENC_AVX2_ENTRY

#endif  // POSENC_ARCH_X86_64
