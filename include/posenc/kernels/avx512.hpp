// AVX-512 (F, BW, VL) rotation kernels: 16 float lanes, masked tails.
//
// Contract: the same as kernels/scalar.hpp (layouts, row blocks, aliasing: rows must not
// overlap and cos/sin must not alias them; any strides; any n, so any even rotary dim).
// Accuracy: bitwise identical to the scalar reference for every storage type. The arithmetic
// is the reference's, lane for lane:
//   half        a' = fmsub(a, c, b*s) = fma(a, c, -(b*s)),  b' = fmadd(b, c, a*s)
//   interleaved x' = fmaddsub(x, c2, swap(x)*s2): even lanes x*c - (b*s), odd x*c + (a*s)
// float16 uses vcvtph2ps / vcvtps2ph (round to nearest even, like the scalar conversion).
// bfloat16 widens by a shift; it narrows with AVX512_BF16's vcvtneps2bf16 / vcvtne2ps2bf16
// where the CPU has it (those flush subnormal inputs to +-0, so result lanes with a zero
// exponent are redone with the integer rounding), else with integer round-to-nearest-even.
// Whole blocks of 64 bfloat16 pairs go 32 at a time in "lane-split" order (one vpunpck{l,h}wd
// per 16 floats in, one vcvtne2ps2bf16 and one vpermw per 32 out, cos/sin permuted to match
// once per block): the arithmetic per element is unchanged, the conversions take fewer
// instructions.
//
// Shape of the loop: a block of cos/sin vectors is loaded once into registers and applied to
// every row of both blocks (q and k of a token), so a fused q,k call loads each cos/sin vector
// once per token; the last vector of a row is masked. Tails never read or write outside the
// pairs. A block covers 64 pairs in either layout (half: 4 vectors of 16 pairs; interleaved:
// 8 vectors of 8 pairs), so a head_dim-128 row is done in one pass: with two passes, each
// touching half of every row, the tensor streams from DRAM ~30% slower at 4096 tokens. Rows
// that take more blocks go kernels::rows_per_pass rows at a time through all their blocks.
//
// Every function carries the target below. It includes avx512bf16 so the bfloat16 path can use
// vcvtneps2bf16; only that path contains a BF16 instruction (GCC emits none from float code) and
// dispatch selects it only where the CPU reports AVX512_BF16.
#pragma once

#include "../config.hpp"

#if POSENC_ARCH_X86_64

#include <immintrin.h>

#include <cstdint>

#include "scalar.hpp"

#define POSENC_AVX512_FN [[gnu::target("avx512f,avx512bw,avx512vl,avx512bf16"), gnu::always_inline]] inline
#define POSENC_AVX512_ENTRY [[gnu::target("avx512f,avx512bw,avx512vl,avx512bf16")]] inline

// The intrinsics' "undefined" upper halves trip GCC's -Wmaybe-uninitialized, and vector
// arguments of target functions trip -Wpsabi; both are benign here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace posenc::kernels::avx512 {
namespace detail {

// Storage I/O: 16 stored elements <-> one vector of 16 floats; the masked forms touch only the
// lanes set in m.
struct io_f32 {
  using type = float;
  POSENC_AVX512_FN static __m512 load(const float* p) noexcept { return _mm512_loadu_ps(p); }
  POSENC_AVX512_FN static __m512 load(const float* p, __mmask16 m) noexcept {
    return _mm512_maskz_loadu_ps(m, p);
  }
  POSENC_AVX512_FN static void store(float* p, __m512 v) noexcept { _mm512_storeu_ps(p, v); }
  POSENC_AVX512_FN static void store(float* p, __m512 v, __mmask16 m) noexcept {
    _mm512_mask_storeu_ps(p, m, v);
  }
  POSENC_AVX512_FN static void store2(float* pa, __m512 a, float* pb, __m512 b) noexcept {
    store(pa, a), store(pb, b);
  }
};

// 16-bit storage shares the integer load/store; Derived supplies widen/narrow.
template <class T, class Derived>
struct io_16bit {
  using type = T;
  POSENC_AVX512_FN static __m512 load(const T* p) noexcept {
    return Derived::widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  POSENC_AVX512_FN static __m512 load(const T* p, __mmask16 m) noexcept {
    return Derived::widen(_mm256_maskz_loadu_epi16(m, p));
  }
  POSENC_AVX512_FN static void store(T* p, __m512 v) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), Derived::narrow(v));
  }
  POSENC_AVX512_FN static void store(T* p, __m512 v, __mmask16 m) noexcept {
    _mm256_mask_storeu_epi16(p, m, Derived::narrow(v));
  }
  // Stores two vectors (the two halves of 16 pairs); Derived may narrow them together.
  POSENC_AVX512_FN static void store2(T* pa, __m512 a, T* pb, __m512 b) noexcept {
    store(pa, a), store(pb, b);
  }
};

