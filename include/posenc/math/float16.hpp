// IEEE 754 binary16 ("half", fp16) storage type: 1 sign, 5 exponent, 10 mantissa bits.
//
// posenc stores q/k in float16 but computes in float. Conversion to float is exact (every
// binary16 value, subnormals included, is a float). Conversion from float rounds to nearest,
// ties to even, as F16C's vcvtps2ph and AArch64's fcvt do with the default rounding mode:
// |x| >= 65520 becomes +-inf, values below 2^-24 round to subnormals or +-0, NaN stays NaN
// (quieted; the top 10 payload bits kept). So the SIMD kernels' hardware conversions and this
// software conversion give identical bits (tests/math/float16_test.cpp checks both).
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace posenc {

namespace detail {

/// The float equal to the binary16 bit pattern h (exact).
constexpr float f16_bits_to_f32(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  const std::uint32_t mant = h & 0x3FFu;
  if (exp == 0x1Fu) return std::bit_cast<float>(sign | 0x7F800000u | (mant << 13));
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  // Subnormal or zero: mant * 2^-24, exact in float.
  const float m = static_cast<float>(mant) * 0x1p-24f;
  return sign ? -m : m;
}

/// The binary16 bit pattern nearest to f (ties to even; NaN stays NaN).
constexpr std::uint16_t f32_to_f16_bits(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t a = x & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) {  // inf or NaN
    return static_cast<std::uint16_t>(
        sign | (a > 0x7F800000u ? 0x7E00u | ((a >> 13) & 0x3FFu) : 0x7C00u));
  }
  if (a >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520: inf
  if (a >= 0x38800000u) {  // normal binary16 range, >= 2^-14
    std::uint32_t h = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3FFu);
    const std::uint32_t rem = a & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry bumps the exponent
    return static_cast<std::uint16_t>(sign | h);
  }
  // Subnormal result: round(|f| * 2^24) = significand >> shift, to nearest even.
  const std::uint32_t e = a >> 23;
  if (e < 102u) return sign;  // |f| < 2^-25: rounds to zero (float subnormals included)
  const std::uint32_t sig = (a & 0x7FFFFFu) | 0x800000u;
  const std::uint32_t shift = 126u - e;  // 14 .. 24
  std::uint32_t q = sig >> shift;
  const std::uint32_t rem = sig & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u))) ++q;  // may carry into the smallest normal
  return static_cast<std::uint16_t>(sign | q);
}

}  // namespace detail

/// A binary16 value in 16 bits of storage; converts exactly to float, rounds from float.
class float16 {
 public:
  float16() noexcept = default;
  /// The binary16 value nearest to f (round to nearest even).
  constexpr explicit float16(float f) noexcept : bits_(detail::f32_to_f16_bits(f)) {}
  /// The value with the given bit pattern.
  static constexpr float16 from_bits(std::uint16_t b) noexcept {
    float16 h;
    h.bits_ = b;
    return h;
  }
  /// The bit pattern.
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  /// The exact value as a float.
  constexpr operator float() const noexcept { return detail::f16_bits_to_f32(bits_); }

 private:
  std::uint16_t bits_;
};

static_assert(sizeof(float16) == 2 && std::is_trivially_copyable_v<float16> &&
              std::is_trivially_default_constructible_v<float16>);

}  // namespace posenc
