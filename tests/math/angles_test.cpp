// math/angles.hpp: the reduced phase and the cos/sin values against a binary128 (__float128)
// reference, which holds p * w exactly (24 + 53 bits) and 2*pi to 113 bits; the two-level rows
// and their composition (kernels/scalar.hpp compose_cos_sin) against the same reference.
#include <posenc/math/angles.hpp>
#include <posenc/kernels/scalar.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <quadmath.h>
#include <random>
#include <tuple>
#include <vector>

namespace {

using quad = __float128;
const quad pi = acosq(static_cast<quad>(-1));

// The exact phase p * w reduced to [-pi, pi] in binary128.
quad reference_phase(std::int64_t p, double w) {
  const quad two_pi = 2 * pi;
  const quad x = static_cast<quad>(p) * static_cast<quad>(w);
  return x - nearbyintq(x / two_pi) * two_pi;
}

// |got - exact| in units of the float ulp at the exact value.
double ulp_error(float got, quad exact) {
  const double e = static_cast<double>(exact);
  const float rounded = static_cast<float>(e);
  const double ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
  const double tiny = std::ldexp(1.0, -149);  // smallest subnormal float
  return static_cast<double>(fabsq(static_cast<quad>(got) - exact)) / std::max(ulp, tiny);
}

std::vector<double> frequencies(double theta, int r) {
  std::vector<double> w;
  for (int k = 0; k < r / 2; ++k) w.push_back(std::pow(theta, -2.0 * k / r));
  return w;
}

}  // namespace

TEST_CASE("reduced_phase equals p*w mod 2pi to ~2^-105 |p*w|", "[angles]") {
  std::mt19937_64 rng(7);
  for (int max_bits : {24, 40, 52}) {
    double worst = 0.0;
    for (double theta : {1e4, 5e5}) {
      for (double w : frequencies(theta, 128)) {
        for (int i = 0; i < 200; ++i) {
          const int bits = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_bits));
          const auto p = static_cast<std::int64_t>(rng() >> (64 - bits)) * (i % 2 ? 1 : -1);
          const auto r = posenc::math::reduced_phase(p, w);
          const quad exact = reference_phase(p, w);
          // The two representations may sit on either side of +-pi.
          quad diff = (static_cast<quad>(r.hi) + static_cast<quad>(r.lo)) - exact;
          diff -= nearbyintq(diff / (2 * pi)) * 2 * pi;
          worst = std::max(worst, static_cast<double>(fabsq(diff)));
        }
      }
    }
    INFO("positions below 2^" << max_bits << ": worst phase error " << worst);
    CHECK(worst <= std::ldexp(1.0, max_bits - 104));
  }
}

TEST_CASE("cos/sin within 1 float ulp of exact for positions below 2^24", "[angles]") {
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> positions;
  for (std::int64_t p = 0; p < 2048; ++p) positions.push_back(p);
  for (int i = 0; i < 3000; ++i) positions.push_back(static_cast<std::int64_t>(rng() % (1u << 24)));
  for (std::int64_t p = (1 << 24) - 64; p < (1 << 24); ++p) positions.push_back(p);
  double worst = 0.0;
  for (double theta : {1e4, 5e5}) {
    const auto w = frequencies(theta, 128);
    std::vector<float> c(w.size()), s(w.size());
    for (std::int64_t p : positions) {
      posenc::math::fill_cos_sin(p, w, 1.0, c.data(), s.data());
      for (std::size_t k = 0; k < w.size(); ++k) {
        const quad ph = reference_phase(p, w[k]);
        worst = std::max({worst, ulp_error(c[k], cosq(ph)), ulp_error(s[k], sinq(ph))});
      }
    }
  }
  INFO("worst error " << worst << " ulp");
  CHECK(worst <= 1.0);
}

