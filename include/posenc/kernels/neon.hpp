// NEON (AArch64) rotation kernels: 4 float lanes; compiled when the target is AArch64 (NEON is
// part of the baseline there, so no run-time check is needed).
//
// Contract: the same as kernels/scalar.hpp (layouts, row blocks, aliasing: rows must not
// overlap and cos/sin must not alias them; any strides; any n, so any even rotary dim).
// Accuracy: bitwise identical to the scalar reference for every storage type, since both
// layouts reduce to the reference's a' = fma(a, c, -(b*s)), b' = fma(b, c, a*s) (vfmsq/vfmaq
// are single-rounding fused operations): the interleaved layout is split into its a and b
// lanes by vld2/vst2. float16 converts with fcvtl/fcvtn (round to nearest even under the
// default FPCR); bfloat16 widens by a shift and narrows with integer round-to-nearest-even.
// Partial last vectors go through a small stack buffer, so tails stay inside the pairs.
#pragma once

#include "../config.hpp"

#if POSENC_ARCH_AARCH64

#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "scalar.hpp"

namespace posenc::kernels::neon {
namespace detail {

inline constexpr int lanes = 4;
inline constexpr int block_vectors = 4;  // cos/sin vectors held in registers per block

inline uint32x4_t bf16_round(float32x4_t v) noexcept {
  const uint32x4_t x = vreinterpretq_u32_f32(v);
  const uint32x4_t lsb = vandq_u32(vshrq_n_u32(x, 16), vdupq_n_u32(1));
  const uint32x4_t r = vaddq_u32(x, vaddq_u32(lsb, vdupq_n_u32(0x7FFF)));
  const uint32x4_t nan = vmvnq_u32(vceqq_f32(v, v));
  return vbslq_u32(nan, vorrq_u32(x, vdupq_n_u32(0x00400000)), r);  // quiet bit 6 of the top half
}

// Storage I/O: 4 stored elements <-> 4 floats; load2/store2 split and join interleaved pairs.
struct io_f32 {
  using type = float;
  static float32x4_t load(const float* p) noexcept { return vld1q_f32(p); }
  static void store(float* p, float32x4_t v) noexcept { vst1q_f32(p, v); }
  static float32x4x2_t load2(const float* p) noexcept { return vld2q_f32(p); }
  static void store2(float* p, float32x4x2_t v) noexcept { vst2q_f32(p, v); }
};

struct io_f16 {
  using type = float16;
  static float32x4_t widen(uint16x4_t h) noexcept { return vcvt_f32_f16(vreinterpret_f16_u16(h)); }
  static uint16x4_t narrow(float32x4_t v) noexcept { return vreinterpret_u16_f16(vcvt_f16_f32(v)); }
  static float32x4_t load(const float16* p) noexcept {
    return widen(vld1_u16(reinterpret_cast<const std::uint16_t*>(p)));
  }
  static void store(float16* p, float32x4_t v) noexcept {
    vst1_u16(reinterpret_cast<std::uint16_t*>(p), narrow(v));
  }
  static float32x4x2_t load2(const float16* p) noexcept {
    const uint16x4x2_t h = vld2_u16(reinterpret_cast<const std::uint16_t*>(p));
    return {{widen(h.val[0]), widen(h.val[1])}};
  }
  static void store2(float16* p, float32x4x2_t v) noexcept {
    vst2_u16(reinterpret_cast<std::uint16_t*>(p), {{narrow(v.val[0]), narrow(v.val[1])}});
  }
};

struct io_bf16 {
  using type = bfloat16;
  static float32x4_t widen(uint16x4_t h) noexcept {
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
  }
  static uint16x4_t narrow(float32x4_t v) noexcept { return vshrn_n_u32(bf16_round(v), 16); }
  static float32x4_t load(const bfloat16* p) noexcept {
    return widen(vld1_u16(reinterpret_cast<const std::uint16_t*>(p)));
  }
  static void store(bfloat16* p, float32x4_t v) noexcept {
    vst1_u16(reinterpret_cast<std::uint16_t*>(p), narrow(v));
  }
  static float32x4x2_t load2(const bfloat16* p) noexcept {
    const uint16x4x2_t h = vld2_u16(reinterpret_cast<const std::uint16_t*>(p));
    return {{widen(h.val[0]), widen(h.val[1])}};
  }
  static void store2(bfloat16* p, float32x4x2_t v) noexcept {
    vst2_u16(reinterpret_cast<std::uint16_t*>(p), {{narrow(v.val[0]), narrow(v.val[1])}});
  }
};

// The reference rotation: a' = fma(a, c, -(b*s)), b' = fma(b, c, a*s).
inline void rotate(float32x4_t& a, float32x4_t& b, float32x4_t c, float32x4_t s) noexcept {
  const float32x4_t bs = vmulq_f32(b, s);
  const float32x4_t as = vmulq_f32(a, s);
  a = vfmaq_f32(vnegq_f32(bs), a, c);
  b = vfmaq_f32(as, b, c);
}

inline float32x4_t load_partial(const float* p, int m) noexcept {
  float buf[lanes] = {};
  std::memcpy(buf, p, static_cast<std::size_t>(m) * sizeof(float));
  return vld1q_f32(buf);
}

// `Width` stored elements per vector of pairs: 4 (half: x[k..k+4)) or 8 (interleaved pairs).
template <class Io, int Width>
struct pair_io {
  using T = typename Io::type;
  static void load(const T* lo, const T* hi, float32x4_t& a, float32x4_t& b) noexcept {
    if constexpr (Width == lanes) {
      a = Io::load(lo), b = Io::load(hi);
    } else {
      const float32x4x2_t v = Io::load2(lo);
      a = v.val[0], b = v.val[1];
    }
  }
  static void store(T* lo, T* hi, float32x4_t a, float32x4_t b) noexcept {
    if constexpr (Width == lanes) {
      Io::store(lo, a), Io::store(hi, b);
    } else {
      Io::store2(lo, {{a, b}});
    }
  }
};

// Rows of one block: Full whole vectors of pairs, then `tail` pairs (< 4) if Tail. For the half
// layout hi = lo + partner; for the interleaved one, partner is unused and a vector of pairs
// spans 8 elements.
template <class Io, int Width, int Full, bool Tail>
void block_rows(row_block<typename Io::type> blk, std::int64_t partner,
                const float32x4_t (&c)[Full + Tail], const float32x4_t (&s)[Full + Tail],
                int tail) noexcept {
  using T = typename Io::type;
  using pio = pair_io<Io, Width>;
  constexpr int per_pair = Width / lanes;  // stored elements per pair in one run: 1 or 2
  for (std::int64_t h = 0; h < blk.rows; ++h) {
    T* lo = blk.data + h * blk.stride;
    T* hi = lo + partner;
    for (int j = 0; j < Full; ++j) {
      float32x4_t a, b;
      pio::load(lo + j * Width, hi + j * Width, a, b);
      rotate(a, b, c[j], s[j]);
      pio::store(lo + j * Width, hi + j * Width, a, b);
    }
    if constexpr (Tail) {
      T buf_lo[Width] = {}, buf_hi[Width] = {};
      const auto bytes = static_cast<std::size_t>(tail * per_pair) * sizeof(T);
      std::memcpy(buf_lo, lo + Full * Width, bytes);
      if constexpr (Width == lanes) std::memcpy(buf_hi, hi + Full * Width, bytes);
      float32x4_t a, b;
      pio::load(buf_lo, buf_hi, a, b);
      rotate(a, b, c[Full], s[Full]);
      pio::store(buf_lo, buf_hi, a, b);
      std::memcpy(lo + Full * Width, buf_lo, bytes);
      if constexpr (Width == lanes) std::memcpy(hi + Full * Width, buf_hi, bytes);
    }
  }
}

template <class Io, int Width, int Full, bool Tail>
void block(row_block<typename Io::type> a, row_block<typename Io::type> b, std::int64_t partner,
           const float* cos, const float* sin, int tail) noexcept {
  float32x4_t c[Full + Tail], s[Full + Tail];
  for (int j = 0; j < Full; ++j) c[j] = vld1q_f32(cos + j * lanes), s[j] = vld1q_f32(sin + j * lanes);
  if constexpr (Tail) {
    c[Full] = load_partial(cos + Full * lanes, tail);
    s[Full] = load_partial(sin + Full * lanes, tail);
  }
  block_rows<Io, Width, Full, Tail>(a, partner, c, s, tail);
  block_rows<Io, Width, Full, Tail>(b, partner, c, s, tail);
}

// Pairs [0, n) in blocks; `Width` elements of a row per vector of pairs (see pair_io).
template <class Io, int Width>
void pass(row_block<typename Io::type> a, row_block<typename Io::type> b, std::int64_t partner,
          const float* cos, const float* sin, std::int64_t n) noexcept {
  constexpr std::int64_t step = std::int64_t{lanes} * block_vectors;  // pairs per block
  constexpr std::int64_t per_pair = Width / lanes;
  std::int64_t k0 = 0;
  for (; k0 + step <= n; k0 += step) {
    block<Io, Width, block_vectors, false>(offset_block(a, k0 * per_pair),
                                           offset_block(b, k0 * per_pair), partner, cos + k0,
                                           sin + k0, 0);
  }
  const std::int64_t rem = n - k0;
  const int full = static_cast<int>(rem / lanes);
  const int tail = static_cast<int>(rem % lanes);
  a = offset_block(a, k0 * per_pair), b = offset_block(b, k0 * per_pair), cos += k0, sin += k0;
  switch (full * 2 + (tail != 0)) {
    case 1: return block<Io, Width, 0, true>(a, b, partner, cos, sin, tail);
    case 2: return block<Io, Width, 1, false>(a, b, partner, cos, sin, tail);
    case 3: return block<Io, Width, 1, true>(a, b, partner, cos, sin, tail);
    case 4: return block<Io, Width, 2, false>(a, b, partner, cos, sin, tail);
    case 5: return block<Io, Width, 2, true>(a, b, partner, cos, sin, tail);
    case 6: return block<Io, Width, 3, false>(a, b, partner, cos, sin, tail);
    case 7: return block<Io, Width, 3, true>(a, b, partner, cos, sin, tail);
    default: return;
  }
}

// pass() over groups of rows_per_pass rows when a row takes more than one block.
template <class Io, int Width>
void run(row_block<typename Io::type> a, row_block<typename Io::type> b, std::int64_t partner,
         const float* cos, const float* sin, std::int64_t n) noexcept {
  const std::int64_t rows = a.rows > b.rows ? a.rows : b.rows;
  const std::int64_t group = n > std::int64_t{lanes} * block_vectors ? rows_per_pass : rows;
  for (std::int64_t r0 = 0; r0 < rows; r0 += group) {
    pass<Io, Width>(row_range(a, r0, group), row_range(b, r0, group), partner, cos, sin, n);
  }
}

}  // namespace detail

/// Half layout, storage Io::type: see the file comment for layout, aliasing and accuracy.
template <class Io>
void rotate_half(row_block<typename Io::type> a, row_block<typename Io::type> b,
                 std::int64_t partner, const float* cos, const float* sin,
                 std::int64_t n) noexcept {
  detail::run<Io, detail::lanes>(a, b, partner, cos, sin, n);
}

/// Interleaved layout, storage Io::type: see the file comment.
template <class Io>
void rotate_interleaved(row_block<typename Io::type> a, row_block<typename Io::type> b,
                        const float* cos, const float* sin, std::int64_t n) noexcept {
  detail::run<Io, 2 * detail::lanes>(a, b, 0, cos, sin, n);
}

}  // namespace posenc::kernels::neon

#endif  // POSENC_ARCH_AARCH64
