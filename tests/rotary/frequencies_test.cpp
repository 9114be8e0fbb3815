// rotary/frequencies.hpp against the formulas of spec/encodings.md §9, evaluated here in long
// double, and against the spec's [computed] worked values.
#include <posenc/rotary/frequencies.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

using posenc::compute_frequencies;
using Catch::Matchers::Contains;

namespace {
long double omega(int k, int r, long double theta) { return powl(theta, -2.0L * k / r); }
}  // namespace

TEST_CASE("default: theta^(-2k/r), attention factor 1", "[frequencies]") {
  auto f = compute_frequencies(128, 1e4, posenc::default_scaling{});
  REQUIRE(f);
  REQUIRE(f->inv_freq.size() == 64);
  for (int k = 0; k < 64; ++k) CHECK(f->inv_freq[k] == Approx(static_cast<double>(omega(k, 128, 1e4))).epsilon(1e-15));
  CHECK(f->attention_factor == 1.0);
  // spec §8 worked example: d = 8 -> [1, 0.1, 0.01, 0.001]
  auto g = compute_frequencies(8, 1e4, posenc::default_scaling{});
  CHECK(g->inv_freq[1] == Approx(0.1).epsilon(1e-15));
  CHECK(g->inv_freq[3] == Approx(0.001).epsilon(1e-15));
}

TEST_CASE("linear divides every frequency by the factor", "[frequencies]") {
  auto f = compute_frequencies(64, 1e4, posenc::linear_scaling{4.0});
  REQUIRE(f);
  for (int k = 0; k < 32; ++k) CHECK(f->inv_freq[k] == Approx(static_cast<double>(omega(k, 64, 1e4) / 4)).epsilon(1e-15));
}

TEST_CASE("dynamic NTK: base unchanged up to L_max, rescaled past it", "[frequencies]") {
  posenc::dynamic_scaling s{2.0, 4096};
  auto at_init = compute_frequencies(128, 1e4, s, 4096);
  for (int k = 0; k < 64; ++k) CHECK(at_init->inv_freq[k] == Approx(static_cast<double>(omega(k, 128, 1e4))).epsilon(1e-15));
  // [computed] r = 128, theta = 1e4, s = 2, L_max = 4096, seq_len = 8192 -> theta' = 30527.7367
  auto grown = compute_frequencies(128, 1e4, s, 8192);
  REQUIRE(grown);
  const double theta_prime = std::pow(grown->inv_freq[1], -128.0 / 2.0);
  CHECK(theta_prime == Approx(30527.7367).epsilon(1e-8));
  for (int k = 0; k < 64; ++k) CHECK(grown->inv_freq[k] == Approx(static_cast<double>(omega(k, 128, 30527.7367L))).epsilon(1e-8));
}

TEST_CASE("yarn matches the spec's worked values", "[frequencies]") {
  posenc::yarn_scaling s;
  s.factor = 4.0;
  s.original_max_position_embeddings = 4096;
  auto f = compute_frequencies(128, 1e4, s);
  REQUIRE(f);
  // [computed] attention_factor = 0.1 ln 4 + 1 = 1.1386294; (low, high) = (20, 46)
  CHECK(f->attention_factor == Approx(1.1386294).epsilon(1e-7));
  CHECK(f->inv_freq[20] == Approx(0.05623413).epsilon(1e-6));                  // unchanged
  CHECK(f->inv_freq[21] == Approx(0.04729204).epsilon(1e-6));                  // ramp 1/26
  CHECK(f->inv_freq[63] == Approx(static_cast<double>(omega(63, 128, 1e4) / 4)).epsilon(1e-14));
  for (int k = 0; k <= 20; ++k) CHECK(f->inv_freq[k] == Approx(static_cast<double>(omega(k, 128, 1e4))).epsilon(1e-15));
  for (int k = 21; k < 46; ++k) {
    const long double ramp = (k - 20) / 26.0L;
    const long double w = omega(k, 128, 1e4);
    CHECK(f->inv_freq[k] == Approx(static_cast<double>(w / 4 * ramp + w * (1 - ramp))).epsilon(1e-14));
  }

  s.truncate = false;  // [computed] (low, high) = (20.944, 45.027)
  auto g = compute_frequencies(128, 1e4, s);
  const long double low = 128 * logl(4096 / (2 * std::numbers::pi_v<long double> * 32)) / (2 * logl(1e4L));
  const long double high = 128 * logl(4096 / (2 * std::numbers::pi_v<long double>)) / (2 * logl(1e4L));
  CHECK(static_cast<double>(low) == Approx(20.944).margin(1e-3));
  CHECK(static_cast<double>(high) == Approx(45.027).margin(1e-3));
  for (int k = 0; k < 64; ++k) {
    const long double ramp = std::clamp((k - low) / (high - low), 0.0L, 1.0L);
    const long double w = omega(k, 128, 1e4);
    CHECK(g->inv_freq[k] == Approx(static_cast<double>(w / 4 * ramp + w * (1 - ramp))).epsilon(1e-14));
  }
}