TEST_CASE("cos/sin stay within 1 ulp next to zeros of cos", "[angles]") {
  // Frequencies chosen so p * w lands within ~1e-9 of pi/2 + j*pi: the phase must be exact far
  // below 1e-15 there, since |cos| ~ 1e-9 has a float ulp of ~1e-16.
  double worst = 0.0;
  for (std::int64_t p : {std::int64_t{1000003}, std::int64_t{16777213}, std::int64_t{12345677}}) {
    for (int j = 1; j < 50; ++j) {
      const double w = static_cast<double>((static_cast<quad>(j) * pi + pi / 2) / p);
      float c = 0, s = 0;
      posenc::math::fill_cos_sin(p, std::span<const double>(&w, 1), 1.0, &c, &s);
      const quad ph = reference_phase(p, w);
      worst = std::max({worst, ulp_error(c, cosq(ph)), ulp_error(s, sinq(ph))});
    }
  }
  CHECK(worst <= 1.0);
}

TEST_CASE("scale multiplies before the single rounding", "[angles]") {
  const double w = 0.37;
  float c = 0, s = 0;
  posenc::math::fill_cos_sin(12345, std::span<const double>(&w, 1), 1.1386294361119891, &c, &s);
  const quad ph = reference_phase(12345, w);
  CHECK(ulp_error(c, cosq(ph) * static_cast<quad>(1.1386294361119891)) <= 1.0);
  CHECK(ulp_error(s, sinq(ph) * static_cast<quad>(1.1386294361119891)) <= 1.0);
}

TEST_CASE("cos_sin_table rows equal fill_cos_sin and cover [0, rows)", "[angles]") {
  const auto w = frequencies(1e4, 16);
  posenc::math::cos_sin_table table(100, w, 1.0);
  CHECK(table.rows() == 100);
  CHECK(table.width() == 8);
  CHECK(table.covers(0));
  CHECK(table.covers(99));
  CHECK_FALSE(table.covers(100));
  CHECK_FALSE(table.covers(-1));
  std::vector<float> c(8), s(8);
  for (std::int64_t p : {0, 1, 57, 99}) {
    posenc::math::fill_cos_sin(p, w, 1.0, c.data(), s.data());
    for (int k = 0; k < 8; ++k) {
      CHECK(table.cos_row(p)[k] == c[k]);
      CHECK(table.sin_row(p)[k] == s[k]);
    }
  }
}

namespace {

// cos/sin of p * w_k times scale from the two-level rows, by the scalar reference composition
// (every ISA gives its bits: tests/kernels/rotate_test.cpp).
void two_level_cos_sin(const posenc::math::two_level_cos_sin_table& t, std::int64_t p,
                       double scale, float* c, float* s) {
  const std::int64_t n = t.width();
  const double* hi = t.high_row(p);
  const double* lo = t.low_row(p);
  posenc::kernels::scalar::compose_cos_sin(hi, hi + n, lo, lo + n, scale, p < 0 ? -scale : scale,
                                           c, s, n);
}

// |got - exact| beyond half a float ulp of exact: the part the two-level bound allows as 2^-49.
double excess_over_half_ulp(float got, quad exact) {
  const float rounded = static_cast<float>(static_cast<double>(exact));
  const double ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
  return static_cast<double>(fabsq(static_cast<quad>(got) - exact)) - 0.5 * ulp;
}

}  // namespace

TEST_CASE("two_level_cos_sin_table rows are the exact double cos/sin of b and a * block", "[angles]") {
  using posenc::math::two_level_cos_sin_table;
  const auto w = frequencies(1e4, 16);
  const two_level_cos_sin_table t(w);
  CHECK(t.width() == 8);
  CHECK(t.covers(0));
  CHECK(t.covers(two_level_cos_sin_table::limit - 1));
  CHECK(t.covers(1 - two_level_cos_sin_table::limit));
  CHECK_FALSE(t.covers(two_level_cos_sin_table::limit));
  CHECK_FALSE(t.covers(-two_level_cos_sin_table::limit));
  CHECK_FALSE(two_level_cos_sin_table{}.covers(0));
  // Against binary128: each value within 2 double ulps (relative 2^-51) of exact.
  auto near = [](double got, quad exact) {
    return fabsq(static_cast<quad>(got) - exact) <= fabsq(exact) * ldexpq(1, -51) + ldexpq(1, -1074);
  };
  for (std::int64_t p : {0, 1, 4095, 4096, 4097, 123456789 % (1 << 24), (1 << 24) - 1, -4097}) {
    CAPTURE(p);
    const std::int64_t m = p < 0 ? -p : p;
    for (std::size_t k = 0; k < 8; ++k) {
      CAPTURE(k);
      const quad low = reference_phase(m % 4096, w[k]), high = reference_phase(m - m % 4096, w[k]);
      CHECK(near(t.low_row(p)[k], cosq(low)));
      CHECK(near(t.low_row(p)[8 + k], sinq(low)));
      CHECK(near(t.high_row(p)[k], cosq(high)));
      CHECK(near(t.high_row(p)[8 + k], sinq(high)));
    }
  }
}

