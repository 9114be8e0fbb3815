// Tests for absolute/sinusoidal.hpp: the spec's worked values (spec/encodings.md §1), a long
// double reference at large positions, the layouts as permutations of each other, add_to, the
// config parser, and every error path (message names the value; the output is untouched).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <posenc/absolute/sinusoidal.hpp>
#include <posenc/io/hf_config.hpp>
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