struct io_f16 : io_16bit<float16, io_f16> {
  POSENC_AVX512_FN static __m512 widen(__m256i h) noexcept { return _mm512_cvtph_ps(h); }
  POSENC_AVX512_FN static __m256i narrow(__m512 v) noexcept {
    return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
};

// bfloat16 round to nearest even on the float bits: add 0x7FFF plus the kept lsb, keep the
// top half; NaN lanes keep their top bits with the quiet bit set (math/bfloat16.hpp).
POSENC_AVX512_FN __m256i bf16_round_integer(__m512 v) noexcept {
  const __m512i x = _mm512_castps_si512(v);
  const __m512i hi = _mm512_srli_epi32(x, 16);
  const __m512i lsb = _mm512_and_si512(hi, _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(x, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  r = _mm512_mask_or_epi32(r, nan, hi, _mm512_set1_epi32(0x40));
  return _mm512_cvtepi32_epi16(r);
}

template <bool Native>
struct io_bf16 : io_16bit<bfloat16, io_bf16<Native>> {
  using base = io_16bit<bfloat16, io_bf16<Native>>;
  using base::store;
  POSENC_AVX512_FN static __m512 widen(__m256i h) noexcept {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  // Native: vcvtneps2bf16 rounds to nearest even but flushes subnormal inputs to +-0. A normal
  // float never rounds to a bf16 with a zero exponent field, so result lanes with one (zeros
  // and flushed subnormals; rare) are redone with the exact integer rounding.
  POSENC_AVX512_FN static __m256i narrow(__m512 v) noexcept {
    if constexpr (Native) {
      __m256i r = __builtin_bit_cast(__m256i, _mm512_cvtneps_pbh(v));
      const __mmask16 tiny = _mm256_testn_epi16_mask(r, _mm256_set1_epi16(0x7F80));
      if (tiny != 0) [[unlikely]] r = _mm256_mask_mov_epi16(r, tiny, bf16_round_integer(v));
      return r;
    } else {
      return bf16_round_integer(v);
    }
  }
  // 32 elements in "lane-split" order: lo holds elements 8L..8L+3 and hi 8L+4..8L+7 of each
  // 128-bit lane L (what vpunpck{l,h}wd with zero give: one instruction per 16 floats).
  static constexpr bool lane_split = true;
  POSENC_AVX512_FN static void load32(const bfloat16* p, __m512& lo, __m512& hi) noexcept {
    const __m512i x = _mm512_loadu_si512(p);
    lo = _mm512_castsi512_ps(_mm512_unpacklo_epi16(_mm512_setzero_si512(), x));
    hi = _mm512_castsi512_ps(_mm512_unpackhi_epi16(_mm512_setzero_si512(), x));
  }
  // lo's 16 results, then hi's, with the integer rounding.
  POSENC_AVX512_FN static __m512i round_integer32(__m512 lo, __m512 hi) noexcept {
    return _mm512_inserti64x4(_mm512_castsi256_si512(bf16_round_integer(lo)),
                              bf16_round_integer(hi), 1);
  }
  // Rounds lo and hi as narrow() does and stores them back in element order.
  POSENC_AVX512_FN static void store32(bfloat16* p, __m512 lo, __m512 hi) noexcept {
    __m512i both;
    if constexpr (Native) {
      both = __builtin_bit_cast(__m512i, _mm512_cvtne2ps_pbh(hi, lo));  // lo in the low half
      const __mmask32 tiny = _mm512_testn_epi16_mask(both, _mm512_set1_epi16(0x7F80));
      if (tiny != 0) [[unlikely]] both = _mm512_mask_mov_epi16(both, tiny, round_integer32(lo, hi));
    } else {
      both = round_integer32(lo, hi);
    }
    // Word 8L + m comes from lo's 4L + m (m < 4) or hi's 4L + m - 4, i.e. word 16 + 4L + m - 4.
    const __m512i order = _mm512_set_epi16(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11, 10,
                                           9, 8, 23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2,
                                           1, 0);
    _mm512_storeu_si512(p, _mm512_permutexvar_epi16(order, both));
  }
  // Native: one vcvtne2ps2bf16 for both vectors, and one check of the 32 results as above.
  POSENC_AVX512_FN static void store2(bfloat16* pa, __m512 a, bfloat16* pb, __m512 b) noexcept {
    if constexpr (Native) {
      const __m512i both = __builtin_bit_cast(__m512i, _mm512_cvtne2ps_pbh(b, a));  // a low
      if (_mm512_testn_epi16_mask(both, _mm512_set1_epi16(0x7F80)) == 0) [[likely]] {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(pa), _mm512_castsi512_si256(both));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(pb), _mm512_extracti64x4_epi64(both, 1));
        return;
      }
    }
    store(pa, a), store(pb, b);
  }
};

// The reference rotation of pair vectors (a, b) (half layout).
POSENC_AVX512_FN void rotate(__m512& a, __m512& b, __m512 c, __m512 s) noexcept {
  const __m512 bs = _mm512_mul_ps(b, s);
  const __m512 as = _mm512_mul_ps(a, s);
  a = _mm512_fmsub_ps(a, c, bs);
  b = _mm512_fmadd_ps(b, c, as);
}

// The reference rotation of 8 interleaved pairs; c and s hold each angle twice.
POSENC_AVX512_FN __m512 rotate_interleaved(__m512 x, __m512 c, __m512 s) noexcept {
  const __m512 swapped = _mm512_permute_ps(x, 0xB1);  // (b0, a0, b1, a1, ...)
  return _mm512_fmaddsub_ps(x, c, _mm512_mul_ps(swapped, s));
}

// Eight floats at p (lanes in m) as (p0, p0, p1, p1, ..., p7, p7).
POSENC_AVX512_FN __m512 load_doubled(const float* p, __mmask8 m) noexcept {
  const __m512i idx = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(m, p)));
}

