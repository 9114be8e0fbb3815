// Tests for absolute/sinusoidal.hpp: the spec's worked values (spec/encodings.md §1), a long
// double reference at large positions, the layouts as permutations of each other, add_to, the
// config parser, and every error path (message names the value; the output is untouched).
// Storage types: encode/add_to into float, double, float16 and bfloat16 against a reference
// whose phase is reduced in binary128 and whose 16-bit rounding is the test's own.
#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <posenc/absolute/sinusoidal.hpp>
#include <posenc/io/hf_config.hpp>
#include <type_traits>
#include <vector>

using posenc::sinusoidal;
using posenc::sinusoidal_config;
using posenc::sinusoidal_layout;
using posenc::sinusoidal_spacing;

static_assert(posenc::AbsoluteEncoder<sinusoidal>);

namespace {

sinusoidal make(std::int64_t d, sinusoidal_layout layout = sinusoidal_layout::interleaved,
                sinusoidal_spacing spacing = sinusoidal_spacing::paper, double base = 10000.0) {
  auto e = sinusoidal::make({.d_model = d, .base = base, .layout = layout, .spacing = spacing});
  REQUIRE(e.has_value());
  return *e;
}

std::vector<float> encode(const sinusoidal& e, const std::vector<std::int64_t>& p) {
  std::vector<float> out(p.size() * static_cast<std::size_t>(e.width()));
  REQUIRE(e.encode(p, posenc::matrix_view(out.data(), static_cast<std::int64_t>(p.size()),
                                          e.width())).ok());
  return out;
}

// |got - want| within one float ulp of want, plus the reference's own error.
bool within_ulp(float got, long double want) {
  const auto w = static_cast<float>(want);
  const float ulp = std::nextafter(std::fabs(w), std::numeric_limits<float>::infinity()) - std::fabs(w);
  return std::fabs(static_cast<long double>(got) - want) <= ulp + 1e-12L;
}

// ---- An independent reference for every storage type ----------------------------------------

// binary128: long double where it is (AArch64), else GCC's __float128.
#if LDBL_MANT_DIG == 113
using quad = long double;
#else
using quad = __float128;
#endif

// pi/2 from the hexadecimal expansion of pi, 3.243F6A8885A308D313198A2E0370734...: 127 bits,
// rounded once to binary128's 113.
const quad half_pi = (static_cast<quad>(0x3243F6A8885A308DULL) +
                      static_cast<quad>(0x313198A2E0370734ULL) * static_cast<quad>(0x1p-64)) *
                     static_cast<quad>(0x1p-61);

struct sin_cos {
  long double s, c;
};

// sin and cos of p * w: the product is exact in binary128 (|p| < 2^60), reduced by the nearest
// multiple of pi/2 to |r| <= pi/4 with an absolute error below 2^-70 (k * half_pi's rounding at
// p ~ 2^40), and long double's sin/cos of r add a few 2^-64 relative: far below the half float
// ulp (or 2^-20 ulp margin) the checks resolve.
sin_cos reference(std::int64_t p, double w) {
  const quad x = static_cast<quad>(p) * static_cast<quad>(w);
  const quad y = x / half_pi;
  auto k = static_cast<std::int64_t>(y);  // truncated; then to the nearest
  if (y - static_cast<quad>(k) > static_cast<quad>(0.5)) ++k;
  if (y - static_cast<quad>(k) < static_cast<quad>(-0.5)) --k;
  const auto r = static_cast<long double>(x - static_cast<quad>(k) * half_pi);
  const long double sr = std::sin(r), cr = std::cos(r);
  switch (((k % 4) + 4) % 4) {
    case 0: return {sr, cr};
    case 1: return {cr, -sr};
    case 2: return {-sr, -cr};
    default: return {-cr, sr};
  }
}

// Round to nearest even by integer arithmetic on the float's bits (finite f).
std::uint16_t bf16_bits(float f) {
  const auto x = std::bit_cast<std::uint32_t>(f);
  auto upper = static_cast<std::uint16_t>(x >> 16);
  const std::uint32_t dropped = x & 0xFFFFu;
  if (dropped > 0x8000u || (dropped == 0x8000u && (upper & 1u) != 0)) ++upper;
  return upper;
}

// GCC's _Float16 conversion (round to nearest even), independent of math/float16.hpp.
std::uint16_t f16_bits(float f) { return std::bit_cast<std::uint16_t>(static_cast<_Float16>(f)); }

// The test's own rounding of a float to T (float: itself).
template <class T>
T from_float(float f) {
  if constexpr (std::is_same_v<T, posenc::bfloat16>) {
    return posenc::bfloat16::from_bits(bf16_bits(f));
  } else if constexpr (std::is_same_v<T, posenc::float16>) {
    return posenc::float16::from_bits(f16_bits(f));
  } else {
    return f;
  }
}

// The exact float value of a T, by the test's own widening.
template <class T>
float to_float(T v) {
  if constexpr (std::is_same_v<T, posenc::bfloat16>) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(v.bits()) << 16);
  } else if constexpr (std::is_same_v<T, posenc::float16>) {
    return static_cast<float>(std::bit_cast<_Float16>(v.bits()));
  } else {
    return v;
  }
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// The float value of an exact sin/cos: ref rounded to float, or either float around ref where
// it lies so near a float midpoint (2^-20 ulp) that the library's double value may cross it.
std::vector<float> float_values(long double ref) {
  const auto f = static_cast<float>(ref);
  const float g = std::nextafter(f, ref > f ? std::numeric_limits<float>::infinity()
                                            : -std::numeric_limits<float>::infinity());
  const long double ulp = std::fabs(static_cast<long double>(g) - f);
  if (std::fabs(std::fabs(ref - f) - ulp / 2) < ulp * 0x1p-20L) return {f, g};
  return {f};
}