TEST_CASE("yarn attention factor: explicit, mscale ratio, beta 0 means default", "[frequencies]") {
  posenc::yarn_scaling s;
  s.factor = 40.0;
  s.original_max_position_embeddings = 4096;
  s.mscale = 1.0;
  s.mscale_all_dim = 0.8;  // DeepSeek-V3 style
  auto f = compute_frequencies(64, 1e4, s);
  CHECK(f->attention_factor == Approx((0.1 * std::log(40.0) + 1) / (0.1 * 0.8 * std::log(40.0) + 1)).epsilon(1e-14));
  s.attention_factor = 0.5;
  CHECK(compute_frequencies(64, 1e4, s)->attention_factor == 0.5);
  posenc::yarn_scaling a, b;
  a.factor = b.factor = 4;
  a.original_max_position_embeddings = b.original_max_position_embeddings = 4096;
  b.beta_fast = 0;
  b.beta_slow = 0;
  CHECK(compute_frequencies(64, 1e4, a)->inv_freq == compute_frequencies(64, 1e4, b)->inv_freq);
}

TEST_CASE("longrope: short factors up to L_orig, long past it; attention factor", "[frequencies]") {
  posenc::longrope_scaling s;
  for (int k = 0; k < 8; ++k) {
    s.short_factor.push_back(1.0 + k);
    s.long_factor.push_back(2.0 + 3 * k);
  }
  s.original_max_position_embeddings = 4096;
  s.max_position_embeddings = 131072;  // factor absent -> 32
  auto short_f = compute_frequencies(16, 1e4, s, 4096);
  auto long_f = compute_frequencies(16, 1e4, s, 4097);
  REQUIRE(short_f);
  REQUIRE(long_f);
  for (int k = 0; k < 8; ++k) {
    CHECK(short_f->inv_freq[k] == Approx(static_cast<double>(omega(k, 16, 1e4) / (1.0L + k))).epsilon(1e-15));
    CHECK(long_f->inv_freq[k] == Approx(static_cast<double>(omega(k, 16, 1e4) / (2.0L + 3 * k))).epsilon(1e-15));
  }
  // [computed] s = 32, L_orig = 4096 -> attention_factor = 1.19023807
  CHECK(short_f->attention_factor == Approx(1.19023807).epsilon(1e-8));
  s.factor = 1.0;
  CHECK(compute_frequencies(16, 1e4, s)->attention_factor == 1.0);
}

TEST_CASE("llama3 matches the spec's Llama-3.1 ratios", "[frequencies]") {
  posenc::llama3_scaling s;  // factor 8, low 1, high 4, original 8192
  auto f = compute_frequencies(128, 5e5, s);
  REQUIRE(f);
  const double expected[] = {1.2075, 1.5534, 2.0263, 2.6945, 3.6843, 5.2573};
  for (int k = 0; k < 64; ++k) {
    const double ratio = static_cast<double>(omega(k, 128, 5e5)) / f->inv_freq[k];
    if (k <= 28) CHECK(ratio == Approx(1.0).epsilon(1e-14));
    else if (k <= 34) CHECK(ratio == Approx(expected[k - 29]).margin(1e-4));
    else CHECK(ratio == Approx(8.0).epsilon(1e-14));
  }
  CHECK(f->attention_factor == 1.0);
}

TEST_CASE("bad parameters are errors that name the value", "[frequencies][errors]") {
  auto check = [](const posenc::rope_scaling& s, const char* text, std::int64_t r = 64,
                  double theta = 1e4) {
    auto f = compute_frequencies(r, theta, s);
    REQUIRE_FALSE(f);
    CHECK(f.error().code() == posenc::errc::invalid_argument);
    CHECK_THAT(f.error().message(), Contains(text));
  };
  check(posenc::default_scaling{}, "got 63", 63);
  check(posenc::default_scaling{}, "got 0", 0);
  check(posenc::default_scaling{}, "got nan", 64, std::nan(""));
  check(posenc::default_scaling{}, "got -5", 64, -5.0);
  check(posenc::linear_scaling{0.5}, "got 0.5");
  check(posenc::linear_scaling{std::nan("")}, "got nan");
  check(posenc::dynamic_scaling{2.0, 0}, "max_position_embeddings must be positive, got 0");
  check(posenc::dynamic_scaling{2.0, 100}, "got 2", 2);
  posenc::yarn_scaling y;
  y.factor = 4;
  check(y, "original_max_position_embeddings must be positive, got 0");
  y.original_max_position_embeddings = 4096;
  y.beta_fast = -1;
  check(y, "beta_fast must be a finite number >= 0, got -1");
  posenc::longrope_scaling l;
  l.original_max_position_embeddings = 4096;
  l.factor = 4;
  l.short_factor.assign(3, 1.0);
  check(l, "short_factor has 3 entries, expected rotary_dim/2 = 32");
  l.short_factor.assign(32, 1.0);
  l.long_factor.assign(32, -1.0);
  check(l, "long_factor entries must be positive, got -1");
  posenc::llama3_scaling s;
  s.low_freq_factor = 4;
  s.high_freq_factor = 1;
  check(s, "got 4 and 1");
}

TEST_CASE("rope_type_name names every schedule", "[frequencies]") {
  CHECK(posenc::rope_type_name(posenc::default_scaling{}) == "default");
  CHECK(posenc::rope_type_name(posenc::linear_scaling{}) == "linear");
  CHECK(posenc::rope_type_name(posenc::dynamic_scaling{}) == "dynamic");
  CHECK(posenc::rope_type_name(posenc::yarn_scaling{}) == "yarn");
  CHECK(posenc::rope_type_name(posenc::longrope_scaling{}) == "longrope");
  CHECK(posenc::rope_type_name(posenc::llama3_scaling{}) == "llama3");
}