inline constexpr int lanes = 16;
inline constexpr int block_vectors = 4;  // cos/sin vectors held in registers per block

// One block of the half layout: Full whole vectors of pairs, then a masked one if Tail.
template <class Io, int Full, bool Tail>
POSENC_AVX512_FN void half_rows(row_block<typename Io::type> blk, std::int64_t partner,
                                const __m512 (&c)[Full + Tail], const __m512 (&s)[Full + Tail],
                                __mmask16 m) noexcept {
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    typename Io::type* lo = blk.data + h * blk.stride;
    typename Io::type* hi = lo + partner;
    for (int j = 0; j < Full; ++j) {
      __m512 a = Io::load(lo + j * lanes), b = Io::load(hi + j * lanes);
      rotate(a, b, c[j], s[j]);
      Io::store2(lo + j * lanes, a, hi + j * lanes, b);
    }
    if constexpr (Tail) {
      __m512 a = Io::load(lo + Full * lanes, m), b = Io::load(hi + Full * lanes, m);
      rotate(a, b, c[Full], s[Full]);
      Io::store(lo + Full * lanes, a, m);
      Io::store(hi + Full * lanes, b, m);
    }
  }
}

// Full vectors of pairs, 32 at a time through Io::load32/store32 (lane-split order; cos/sin
// already in that order).
template <class Io, int Full>
POSENC_AVX512_FN void half_rows_lane_split(row_block<typename Io::type> blk, std::int64_t partner,
                                           const __m512 (&c)[Full], const __m512 (&s)[Full]) noexcept {
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    typename Io::type* lo = blk.data + h * blk.stride;
    typename Io::type* hi = lo + partner;
    for (int j = 0; j < Full; j += 2) {
      __m512 a0, a1, b0, b1;
      Io::load32(lo + j * lanes, a0, a1);
      Io::load32(hi + j * lanes, b0, b1);
      rotate(a0, b0, c[j], s[j]);
      rotate(a1, b1, c[j + 1], s[j + 1]);
      Io::store32(lo + j * lanes, a0, a1);
      Io::store32(hi + j * lanes, b0, b1);
    }
  }
}

