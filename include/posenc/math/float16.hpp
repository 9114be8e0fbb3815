// IEEE 754 binary16 storage type. Values are computed in float; conversion from float rounds
// to nearest even, keeps NaN a NaN, overflows to infinity and produces subnormals.
#pragma once

#include <bit>
#include <cstdint>

namespace posenc {

/// 16-bit IEEE half-precision storage (compute happens in float).
struct float16 {
  std::uint16_t bits_ = 0;

  float16() = default;
  /// Rounds f to the nearest half (ties to even).
  explicit float16(float f) noexcept : bits_(from_float(f)) {}
  /// The half with this bit pattern.
  static constexpr float16 from_bits(std::uint16_t b) noexcept {
    float16 h;
    h.bits_ = b;
    return h;
  }
  /// The bit pattern.
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  /// The exact float value.
  explicit operator float() const noexcept { return to_float(bits_); }

  /// Exact widening of a half bit pattern to float.
  static float to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1fu;
    std::uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));  // inf/NaN
    if (exp == 0) {
      if (man == 0) return std::bit_cast<float>(sign);
      // Subnormal: value = man * 2^-24, exact in float.
      const float v = static_cast<float>(man) * 0x1p-24f;
      return sign ? -v : v;
    }
    return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
  }

  /// Round-to-nearest-even narrowing of a float to a half bit pattern.
  static std::uint16_t from_float(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    const std::uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) {  // inf or NaN (keep a quiet NaN)
      return static_cast<std::uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    }
    if (ax >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to inf
    if (ax < 0x38800000u) {  // below the smallest normal half: round to a subnormal
      // Scale so the subnormal grid (2^-24) becomes integers, letting float addition round.
      const float a = std::bit_cast<float>(ax) + 0.5f;  // 0.5 = 2^-1: aligns ulp to 2^-24
      return static_cast<std::uint16_t>(sign | (std::bit_cast<std::uint32_t>(a) - 0x3f000000u));
    }
    const std::uint32_t odd = (ax >> 13) & 1u;
    const std::uint32_t r = ax + 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round
    return static_cast<std::uint16_t>(sign | (r >> 13));
  }
};

}  // namespace posenc
