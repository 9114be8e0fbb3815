// float16 against independent references: the binary16 formula (-1)^s 2^(e-15) (1 + m/2^10)
// evaluated in double for every bit pattern, a nearest-value search in double for rounding,
// and, where the CPU has it, the F16C instruction.
#include <posenc/math/float16.hpp>

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using posenc::float16;

namespace {

// The value of a binary16 pattern from its definition, in double.
double f16_formula(std::uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  const double sign = s ? -1.0 : 1.0;
  if (e == 31) return m ? std::numeric_limits<double>::quiet_NaN()
                        : sign * std::numeric_limits<double>::infinity();
  if (e == 0) return sign * std::ldexp(m / 1024.0, -14);
  return sign * std::ldexp(1.0 + m / 1024.0, e - 15);
}

// Nearest binary16 to a finite float by search over the sorted positive values; ties to even;
// magnitudes at or above 65504 + 16 (half an ulp past the largest) overflow to inf.
std::uint16_t f16_nearest(float f) {
  static const std::vector<double> values = [] {
    std::vector<double> v;
    for (std::uint32_t b = 0; b <= 0x7BFF; ++b) v.push_back(f16_formula(static_cast<std::uint16_t>(b)));
    return v;
  }();
  const std::uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7C00;
  const auto it = std::lower_bound(values.begin(), values.end(), a);
  if (it == values.end()) return sign | 0x7BFF;  // in (65504, 65520): the largest finite
  const auto hi = static_cast<std::uint16_t>(it - values.begin());
  if (values[hi] == a || hi == 0) return sign | hi;
  const auto lo = static_cast<std::uint16_t>(hi - 1);
  const double dlo = a - values[lo], dhi = values[hi] - a;
  if (dlo < dhi) return sign | lo;
  if (dhi < dlo) return sign | hi;
  return sign | ((lo & 1) ? hi : lo);
}

float from_bits32(std::uint32_t b) { return std::bit_cast<float>(b); }

#if defined(__x86_64__)
[[gnu::target("f16c")]] std::uint16_t f16c_round(float f) {
  return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#endif

}  // namespace

TEST_CASE("float16 is 16-bit trivially copyable storage", "[float16]") {
  STATIC_REQUIRE(sizeof(float16) == 2);
  STATIC_REQUIRE(std::is_trivially_copyable_v<float16>);
  STATIC_REQUIRE(float16::from_bits(0x3C00).bits() == 0x3C00);
  STATIC_REQUIRE(static_cast<float>(float16::from_bits(0x3C00)) == 1.0f);
}

TEST_CASE("float16 to float is exact for all 65536 patterns", "[float16]") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto h = float16::from_bits(static_cast<std::uint16_t>(b));
    const double want = f16_formula(static_cast<std::uint16_t>(b));
    const float got = h;
    if (std::isnan(want)) {
      REQUIRE(std::isnan(got));
      REQUIRE(std::signbit(got) == bool(b & 0x8000));
    } else {
      REQUIRE(static_cast<double>(got) == want);
      REQUIRE(std::signbit(got) == bool(b & 0x8000));
      // Every non-NaN pattern round-trips.
      REQUIRE(float16(got).bits() == b);
    }
  }
}

TEST_CASE("float16 from float rounds to nearest even", "[float16]") {
  std::vector<float> cases;
  // Every binary16 value, the midpoints to the next one, and a float ulp either side.
  for (std::uint32_t b = 0; b < 0x7C00; ++b) {
    const float v = static_cast<float>(f16_formula(static_cast<std::uint16_t>(b)));
    const float mid = static_cast<float>(
        (f16_formula(static_cast<std::uint16_t>(b)) + (b + 1 < 0x7C00 ? f16_formula(static_cast<std::uint16_t>(b + 1)) : 65536.0)) / 2);
    for (float c : {v, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      cases.push_back(c);
      cases.push_back(-c);
    }
  }
  std::mt19937 gen(7);
  for (int i = 0; i < 1 << 20; ++i) {
    const float f = from_bits32(static_cast<std::uint32_t>(gen()));
    if (std::isfinite(f)) cases.push_back(f);
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65519.996f, 65520.0f, 1e10f, 0x1p-24f, 0x1p-25f,
                  0x1.000002p-25f, 0x1.8p-24f, std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::max()}) {
    cases.push_back(f);
    cases.push_back(-f);
  }
  for (float f : cases) {
    INFO("f = " << f);
    REQUIRE(float16(f).bits() == f16_nearest(f));
  }
  // Named ties: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (even: 1).
  CHECK(float16(1.0f + 0x1p-11f).bits() == 0x3C00);
  CHECK(float16(1.0f + 3 * 0x1p-11f).bits() == 0x3C02);
  CHECK(float16(65520.0f).bits() == 0x7C00);
  CHECK(float16(0x1p-25f).bits() == 0x0000);        // tie between 0 and the smallest subnormal
  CHECK(float16(0x1.8p-24f).bits() == 0x0002);      // 1.5 subnormal ulps: tie to even 2
}

TEST_CASE("float16 keeps inf and NaN", "[float16]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(float16(inf).bits() == 0x7C00);
  CHECK(float16(-inf).bits() == 0xFC00);
  for (std::uint32_t nan : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7FBFFFFFu, 0xFF802000u}) {
    const float16 h(from_bits32(nan));
    INFO("nan bits " << nan);
    CHECK((h.bits() & 0x7C00) == 0x7C00);
    CHECK((h.bits() & 0x3FF) != 0);
    CHECK(std::isnan(static_cast<float>(h)));
    CHECK(bool(h.bits() & 0x8000) == bool(nan >> 31));
  }
}

#if defined(__x86_64__)
TEST_CASE("float16 rounding equals the F16C instruction", "[float16]") {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("f16c")) {
    WARN("no F16C on this CPU; skipped");
    return;
  }
  // A stride through all 2^32 float patterns (NaNs included) plus every binary16 midpoint.
  std::uint64_t mismatches = 0;
  for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); b += 251) {
    const float f = from_bits32(static_cast<std::uint32_t>(b));
    mismatches += float16(f).bits() != f16c_round(f);
  }
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const std::uint32_t base = std::bit_cast<std::uint32_t>(
        static_cast<float>(float16::from_bits(static_cast<std::uint16_t>(b))));
    for (std::uint32_t d : {0u, 0xFFFu, 0x1000u, 0x1001u}) {
      const float f = from_bits32(base + d);
      mismatches += float16(f).bits() != f16c_round(f);
    }
  }
  CHECK(mismatches == 0);
}
#endif
