// bfloat16 storage type: the top 16 bits of a float (1 sign, 8 exponent, 7 mantissa bits).
//
// Conversion to float is exact (a 16-bit shift). Conversion from float rounds to nearest, ties
// to even, over the whole float range: subnormals round to bf16 subnormals, overflow goes to
// +-inf, NaN stays NaN (quiet bit set, top payload bits kept), as AVX512_BF16's vcvtneps2bf16
// does except that the instruction flushes subnormals to +-0; the kernels using it patch those
// lanes (kernels/avx512.hpp), so every ISA stores the bits this function gives.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace posenc {

namespace detail {

/// The float equal to the bfloat16 bit pattern b (exact).
constexpr float bf16_bits_to_f32(std::uint16_t b) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

/// The bfloat16 bit pattern nearest to f (ties to even; NaN stays NaN).
constexpr std::uint16_t f32_to_bf16_bits(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  // Adding 0x7FFF plus the kept lsb carries exactly when the dropped half is above 1/2 ulp, or
  // equal to it with an odd lsb; the carry walks into the exponent (and up to inf) correctly.
  return static_cast<std::uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace detail

/// A bfloat16 value in 16 bits of storage; converts exactly to float, rounds from float.
class bfloat16 {
 public:
  bfloat16() noexcept = default;
  /// The bfloat16 value nearest to f (round to nearest even).
  constexpr explicit bfloat16(float f) noexcept : bits_(detail::f32_to_bf16_bits(f)) {}
  /// The value with the given bit pattern.
  static constexpr bfloat16 from_bits(std::uint16_t b) noexcept {
    bfloat16 h;
    h.bits_ = b;
    return h;
  }
  /// The bit pattern.
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  /// The exact value as a float.
  constexpr operator float() const noexcept { return detail::bf16_bits_to_f32(bits_); }

 private:
  std::uint16_t bits_;
};

static_assert(sizeof(bfloat16) == 2 && std::is_trivially_copyable_v<bfloat16> &&
              std::is_trivially_default_constructible_v<bfloat16>);

}  // namespace posenc
