// rotary/rope.hpp: properties of the rotation (norm, relative positions, identity, inverse,
// layouts, partial rotary), a long-double evaluation of the formula, and every error path.
#include <posenc/rotary/rope.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace posenc;
using Catch::Matchers::Contains;

namespace {

std::vector<float> random_vector(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

rope make_rope(rope_config cfg) {
  auto r = rope::make(cfg);
  REQUIRE(r);
  return std::move(*r);
}

// y = x rotated at position p, from the formula in long double (half or interleaved pairs).
std::vector<long double> reference(const std::vector<float>& x, std::int64_t p, int head_dim,
                                   int rotary, long double theta, rope_layout layout,
                                   long double scale = 1.0L) {
  std::vector<long double> y(x.begin(), x.end());
  for (int k = 0; k < rotary / 2; ++k) {
    const long double w = powl(theta, -2.0L * k / rotary);
    const long double phi = static_cast<long double>(p) * w;
    const int a = layout == rope_layout::half ? k : 2 * k;
    const int b = layout == rope_layout::half ? k + rotary / 2 : 2 * k + 1;
    y[a] = scale * (x[a] * cosl(phi) - x[b] * sinl(phi));
    y[b] = scale * (x[b] * cosl(phi) + x[a] * sinl(phi));
  }
  (void)head_dim;
  return y;
}

double dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

static_assert(RotaryEncoder<rope>);

TEST_CASE("rope matches the long-double formula (spec §8 worked values too)", "[rope]") {
  for (auto layout : {rope_layout::half, rope_layout::interleaved}) {
    for (auto [table, source] : {std::pair{0, rope_angle_source::exact},
                                 std::pair{4096, rope_angle_source::exact},
                                 std::pair{0, rope_angle_source::two_level},
                                 std::pair{4096, rope_angle_source::two_level}}) {
      auto r = make_rope({.head_dim = 64, .theta = 1e4, .layout = layout, .max_positions = table,
                          .angle_source = source});
      for (std::int64_t p : {0, 1, 3, 17, 1000, 4095, 4096, 100000, 12345678, (1 << 24) - 1,
                             1 << 24, -7, -9999999}) {
        auto x = random_vector(64, static_cast<unsigned>(p + 100));
        auto ref = reference(x, p, 64, 64, 1e4L, layout);
        REQUIRE(r.rotate(heads_view(x.data(), 1, 1, 64), std::span(&p, 1)).ok());
        for (int i = 0; i < 64; ++i) {
          // one rounding of cos/sin (<= 1 ulp) and of the fma: a few float ulps of the inputs
          CHECK(std::fabs(x[i] - static_cast<double>(ref[i])) < 4e-7 * 4);
        }
      }
    }
  }
  // [computed] d = 8, theta = 1e4, p = 3, x = 1..8 (spec §8)
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::int64_t p = 3;
  REQUIRE(make_rope({.head_dim = 8}).rotate(heads_view(x, 1, 1, 8), std::span(&p, 1)).ok());
  const float half[] = {-1.6955925f, 0.1375517f, 2.7886815f, 3.9759822f,
                        -4.8088427f, 6.3230596f, 7.0868368f, 8.0119638f};
  for (int i = 0; i < 8; ++i) CHECK(x[i] == Approx(half[i]).margin(1e-6));
}

TEST_CASE("rotation preserves the norm of every head", "[rope]") {
  auto r = make_rope({.head_dim = 128, .theta = 5e5, .scaling = llama3_scaling{}});
  const int tokens = 16, heads = 4;
  auto x = random_vector(tokens * heads * 128, 3);
  auto before = x;
  std::vector<std::int64_t> pos(tokens);
  for (int t = 0; t < tokens; ++t) pos[t] = t * 1234567;
  REQUIRE(r.rotate(heads_view(x.data(), tokens, heads, 128), pos).ok());
  for (int h = 0; h < tokens * heads; ++h) {
    const double n0 = dot(&before[h * 128], &before[h * 128], 128);
    const double n1 = dot(&x[h * 128], &x[h * 128], 128);
    CHECK(n1 == Approx(n0).epsilon(1e-6));
  }
}

TEST_CASE("<R_m q, R_n k> depends only on m - n", "[rope]") {
  for (auto layout : {rope_layout::half, rope_layout::interleaved}) {
    auto r = make_rope({.head_dim = 64, .theta = 1e4, .layout = layout});
    const auto q = random_vector(64, 1), k = random_vector(64, 2);
    auto score = [&](std::int64_t m, std::int64_t n) {
      auto a = q, b = k;
      REQUIRE(r.rotate(heads_view(a.data(), 1, 1, 64), std::span(&m, 1)).ok());
      REQUIRE(r.rotate(heads_view(b.data(), 1, 1, 64), std::span(&n, 1)).ok());
      return dot(a.data(), b.data(), 64);
    };
    for (std::int64_t delta : {0, 1, 5, 100, 3000}) {
      const double s0 = score(delta, 0);
      for (std::int64_t shift : {1, 77, 4096, 1 << 20}) {
        CHECK(score(delta + shift, shift) == Approx(s0).margin(2e-5));
      }
    }
  }
}

TEST_CASE("position 0 is the identity, bit for bit", "[rope]") {
  auto r = make_rope({.head_dim = 96, .theta = 1e4});
  auto x = random_vector(96 * 3, 5);
  const auto before = x;
  const std::vector<std::int64_t> pos{0};
  REQUIRE(r.rotate(heads_view(x.data(), 1, 3, 96), pos).ok());
  CHECK(x == before);
}

TEST_CASE("R(-p) R(p) = I", "[rope]") {
  auto r = make_rope({.head_dim = 64, .theta = 1e4, .layout = rope_layout::interleaved});
  for (std::int64_t p : {1, 999, 65536, 1 << 24}) {
    auto x = random_vector(64, 9);
    const auto before = x;
    const std::int64_t minus = -p;
    REQUIRE(r.rotate(heads_view(x.data(), 1, 1, 64), std::span(&p, 1)).ok());
    REQUIRE(r.rotate(heads_view(x.data(), 1, 1, 64), std::span(&minus, 1)).ok());
    for (int i = 0; i < 64; ++i) CHECK(x[i] == Approx(before[i]).margin(1e-6));
  }
}

TEST_CASE("half and interleaved agree under the channel permutation", "[rope]") {
  // interleaved channel 2k <-> half channel k, 2k+1 <-> k + r/2 (rotary part only)
  const int d = 80, r = 40;
  auto half = make_rope({.head_dim = d, .rotary_dim = r, .layout = rope_layout::half});
  auto inter = make_rope({.head_dim = d, .rotary_dim = r, .layout = rope_layout::interleaved});
  auto x = random_vector(d, 12);
  std::vector<float> y(x);
  for (int k = 0; k < r / 2; ++k) {
    y[2 * k] = x[k];
    y[2 * k + 1] = x[k + r / 2];
  }
  const std::vector<std::int64_t> pos{12345};
  REQUIRE(half.rotate(heads_view(x.data(), 1, 1, d), pos).ok());
  REQUIRE(inter.rotate(heads_view(y.data(), 1, 1, d), pos).ok());
  for (int k = 0; k < r / 2; ++k) {
    CHECK(y[2 * k] == x[k]);
    CHECK(y[2 * k + 1] == x[k + r / 2]);
  }
  for (int i = r; i < d; ++i) CHECK(y[i] == x[i]);
}

TEST_CASE("partial rotary rotates the first r dims with theta^(-2k/r) and leaves the tail", "[rope]") {
  for (auto layout : {rope_layout::half, rope_layout::interleaved}) {
    auto r = make_rope({.head_dim = 80, .partial_rotary_factor = 0.4, .layout = layout});
    REQUIRE(r.rotary_dim() == 32);
    auto x = random_vector(80 * 2, 21);
    const auto before = x;
    const std::vector<std::int64_t> pos{4242};
    REQUIRE(r.rotate(heads_view(x.data(), 1, 2, 80), pos).ok());
    for (int h = 0; h < 2; ++h) {
      std::vector<float> head(before.begin() + h * 80, before.begin() + (h + 1) * 80);
      auto ref = reference(head, 4242, 80, 32, 1e4L, layout);
      for (int i = 0; i < 32; ++i) CHECK(x[h * 80 + i] == Approx(static_cast<double>(ref[i])).margin(2e-6));
      for (int i = 32; i < 80; ++i) CHECK(x[h * 80 + i] == before[h * 80 + i]);
    }
  }
}

TEST_CASE("the attention factor scales the rotary dims only", "[rope]") {
  yarn_scaling y;
  y.factor = 4;
  y.original_max_position_embeddings = 4096;
  auto r = make_rope({.head_dim = 64, .partial_rotary_factor = 0.5, .scaling = y});
  const double af = r.attention_factor();
  REQUIRE(af == Approx(0.1 * std::log(4.0) + 1.0));
  auto x = random_vector(64, 31);
  const auto before = x;
  const std::vector<std::int64_t> pos{77};
  REQUIRE(r.rotate(heads_view(x.data(), 1, 1, 64), pos).ok());
  CHECK(std::sqrt(dot(x.data(), x.data(), 32)) == Approx(af * std::sqrt(dot(before.data(), before.data(), 32))).epsilon(1e-6));
  for (int i = 32; i < 64; ++i) CHECK(x[i] == before[i]);
}

TEST_CASE("exact table and exact on-the-fly fill give identical results", "[rope]") {
  auto with_table = make_rope({.head_dim = 64, .max_positions = 2048});
  auto without = make_rope({.head_dim = 64});
  std::vector<std::int64_t> pos{0, 5, 2047, 2048, 9, 9, 1, 100000};  // unsorted, repeated, beyond
  auto a = random_vector(pos.size() * 2 * 64, 41);
  auto b = a;
  REQUIRE(with_table.rotate(heads_view(a.data(), static_cast<std::int64_t>(pos.size()), 2, 64), pos).ok());
  REQUIRE(without.rotate(heads_view(b.data(), static_cast<std::int64_t>(pos.size()), 2, 64), pos).ok());
  CHECK(a == b);
}

TEST_CASE("two_level agrees with exact: bitwise in the table and past 2^24, within bound between", "[rope]") {
  // The contract: two-level cos/sin are within 0.5 float ulp + 2^-49 (x attention factor) of
  // exact (tests/math/angles_test.cpp), so they can differ from the exact path's by 1 ulp, and
  // each rotated component by at most ~2^-22 (|a| + |b|) of its pair (a, b): two roundings of
  // each path plus the cos/sin difference. Table rows and positions past 2^24 use the same code.
  for (auto layout : {rope_layout::half, rope_layout::interleaved}) {
    for (double factor : {1.0, 4.0}) {
      const rope_config base{.head_dim = 64, .rotary_dim = 48, .layout = layout,
                             .max_positions = 2048};
      rope_config two = base, exact = base;
      two.angle_source = rope_angle_source::two_level;
      if (factor != 1.0) {
        yarn_scaling yarn;
        yarn.factor = factor, yarn.original_max_position_embeddings = 2048;
        two.scaling = exact.scaling = yarn;
      }
      auto a_rope = make_rope(two), b_rope = make_rope(exact);
      const double af = b_rope.attention_factor();
      REQUIRE(af == Approx(factor == 1.0 ? 1.0 : 1.1386294361119891));
      std::vector<std::int64_t> pos{0, 5, 2047, 2048, 9, 9, 1, 100000, -3, -100000, 4096 * 4096 - 1,
                                    4096 * 4096, -4096 * 4096, (std::int64_t{1} << 40) + 3};
      std::mt19937_64 rng(5);
      for (int i = 0; i < 200; ++i) pos.push_back(static_cast<std::int64_t>(rng() % (1u << 24)) - (1 << 23));
      const auto tokens = static_cast<std::int64_t>(pos.size());
      auto x = random_vector(pos.size() * 2 * 64, 43);
      auto a = x, b = x;
      REQUIRE(a_rope.rotate(heads_view(a.data(), tokens, 2, 64), pos).ok());
      REQUIRE(b_rope.rotate(heads_view(b.data(), tokens, 2, 64), pos).ok());
      for (std::int64_t t = 0; t < tokens; ++t) {
        const std::int64_t p = pos[static_cast<std::size_t>(t)];
        const bool same_code = (p >= 0 && p < 2048) || p >= 4096 * 4096 || p <= -4096 * 4096;
        for (std::int64_t i = 0; i < 2 * 64; ++i) {
          const auto at = static_cast<std::size_t>(t * 128 + i);
          const std::int64_t d = i % 64;
          if (same_code || d >= 48) {
            CHECK(a[at] == b[at]);
            continue;
          }
          // The pair partner of dim d.
          const std::int64_t k = layout == rope_layout::half ? d % 24 : d / 2;
          const std::int64_t d0 = layout == rope_layout::half ? k : 2 * k;
          const std::int64_t d1 = layout == rope_layout::half ? k + 24 : 2 * k + 1;
          const std::size_t row = at - static_cast<std::size_t>(d);
          const double mag = std::fabs(x[row + d0]) + std::fabs(x[row + d1]);
          CHECK(std::fabs(a[at] - b[at]) <= std::ldexp(mag * af, -22));
        }
      }
      // cos_sin() reports the values rotate() used.
      std::vector<float> c1(24), s1(24), c2(24), s2(24);
      for (std::int64_t p : {std::int64_t{-100000}, std::int64_t{12345678}}) {
        a_rope.cos_sin(p, c1.data(), s1.data());
        b_rope.cos_sin(p, c2.data(), s2.data());
        for (int k = 0; k < 24; ++k) {
          CHECK(std::fabs(c1[static_cast<std::size_t>(k)] - c2[static_cast<std::size_t>(k)]) <= std::ldexp(af, -23));
          CHECK(std::fabs(s1[static_cast<std::size_t>(k)] - s2[static_cast<std::size_t>(k)]) <= std::ldexp(af, -23));
        }
      }
      // shift() (unscaled angles) goes through the same source.
      auto ka = random_vector(3 * 64, 47);
      auto kb = ka;
      const std::vector<std::int64_t> delta{70000, -5000000, 1};
      REQUIRE(a_rope.shift(heads_view(ka.data(), 3, 1, 64), delta).ok());
      REQUIRE(b_rope.shift(heads_view(kb.data(), 3, 1, 64), delta).ok());
      REQUIRE(a_rope.shift(heads_view(ka.data(), 3, 1, 64), std::int64_t{123456}).ok());
      REQUIRE(b_rope.shift(heads_view(kb.data(), 3, 1, 64), std::int64_t{123456}).ok());
      for (std::size_t i = 0; i < ka.size(); ++i) CHECK(std::fabs(ka[i] - kb[i]) <= std::ldexp(16.0f, -22));
    }
  }
}

TEST_CASE("fused q,k over slices of one packed QKV buffer equals separate calls", "[rope]") {
  // A fused projection's output [tokens, 8 + 2 + 2 heads, 64]: q = heads 0-7, k = heads 8-9.
  auto r = make_rope({.head_dim = 64, .max_positions = 64});
  const int tokens = 4;
  const std::vector<std::int64_t> pos{0, 5, 9, 1000};
  auto qkv = random_vector(tokens * 12 * 64, 53);
  auto sep = qkv;
  auto views = [&](std::vector<float>& b) {
    return std::pair{view3<float>{b.data(), tokens, 8, 64, 12 * 64, 64},
                     view3<float>{b.data() + 8 * 64, tokens, 2, 64, 12 * 64, 64}};
  };
  const auto [q, k] = views(qkv);
  const auto [q2, k2] = views(sep);
  REQUIRE(r.rotate(q, k, pos).ok());
  REQUIRE(r.rotate(q2, pos).ok());
  REQUIRE(r.rotate(k2, pos).ok());
  CHECK(qkv == sep);
  CHECK(qkv != random_vector(tokens * 12 * 64, 53));  // rotated, v untouched below
  const auto orig = random_vector(tokens * 12 * 64, 53);
  for (int t = 0; t < tokens; ++t)
    for (int i = 10 * 64; i < 12 * 64; ++i) CHECK(qkv[t * 12 * 64 + i] == orig[t * 12 * 64 + i]);
}

TEST_CASE("fused q,k equals separate calls, with GQA head counts and strided views", "[rope]") {
  auto r = make_rope({.head_dim = 64, .theta = 5e5, .max_positions = 64});
  const int tokens = 5;
  std::vector<std::int64_t> pos{10, 11, 12, 200, 3};
  auto q = random_vector(tokens * 8 * 64, 51);
  // k stored [heads, tokens, dim] (HF's [B, H, T, D]) and viewed as [tokens, heads, dim]
  auto k = random_vector(2 * tokens * 64, 52);
  auto q2 = q, k2 = k;
  const view3<float> kv{k.data(), tokens, 2, 64, 64, tokens * 64};
  const view3<float> kv2{k2.data(), tokens, 2, 64, 64, tokens * 64};
  REQUIRE(r.rotate(heads_view(q.data(), tokens, 8, 64), kv, pos).ok());
  REQUIRE(r.rotate(heads_view(q2.data(), tokens, 8, 64), pos).ok());
  REQUIRE(r.rotate(kv2, pos).ok());
  CHECK(q == q2);
  CHECK(k == k2);
  // the strided k equals rotating a contiguous copy
  std::vector<float> kc(tokens * 2 * 64);
  auto k0 = random_vector(2 * tokens * 64, 52);
  for (int t = 0; t < tokens; ++t)
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 64; ++i) kc[(t * 2 + h) * 64 + i] = k0[(h * tokens + t) * 64 + i];
  REQUIRE(r.rotate(heads_view(kc.data(), tokens, 2, 64), pos).ok());
  for (int t = 0; t < tokens; ++t)
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 64; ++i) CHECK(kc[(t * 2 + h) * 64 + i] == k[(h * tokens + t) * 64 + i]);
}