TEST_CASE("two-level cos/sin within 0.5 ulp + 2^-49 of exact for |p| < 2^24", "[angles]") {
  std::mt19937_64 rng(13);
  std::vector<std::int64_t> positions;
  for (std::int64_t p = 0; p < 512; ++p) positions.push_back(p);
  for (std::int64_t b : {4095, 4096, 4097, 8191, 8192, 1 << 20}) positions.push_back(b);
  for (int i = 0; i < 3000; ++i) {
    const auto p = static_cast<std::int64_t>(rng() % (1u << 24));
    positions.push_back(i % 3 == 0 ? -p : p);
  }
  for (std::int64_t p = (1 << 24) - 64; p < (1 << 24); ++p) positions.push_back(p);
  positions.push_back(1 - (1 << 24));
  double worst_ulp = 0.0, worst_excess = 0.0;
  std::size_t values = 0, differ = 0;
  for (double theta : {1e4, 5e5}) {
    const auto w = frequencies(theta, 128);
    const posenc::math::two_level_cos_sin_table t(w);
    for (double scale : {1.0, 1.1386294361119891}) {
      std::vector<float> c(w.size()), s(w.size()), ce(w.size()), se(w.size());
      for (std::int64_t p : positions) {
        two_level_cos_sin(t, p, scale, c.data(), s.data());
        posenc::math::fill_cos_sin(p, w, scale, ce.data(), se.data());
        for (std::size_t k = 0; k < w.size(); ++k) {
          const quad ph = reference_phase(p, w[k]);
          const quad q = static_cast<quad>(scale);
          for (auto [got, exact, table] : {std::tuple{c[k], cosq(ph) * q, ce[k]},
                                           std::tuple{s[k], sinq(ph) * q, se[k]}}) {
            worst_excess = std::max(worst_excess, excess_over_half_ulp(got, exact));
            if (fabsq(exact) >= std::ldexp(1.0, -24)) {
              worst_ulp = std::max(worst_ulp, ulp_error(got, exact));
            }
            ++values, differ += got != table;
          }
        }
      }
    }
  }
  INFO("worst error " << worst_ulp << " ulp (values >= 2^-24), worst excess over 0.5 ulp "
                      << worst_excess << "; " << differ << " of " << values
                      << " values differ from the exact path");
  CHECK(worst_excess <= std::ldexp(1.1386294361119891, -49));
  CHECK(worst_ulp <= 1.0);
}

TEST_CASE("two-level cos/sin next to zeros of cos stay within 2^-49 + 0.5 ulp", "[angles]") {
  // As above for the exact path: p * w within ~1e-9 of pi/2 + j*pi, where the float ulp of cos
  // is ~1e-16, so only the absolute part of the bound applies.
  double worst_excess = 0.0;
  for (std::int64_t p : {std::int64_t{1000003}, std::int64_t{16777213}, std::int64_t{-12345677}}) {
    for (int j = 1; j < 50; j += 4) {
      const double w = static_cast<double>((static_cast<quad>(j) * pi + pi / 2) / (p < 0 ? -p : p));
      const posenc::math::two_level_cos_sin_table t(std::span<const double>(&w, 1));
      float c = 0, s = 0;
      two_level_cos_sin(t, p, 1.0, &c, &s);
      const quad ph = reference_phase(p, w);
      worst_excess = std::max({worst_excess, excess_over_half_ulp(c, cosq(ph)),
                               excess_over_half_ulp(s, sinq(ph))});
    }
  }
  INFO("worst excess over 0.5 ulp " << worst_excess);
  CHECK(worst_excess <= std::ldexp(1.0, -49));
}