// The double ulp at v.
long double double_ulp(long double v) {
  const auto w = std::fabs(static_cast<double>(v));
  return std::nextafter(w, std::numeric_limits<double>::infinity()) - w;
}

// |got - want| in units of the double ulp at want.
long double double_ulps(double got, long double want) {
  return std::fabs(static_cast<long double>(got) - want) / double_ulp(want);
}

// PE(p, i) of the paper's spacing from the formula, in double as the paper's references build it.
double paper_frequency(double base, std::int64_t d, std::int64_t i) {
  return std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
}

// Positions for the storage-type tests: negative, past 2^24 and far past it.
const std::vector<std::int64_t> storage_positions = {
    0, 1, -1, 5, -5, 77, 1000, -4096, 65535, (1 << 24) - 1, (1 << 24) + 3, -((1 << 24) + 3),
    (std::int64_t{1} << 40) + 1};

// A value exactly representable in every storage type (multiples of 1/8 up to 4, and two
// with eight significant bits), for add_to's x.
float x_value(std::size_t k) {
  if (k % 11 == 3) return 288.0f;
  if (k % 11 == 7) return -96.5f;
  return -4.0f + 0.125f * static_cast<float>(k % 65);
}

}  // namespace

TEST_CASE("sinusoidal: worked values of spec/encodings.md, d = 8, p = 5", "[sinusoidal]") {
  const std::vector<double> interleaved = {-0.9589243, 0.2836622, 0.4794255, 0.8775826,
                                           0.0499792, 0.9987503, 0.0049999789, 0.9999875};
  const std::vector<double> concat = {-0.9589243, 0.4794255, 0.0499792, 0.0049999789,
                                      0.2836622, 0.8775826, 0.9987503, 0.9999875};
  const std::vector<double> t2t = {-0.9589243, 0.2300017, 0.0107720, 0.0005000,
                                   0.2836622, 0.9731902, 0.9999420, 0.9999999};
  const auto a = encode(make(8), {5});
  const auto b = encode(make(8, sinusoidal_layout::concat), {5});
  const auto c = encode(make(8, sinusoidal_layout::concat, sinusoidal_spacing::tensor2tensor), {5});
  for (std::size_t k = 0; k < 8; ++k) {
    CHECK(a[k] == Approx(interleaved[k]).margin(1e-7));
    CHECK(b[k] == Approx(concat[k]).margin(1e-7));
    CHECK(c[k] == Approx(t2t[k]).margin(1e-7));
  }
  const auto t2t_encoder = make(8, sinusoidal_layout::concat, sinusoidal_spacing::tensor2tensor);
  const auto w = t2t_encoder.inv_freq();
  const std::vector<double> freqs = {1.0, 0.0464159, 0.0021544, 9.99999e-05};  // 7 digits
  for (std::size_t k = 0; k < 4; ++k) CHECK(w[k] == Approx(freqs[k]).margin(1e-6 * freqs[k] + 1e-7));
  CHECK(w[3] == Approx(1e-4).epsilon(1e-15));  // the last t2t frequency is exactly 1/base
}