template <class Io, int Full, bool Tail>
POSENC_AVX512_FN void half_block(row_block<typename Io::type> a, row_block<typename Io::type> b,
                                 std::int64_t partner, const float* cos, const float* sin,
                                 __mmask16 m) noexcept {
  __m512 c[Full + Tail], s[Full + Tail];
  for (int j = 0; j < Full; ++j) {
    c[j] = _mm512_loadu_ps(cos + j * lanes);
    s[j] = _mm512_loadu_ps(sin + j * lanes);
  }
  if constexpr (Tail) {
    c[Full] = _mm512_maskz_loadu_ps(m, cos + Full * lanes);
    s[Full] = _mm512_maskz_loadu_ps(m, sin + Full * lanes);
  }
  if constexpr (requires { Io::lane_split; } && Full == block_vectors && !Tail) {
    // Reorder each 32 pairs of cos/sin into the lane-split order of Io::load32.
    const __m512i lo_idx = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i hi_idx = _mm512_add_epi32(lo_idx, _mm512_set1_epi32(4));
    __m512 cs[Full], ss[Full];
    for (int j = 0; j < Full; j += 2) {
      cs[j] = _mm512_permutex2var_ps(c[j], lo_idx, c[j + 1]);
      cs[j + 1] = _mm512_permutex2var_ps(c[j], hi_idx, c[j + 1]);
      ss[j] = _mm512_permutex2var_ps(s[j], lo_idx, s[j + 1]);
      ss[j + 1] = _mm512_permutex2var_ps(s[j], hi_idx, s[j + 1]);
    }
    half_rows_lane_split<Io, Full>(a, partner, cs, ss);
    half_rows_lane_split<Io, Full>(b, partner, cs, ss);
  } else {
    half_rows<Io, Full, Tail>(a, partner, c, s, m);
    half_rows<Io, Full, Tail>(b, partner, c, s, m);
  }
}

// One block of the interleaved layout: each vector holds 8 pairs; m masks the x lanes of the
// tail, pm its cos/sin lanes.
template <class Io, int Full, bool Tail>
POSENC_AVX512_FN void interleaved_rows(row_block<typename Io::type> blk,
                                       const __m512 (&c)[Full + Tail],
                                       const __m512 (&s)[Full + Tail], __mmask16 m) noexcept {
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    typename Io::type* v = blk.data + h * blk.stride;
    for (int j = 0; j < Full; ++j) {
      Io::store(v + j * lanes, rotate_interleaved(Io::load(v + j * lanes), c[j], s[j]));
    }
    if constexpr (Tail) {
      Io::store(v + Full * lanes, rotate_interleaved(Io::load(v + Full * lanes, m), c[Full], s[Full]), m);
    }
  }
}