TEST_CASE("slices of tokens rotate independently (thread-pool split)", "[rope]") {
  auto r = make_rope({.head_dim = 32});
  std::vector<std::int64_t> pos{3, 1, 4, 1, 5, 9, 2, 6};
  auto a = random_vector(8 * 3 * 32, 61);
  auto b = a;
  const auto whole = heads_view(a.data(), 8, 3, 32);
  REQUIRE(r.rotate(whole, pos).ok());
  const auto v = heads_view(b.data(), 8, 3, 32);
  REQUIRE(r.rotate(slice0(v, 0, 3), std::span(pos).subspan(0, 3)).ok());
  REQUIRE(r.rotate(slice0(v, 3, 8), std::span(pos).subspan(3)).ok());
  CHECK(a == b);
}

TEST_CASE("for_sequence_length: dynamic and longrope switch, others unchanged", "[rope]") {
  auto dyn = make_rope({.head_dim = 64, .scaling = dynamic_scaling{2.0, 2048}});
  auto same = dyn.for_sequence_length(2048);
  auto grown = dyn.for_sequence_length(4101);
  REQUIRE(same);
  REQUIRE(grown);
  CHECK(std::vector<double>(same->inv_freq().begin(), same->inv_freq().end()) ==
        std::vector<double>(dyn.inv_freq().begin(), dyn.inv_freq().end()));
  // Dynamic NTK (spec/encodings.md §9): theta' = theta (s L / L_max - (s - 1))^(r / (r - 2)).
  const long double grown_theta = 1e4L * std::pow(2.0L * 4101 / 2048 - 1.0L, 64.0L / 62.0L);
  for (std::size_t k = 0; k < 32; ++k) {
    const long double w = std::pow(grown_theta, -2.0L * static_cast<long double>(k) / 64.0L);
    CHECK(grown->inv_freq()[k] == Approx(static_cast<double>(w)).epsilon(1e-12));
    CHECK(dyn.inv_freq()[k] == Approx(static_cast<double>(std::pow(1e4L, -2.0L * k / 64.0L))).epsilon(1e-12));
  }
  // LongRoPE: short factors while L <= L_orig, long ones past it; w_k / factor_k.
  longrope_scaling lr;
  for (int k = 0; k < 32; ++k) {
    lr.short_factor.push_back(1.0 + 0.125 * k);
    lr.long_factor.push_back(4.0 + k);
  }
  lr.factor = 8.0;
  lr.original_max_position_embeddings = 4096;
  auto lrope = make_rope({.head_dim = 64, .scaling = lr});
  auto at_orig = lrope.for_sequence_length(4096);
  auto past = lrope.for_sequence_length(4097);
  REQUIRE(at_orig);
  REQUIRE(past);
  for (std::size_t k = 0; k < 32; ++k) {
    const double w = static_cast<double>(std::pow(1e4L, -2.0L * static_cast<long double>(k) / 64.0L));
    CHECK(lrope.inv_freq()[k] == Approx(w / lr.short_factor[k]).epsilon(1e-12));
    CHECK(at_orig->inv_freq()[k] == Approx(w / lr.short_factor[k]).epsilon(1e-12));
    CHECK(past->inv_freq()[k] == Approx(w / lr.long_factor[k]).epsilon(1e-12));
  }
  auto plain = make_rope({.head_dim = 64});
  CHECK(plain.for_sequence_length(1 << 20)->inv_freq()[5] == plain.inv_freq()[5]);
}