TEST_CASE("sinusoidal: within 1 float ulp of a long double reference", "[sinusoidal]") {
  const std::vector<std::int64_t> positions = {0,    1,       7,        -5,        1000,
                                               65535, 1 << 20, 8388609, (1 << 24) - 1};
  for (double base : {10000.0, 500000.0}) {
    for (std::int64_t d : {2, 6, 64, 512}) {
      for (auto spacing : {sinusoidal_spacing::paper, sinusoidal_spacing::tensor2tensor}) {
        const auto e = make(d, sinusoidal_layout::interleaved, spacing, base);
        const auto out = encode(e, positions);
        const std::int64_t n = d / 2;
        const long double denom = spacing == sinusoidal_spacing::paper
                                      ? static_cast<long double>(d) / 2
                                      : static_cast<long double>(std::max<std::int64_t>(n - 1, 1));
        for (std::int64_t i = 0; i < n; ++i) {
          const long double w_exact = std::pow(static_cast<long double>(base), -i / denom);
          const double w = e.inv_freq()[static_cast<std::size_t>(i)];
          // The double exponent -i/denom is itself rounded: |dw/w| <= ln(base) * 2^-53 + pow's.
          CHECK(std::fabs(w - w_exact) <= 4e-15L * w_exact);
          for (std::size_t t = 0; t < positions.size(); ++t) {
            // The phase of the encoder's own (double) frequency, in long double.
            const long double phase = static_cast<long double>(positions[t]) * w;
            const float* row = out.data() + t * static_cast<std::size_t>(d);
            INFO("d " << d << " base " << base << " i " << i << " p " << positions[t]);
            CHECK(within_ulp(row[2 * i], std::sin(phase)));
            CHECK(within_ulp(row[2 * i + 1], std::cos(phase)));
          }
        }
      }
    }
  }
}

TEST_CASE("sinusoidal: interleaved and concat hold the same values, permuted", "[sinusoidal]") {
  const std::vector<std::int64_t> positions = {0, 3, 77, 4096, 123456};
  for (std::int64_t d : {2, 10, 300}) {
    const auto a = encode(make(d), positions);
    const auto b = encode(make(d, sinusoidal_layout::concat), positions);
    const std::int64_t n = d / 2;
    for (std::size_t t = 0; t < positions.size(); ++t) {
      const std::size_t r = t * static_cast<std::size_t>(d);
      for (std::int64_t i = 0; i < n; ++i) {
        REQUIRE(a[r + 2 * i] == b[r + i]);
        REQUIRE(a[r + 2 * i + 1] == b[r + n + i]);
      }
    }
  }
}

TEST_CASE("sinusoidal: add_to adds the float table, strided rows", "[sinusoidal]") {
  const auto e = make(16, sinusoidal_layout::concat);
  const std::vector<std::int64_t> positions = {2, 9, 40000};
  const auto table = encode(e, positions);
  const std::int64_t stride = 20;  // rows padded to 20 floats; padding must stay untouched
  std::vector<float> x(positions.size() * stride);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 0.25f * static_cast<float>(k % 7) - 0.5f;
  const auto before = x;
  REQUIRE(e.add_to({x.data(), 3, 16, stride}, positions).ok());
  for (std::size_t t = 0; t < 3; ++t) {
    for (std::size_t c = 0; c < 20; ++c) {
      const float want = c < 16 ? before[t * stride + c] + table[t * 16 + c] : before[t * stride + c];
      REQUIRE(x[t * stride + c] == want);
    }
  }
}

TEST_CASE("sinusoidal: errors name the value and leave the output untouched", "[sinusoidal]") {
  for (std::int64_t d : {std::int64_t{7}, std::int64_t{0}, std::int64_t{-4}, (std::int64_t{1} << 20) + 2}) {
    auto e = sinusoidal::make({.d_model = d});
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code() == posenc::errc::invalid_argument);
    CHECK_THAT(e.error().message(), Catch::Contains(std::to_string(d)));
  }
  // A base in (0, 1] would make w_i = base^(-2i/d) exceed 1, past the exact-phase bound.
  for (double base : {0.0, -2.0, 0.5, 1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto e = sinusoidal::make({.d_model = 8, .base = base});
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code() == posenc::errc::invalid_argument);
    CHECK_THAT(e.error().message(), Catch::Contains("base must be a finite number above 1"));
  }
  CHECK(sinusoidal::make({.d_model = 8, .base = 1.0 + 0x1p-52}).has_value());

  const auto e = make(8);
  std::vector<float> out(16, 42.0f);
  const std::vector<float> sentinel = out;
  const std::vector<std::int64_t> two = {1, 2};
  // Shape mismatches: wrong width, wrong row count.
  auto st = e.encode(two, posenc::matrix_view(out.data(), 2, 6));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("[2, 6]"));
  st = e.encode(std::vector<std::int64_t>{1}, posenc::matrix_view(out.data(), 2, 8));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  // Overlapping rows and a null buffer.
  CHECK(e.encode(two, {out.data(), 2, 8, 4}).code() == posenc::errc::shape_mismatch);
  CHECK(e.encode(two, posenc::view2<float>{nullptr, 2, 8, 8}).code() == posenc::errc::invalid_argument);
  // A position where phases would not be exact; the valid first row is not written either.
  const std::vector<std::int64_t> far = {1, std::int64_t{1} << 53};
  st = e.encode(far, posenc::matrix_view(out.data(), 2, 8));
  CHECK(st.code() == posenc::errc::out_of_range);
  CHECK_THAT(st.message(), Catch::Contains("9007199254740992"));
  st = e.add_to(posenc::matrix_view(out.data(), 2, 8), far);
  CHECK(st.code() == posenc::errc::out_of_range);
  CHECK(out == sentinel);
}