template <class Io, int Full, bool Tail>
POSENC_AVX512_FN void interleaved_block(row_block<typename Io::type> a,
                                        row_block<typename Io::type> b, const float* cos,
                                        const float* sin, __mmask16 m, __mmask8 pm) noexcept {
  constexpr int pairs = lanes / 2;
  __m512 c[Full + Tail], s[Full + Tail];
  for (int j = 0; j < Full; ++j) {
    c[j] = load_doubled(cos + j * pairs, 0xFF);
    s[j] = load_doubled(sin + j * pairs, 0xFF);
  }
  if constexpr (Tail) {
    c[Full] = load_doubled(cos + Full * pairs, pm);
    s[Full] = load_doubled(sin + Full * pairs, pm);
  }
  interleaved_rows<Io, Full, Tail>(a, c, s, m);
  interleaved_rows<Io, Full, Tail>(b, c, s, m);
}

// Pairs [0, n) of every row of a and b, half layout, block by block.
template <class Io>
POSENC_AVX512_FN void half_pass(row_block<typename Io::type> a, row_block<typename Io::type> b,
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
  const auto m = static_cast<__mmask16>((1u << tail) - 1u);
  a = offset_block(a, k0), b = offset_block(b, k0), cos += k0, sin += k0;
  switch (full * 2 + (tail != 0)) {
    case 1: return half_block<Io, 0, true>(a, b, partner, cos, sin, m);
    case 2: return half_block<Io, 1, false>(a, b, partner, cos, sin, m);
    case 3: return half_block<Io, 1, true>(a, b, partner, cos, sin, m);
    case 4: return half_block<Io, 2, false>(a, b, partner, cos, sin, m);
    case 5: return half_block<Io, 2, true>(a, b, partner, cos, sin, m);
    case 6: return half_block<Io, 3, false>(a, b, partner, cos, sin, m);
    case 7: return half_block<Io, 3, true>(a, b, partner, cos, sin, m);
    default: return;
  }
}

// Pairs [0, n) of every row of a and b, interleaved layout, block by block.
template <class Io>
POSENC_AVX512_FN void interleaved_pass(row_block<typename Io::type> a,
                                       row_block<typename Io::type> b, const float* cos,
                                       const float* sin, std::int64_t n) noexcept {
  constexpr std::int64_t step = std::int64_t{lanes} * block_vectors;  // x elements per block
  const std::int64_t count = 2 * n;
  std::int64_t k0 = 0;
  for (; k0 + 2 * step <= count; k0 += 2 * step) {
    interleaved_block<Io, 2 * block_vectors, false>(offset_block(a, k0), offset_block(b, k0),
                                                    cos + k0 / 2, sin + k0 / 2, 0, 0);
  }
  for (; k0 + step <= count; k0 += step) {
    interleaved_block<Io, block_vectors, false>(offset_block(a, k0), offset_block(b, k0),
                                                cos + k0 / 2, sin + k0 / 2, 0, 0);
  }
  const std::int64_t rem = count - k0;
  const int full = static_cast<int>(rem / lanes);
  const int tail = static_cast<int>(rem % lanes);
  const auto m = static_cast<__mmask16>((1u << tail) - 1u);
  const auto pm = static_cast<__mmask8>((1u << (tail / 2)) - 1u);
  a = offset_block(a, k0), b = offset_block(b, k0), cos += k0 / 2, sin += k0 / 2;
  switch (full * 2 + (tail != 0)) {
    case 1: return interleaved_block<Io, 0, true>(a, b, cos, sin, m, pm);
    case 2: return interleaved_block<Io, 1, false>(a, b, cos, sin, m, pm);
    case 3: return interleaved_block<Io, 1, true>(a, b, cos, sin, m, pm);
    case 4: return interleaved_block<Io, 2, false>(a, b, cos, sin, m, pm);
    case 5: return interleaved_block<Io, 2, true>(a, b, cos, sin, m, pm);
    case 6: return interleaved_block<Io, 3, false>(a, b, cos, sin, m, pm);
    case 7: return interleaved_block<Io, 3, true>(a, b, cos, sin, m, pm);
    default: return;
  }
}

}  // namespace detail