TEST_CASE("empty inputs are fine", "[rope]") {
  auto r = make_rope({.head_dim = 64});
  CHECK(r.rotate(view3<float>{nullptr, 0, 8, 64, 512, 64}, {}).ok());
}

TEST_CASE("construction errors name the bad value", "[rope][errors]") {
  auto fails = [](rope_config cfg, const char* text) {
    auto r = rope::make(cfg);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == errc::invalid_argument);
    CHECK_THAT(r.error().message(), Contains(text));
  };
  fails({.head_dim = 0}, "head_dim must be in [1, 65536], got 0");
  fails({.head_dim = std::int64_t{1} << 40}, "got 1099511627776");
  fails({.head_dim = 64, .rotary_dim = 63}, "got 63");
  fails({.head_dim = 64, .rotary_dim = 66}, "got 66");
  fails({.head_dim = 63}, "got 63");  // rotary = head_dim = 63 is odd
  fails({.head_dim = 64, .partial_rotary_factor = 0.0}, "partial_rotary_factor must be in (0, 1], got 0");
  fails({.head_dim = 64, .partial_rotary_factor = std::nan("")}, "got nan");
  fails({.head_dim = 64, .theta = std::nan("")}, "rope_theta must be a finite positive number, got nan");
  fails({.head_dim = 64, .theta = -1.0}, "got -1");
  fails({.head_dim = 64, .max_positions = -1}, "got -1");
  fails({.head_dim = 64, .max_positions = std::int64_t{1} << 40}, "got 1099511627776");
  fails({.head_dim = 64, .scaling = linear_scaling{std::nan("")}}, "factor must be a finite number >= 1, got nan");
  fails({.head_dim = 64, .angle_source = static_cast<rope_angle_source>(7)}, "unknown angle_source 7");
}