TEMPLATE_TEST_CASE("sinusoidal: encode and add_to in each storage type, both layouts",
                   "[sinusoidal]", float, double, posenc::float16, posenc::bfloat16) {
  // encode: double within 1.5 double ulp of exact (libm's sin/cos of the exact phase; 1.01
  // measured); float the exact value rounded to float; 16-bit that float rounded once more
  // (the float32 table cast to the model's dtype). add_to: double x + the double value;
  // otherwise x widened to float plus the float value, the float sum rounded once to T.
  using T = TestType;
  const auto& positions = storage_positions;
  const auto tokens = static_cast<std::int64_t>(positions.size());
  for (auto layout : {sinusoidal_layout::interleaved, sinusoidal_layout::concat}) {
    for (std::int64_t d : {2, 6, 64, 300}) {  // 300: 150 frequencies, past one 128-value chunk
      const auto e = make(d, layout);
      const std::int64_t stride = d + 3;  // padding must stay untouched
      const T pad = from_float<T>(-7.0f);
      std::vector<T> out(static_cast<std::size_t>(tokens * stride), pad), x(out.size());
      for (std::size_t k = 0; k < x.size(); ++k) x[k] = from_float<T>(x_value(k));
      REQUIRE(e.encode(positions, posenc::view2<T>{out.data(), tokens, d, stride}).ok());
      REQUIRE(e.add_to(posenc::view2<T>{x.data(), tokens, d, stride}, positions).ok());
      const std::int64_t n = d / 2;
      const bool concat = layout == sinusoidal_layout::concat;
      std::int64_t wrong = 0;
      long double worst = 0;
      for (std::int64_t t = 0; t < tokens; ++t) {
        for (std::int64_t c = 0; c < stride; ++c) {
          const auto at = static_cast<std::size_t>(t * stride + c);
          const float xf = x_value(at);  // exact in T
          if (c >= d) {
            wrong += !same_bits(out[at], pad) + !same_bits(x[at], from_float<T>(xf));
            continue;
          }
          // Column c holds sin or cos of frequency i.
          const std::int64_t i = concat ? c % n : c / 2;
          const sin_cos ref = reference(positions[static_cast<std::size_t>(t)], paper_frequency(10000.0, d, i));
          const long double want = (concat ? c < n : c % 2 == 0) ? ref.s : ref.c;
          if constexpr (std::is_same_v<T, double>) {
            worst = std::max(worst, double_ulps(out[at], want));
            // The double value is within 1.5 ulp of want; the sum adds half an ulp of its own.
            const long double sum = static_cast<long double>(xf) + want;
            wrong += std::fabs(static_cast<long double>(x[at]) - sum) >
                     1.5L * double_ulp(want) + double_ulp(sum) / 2;
          } else {
            bool encoded = false, added = false;
            for (float f : float_values(want)) {
              encoded = encoded || same_bits(out[at], from_float<T>(f));
              added = added || same_bits(x[at], from_float<T>(xf + f));
            }
            wrong += !encoded + !added;
          }
        }
      }
      INFO("d " << d << ", concat " << concat << ", worst " << static_cast<double>(worst) << " double ulp");
      CHECK(wrong == 0);
      CHECK(worst <= 1.5L);
    }
  }
}

