// bfloat16 against independent references: the bit layout's formula in double for every
// pattern, and the nearer of the two neighbouring bf16 values chosen in double arithmetic.
#include <posenc/math/bfloat16.hpp>

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using posenc::bfloat16;

namespace {

double bf16_formula(std::uint16_t h) {
  const int s = h >> 15, e = (h >> 7) & 255, m = h & 127;
  const double sign = s ? -1.0 : 1.0;
  if (e == 255) return m ? std::numeric_limits<double>::quiet_NaN()
                         : sign * std::numeric_limits<double>::infinity();
  if (e == 0) return sign * std::ldexp(m / 128.0, -126);
  return sign * std::ldexp(1.0 + m / 128.0, e - 127);
}

// Nearest bf16 to a finite float: the truncation toward zero or the next pattern up in
// magnitude (inf counting as 2^128 for the rounding decision, as IEEE overflow does).
std::uint16_t bf16_nearest(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000);
  const auto lo = static_cast<std::uint16_t>((x >> 16) & 0x7FFF);
  const auto hi = static_cast<std::uint16_t>(lo + 1);
  const double a = std::fabs(static_cast<double>(f));
  const double vlo = bf16_formula(lo);
  const double vhi = hi == 0x7F80 ? std::ldexp(1.0, 128) : bf16_formula(hi);
  if (a == vlo) return sign | lo;
  const double dlo = a - vlo, dhi = vhi - a;
  if (dlo < dhi) return sign | lo;
  if (dhi < dlo) return sign | hi;
  return sign | ((lo & 1) ? hi : lo);
}

}  // namespace

TEST_CASE("bfloat16 is 16-bit trivially copyable storage", "[bfloat16]") {
  STATIC_REQUIRE(sizeof(bfloat16) == 2);
  STATIC_REQUIRE(std::is_trivially_copyable_v<bfloat16>);
  STATIC_REQUIRE(static_cast<float>(bfloat16::from_bits(0x3F80)) == 1.0f);
}

TEST_CASE("bfloat16 to float is exact for all 65536 patterns", "[bfloat16]") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto h = bfloat16::from_bits(static_cast<std::uint16_t>(b));
    const double want = bf16_formula(static_cast<std::uint16_t>(b));
    const float got = h;
    if (std::isnan(want)) {
      REQUIRE(std::isnan(got));
    } else {
      REQUIRE(static_cast<double>(got) == want);
      REQUIRE(std::signbit(got) == bool(b & 0x8000));
      REQUIRE(bfloat16(got).bits() == b);
    }
  }
}

TEST_CASE("bfloat16 from float rounds to nearest even", "[bfloat16]") {
  // Around every bf16 pattern: exact, just below/at/above the midpoint to the next pattern.
  for (std::uint32_t b = 0; b < 65536; ++b) {
    for (std::uint32_t d : {0u, 1u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu}) {
      const std::uint32_t x = (b << 16) + d;
      const float f = std::bit_cast<float>(x);
      if (!std::isfinite(f)) continue;
      INFO("bits " << x);
      REQUIRE(bfloat16(f).bits() == bf16_nearest(f));
    }
  }
  std::mt19937 gen(11);
  for (int i = 0; i < 1 << 22; ++i) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(gen()));
    if (!std::isfinite(f)) continue;
    REQUIRE(bfloat16(f).bits() == bf16_nearest(f));
  }
  CHECK(bfloat16(1.0f + 0x1p-8f).bits() == 0x3F80);      // tie, even down
  CHECK(bfloat16(1.0f + 3 * 0x1p-8f).bits() == 0x3F82);  // tie, even up
  CHECK(bfloat16(std::numeric_limits<float>::max()).bits() == 0x7F80);
  CHECK(bfloat16(std::numeric_limits<float>::denorm_min()).bits() == 0x0000);
  CHECK(bfloat16(std::bit_cast<float>(0x00018000u)).bits() == 0x0002);  // subnormal tie, up
}

TEST_CASE("bfloat16 keeps inf and NaN", "[bfloat16]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(bfloat16(inf).bits() == 0x7F80);
  CHECK(bfloat16(-inf).bits() == 0xFF80);
  // NaNs whose payload lies only in the dropped bits must not become inf.
  for (std::uint32_t nan : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF80FFFFu, 0x7FFFFFFFu}) {
    const bfloat16 h(std::bit_cast<float>(nan));
    INFO("nan bits " << nan);
    CHECK(std::isnan(static_cast<float>(h)));
    CHECK(bool(h.bits() & 0x8000) == bool(nan >> 31));
  }
}