TEST_CASE("rotate errors name the problem and leave the buffer untouched", "[rope][errors]") {
  auto r = make_rope({.head_dim = 64});
  auto x = random_vector(4 * 2 * 64, 71);
  const auto before = x;
  auto fails = [&](status st, errc code, const char* text) {
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == code);
    CHECK_THAT(st.message(), Contains(text));
    CHECK(x == before);
  };
  std::vector<std::int64_t> pos{0, 1, 2, 3};
  fails(r.rotate(heads_view(x.data(), 4, 4, 32), pos), errc::shape_mismatch, "x has head_dim 32, the encoder was made for 64");
  fails(r.rotate(heads_view(x.data(), 4, 2, 64), std::span(pos).subspan(1)), errc::shape_mismatch, "3 positions for 4 tokens");
  std::vector<std::int64_t> far{0, 1, std::int64_t{1} << 53, 3};
  fails(r.rotate(heads_view(x.data(), 4, 2, 64), far), errc::out_of_range, "position 9007199254740992");
  std::vector<std::int64_t> extreme{0, INT64_MIN, 2, 3};
  fails(r.rotate(heads_view(x.data(), 4, 2, 64), extreme), errc::out_of_range, "position -9223372036854775808");
  fails(r.rotate(view3<float>{x.data(), 4, 2, 64, 64, 32}, pos), errc::shape_mismatch, "overlap");
  fails(r.rotate(view3<float>{x.data(), 4, 2, 64, -128, 64}, pos), errc::shape_mismatch, "negative stride");
  fails(r.rotate(view3<float>{nullptr, 4, 2, 64, 128, 64}, pos), errc::invalid_argument, "null data pointer");
  fails(r.rotate(heads_view(x.data(), 4, 1, 64), heads_view(x.data() + 128, 4, 1, 64), pos), errc::invalid_argument, "q and k overlap");
  fails(r.rotate(heads_view(x.data(), 4, 1, 64), heads_view(x.data(), 2, 1, 64), pos), errc::shape_mismatch, "2 tokens of k");
}