TEMPLATE_TEST_CASE("sinusoidal: errors for each storage type leave the output untouched",
                   "[sinusoidal]", float, double, posenc::float16, posenc::bfloat16) {
  using T = TestType;
  const auto e = make(8);
  std::vector<T> out(24, from_float<T>(42.0f));
  const auto sentinel = out;
  const std::vector<std::int64_t> two = {1, 2};
  auto st = e.encode(two, posenc::matrix_view(out.data(), 2, 6));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("sinusoidal: out has shape [2, 6], expected [2, 8]"));
  st = e.add_to(posenc::matrix_view(out.data(), 3, 8), two);
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("sinusoidal: x has shape [3, 8], expected [2, 8]"));
  for (std::int64_t bad : {std::int64_t{1} << 53, -(std::int64_t{1} << 53)}) {
    const std::vector<std::int64_t> far = {1, 2, bad};  // rows 0 and 1 are valid, not written
    st = e.encode(far, posenc::matrix_view(out.data(), 3, 8));
    CHECK(st.code() == posenc::errc::out_of_range);
    CHECK_THAT(st.message(), Catch::Contains("position " + std::to_string(bad) + " is outside"));
    st = e.add_to(posenc::matrix_view(out.data(), 3, 8), far);
    CHECK(st.code() == posenc::errc::out_of_range);
  }
  CHECK(std::memcmp(out.data(), sentinel.data(), out.size() * sizeof(T)) == 0);
}

TEMPLATE_TEST_CASE("sinusoidal: 16-bit values are the float value rounded once more",
                   "[sinusoidal]", posenc::float16, posenc::bfloat16) {
  // Where the float value is a 16-bit tie, rounding the exact value once to 16 bits would go to
  // the exact value's side; the float32 table cast to the dtype goes to even. Find such a value
  // (about one in 2^14 / 2^17 of them) and check that encode writes the cast one.
  using T = TestType;
  const std::int64_t d = 64;
  const auto e = make(d);
  bool found = false;
  for (std::int64_t p = 1; p < 200000 && !found; ++p) {
    for (std::int64_t i = 0; i < d / 2 && !found; ++i) {
      const sin_cos ref = reference(p, paper_frequency(10000.0, d, i));
      for (int which = 0; which < 2 && !found; ++which) {
        const long double want = which == 0 ? ref.s : ref.c;
        const auto values = float_values(want);
        const float f = values[0];
        if (values.size() != 1 || static_cast<long double>(f) == want) continue;
        // The 16-bit values around f; f is a tie when it is their midpoint.
        const T below = from_float<T>(std::nextafter(f, -std::numeric_limits<float>::infinity()));
        const T above = from_float<T>(std::nextafter(f, std::numeric_limits<float>::infinity()));
        const double mid = (static_cast<double>(to_float(below)) + to_float(above)) / 2;  // exact
        if (same_bits(below, above) || mid != f) continue;
        const T cast = from_float<T>(f);
        const T once = want > f ? above : below;  // the exact value's own rounding
        if (same_bits(cast, once)) continue;
        found = true;
        std::vector<T> row(static_cast<std::size_t>(d));
        const std::vector<std::int64_t> one = {p};
        REQUIRE(e.encode(one, posenc::matrix_view(row.data(), 1, d)).ok());
        INFO("p " << p << ", i " << i << (which == 0 ? " sin " : " cos ") << static_cast<double>(want));
        CHECK(same_bits(row[static_cast<std::size_t>(2 * i + which)], cast));
      }
    }
  }
  CHECK(found);
}

TEST_CASE("sinusoidal: config from JSON", "[sinusoidal][hf]") {
  auto cfg = posenc::hf::sinusoidal_config_from(
      posenc::hf::json::parse(R"({"d_model": 48, "sinusoidal_layout": "concat", "base": 100})"));
  REQUIRE(cfg.has_value());
  CHECK(cfg->d_model == 48);
  CHECK(cfg->base == 100.0);
  CHECK(cfg->layout == sinusoidal_layout::concat);
  CHECK(cfg->spacing == sinusoidal_spacing::paper);
  cfg = posenc::hf::sinusoidal_config_from(posenc::hf::json::parse(
      R"({"hidden_size": 64, "d_model": null, "sinusoidal_spacing": "tensor2tensor"})"));
  REQUIRE(cfg.has_value());
  CHECK(cfg->d_model == 64);
  CHECK(cfg->layout == sinusoidal_layout::interleaved);
  CHECK(cfg->spacing == sinusoidal_spacing::tensor2tensor);
  cfg = posenc::hf::sinusoidal_config_from(
      posenc::hf::json::parse(R"({"d_model": 8, "sinusoidal_layout": "rotated"})"));
  REQUIRE_FALSE(cfg.has_value());
  CHECK_THAT(cfg.error().message(), Catch::Contains("rotated"));
  cfg = posenc::hf::sinusoidal_config_from(posenc::hf::json::parse(R"({"base": 10})"));
  REQUIRE_FALSE(cfg.has_value());
  CHECK_THAT(cfg.error().message(), Catch::Contains("d_model"));
}