/// Half layout, storage Io::type: see the file comment for layout, aliasing and accuracy.
template <class Io>
POSENC_AVX512_ENTRY void rotate_half(row_block<typename Io::type> a, row_block<typename Io::type> b,
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
POSENC_AVX512_ENTRY void rotate_interleaved(row_block<typename Io::type> a,
                                            row_block<typename Io::type> b, const float* cos,
                                            const float* sin, std::int64_t n) noexcept {
  // One block call covers up to 32 pairs (4 vectors), or exactly 64 (8 vectors).
  const bool one_block = n <= detail::lanes / 2 * detail::block_vectors ||
                         n == detail::lanes * detail::block_vectors;
  const std::int64_t rows = a.rows > b.rows ? a.rows : b.rows;
  const std::int64_t group = one_block ? rows : rows_per_pass;
  for (std::int64_t r0 = 0; r0 < rows; r0 += group) {
    detail::interleaved_pass<Io>(row_range(a, r0, group), row_range(b, r0, group), cos, sin, n);
  }
}

/// Two-level cos/sin composition: kernels/scalar.hpp's compose_cos_sin, 8 doubles per vector,
/// masked tail; bitwise identical to it.
POSENC_AVX512_ENTRY void compose_cos_sin(const double* c_hi, const double* s_hi,
                                         const double* c_lo, const double* s_lo, double cos_scale,
                                         double sin_scale, float* cos, float* sin,
                                         std::int64_t n) noexcept {
  const __m512d fc = _mm512_set1_pd(cos_scale), fs = _mm512_set1_pd(sin_scale);
  for (std::int64_t k = 0; k < n; k += 8) {
    const auto m = static_cast<__mmask8>(n - k >= 8 ? 0xFF : (1u << (n - k)) - 1u);
    const __m512d ch = _mm512_maskz_loadu_pd(m, c_hi + k), sh = _mm512_maskz_loadu_pd(m, s_hi + k);
    const __m512d cl = _mm512_maskz_loadu_pd(m, c_lo + k), sl = _mm512_maskz_loadu_pd(m, s_lo + k);
    const __m512d c = _mm512_mul_pd(_mm512_fmsub_pd(ch, cl, _mm512_mul_pd(sh, sl)), fc);
    const __m512d s = _mm512_mul_pd(_mm512_fmadd_pd(sh, cl, _mm512_mul_pd(ch, sl)), fs);
    _mm256_mask_storeu_ps(cos + k, m, _mm512_cvtpd_ps(c));
    _mm256_mask_storeu_ps(sin + k, m, _mm512_cvtpd_ps(s));
  }
}

/// kernels/scalar.hpp's copy_rows: unaligned 64-byte loads and stores, masked tail; nothing
/// outside a row's bytes is read or written. Against glibc's memcpy per row it saves a call per
/// row; a bias fill with 8 KiB rows from DRAM ran 15-20% faster, with 0.5-2 KiB rows within the
/// noise (docs/performance.md, "Bias fills").
POSENC_AVX512_ENTRY void copy_rows(unsigned char* dst, std::int64_t dst_stride,
                                   const unsigned char* src, std::int64_t src_step,
                                   std::int64_t rows, std::int64_t bytes) noexcept {
  for (std::int64_t i = 0; i < rows; ++i) {
    unsigned char* d = dst + i * dst_stride;
    const unsigned char* s = src + i * src_step;
    std::int64_t k = 0;
    for (; k + 64 <= bytes; k += 64) _mm512_storeu_si512(d + k, _mm512_loadu_si512(s + k));
    if (k < bytes) {
      const __mmask64 m = (__mmask64{1} << (bytes - k)) - 1;
      _mm512_mask_storeu_epi8(d + k, m, _mm512_maskz_loadu_epi8(m, s + k));
    }
  }
}

}  // namespace posenc::kernels::avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#undef POSENC_AVX512_FN
#undef POSENC_AVX512_ENTRY

#endif  // POSENC_ARCH_X86_64
