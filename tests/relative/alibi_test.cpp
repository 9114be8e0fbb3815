// Tests for relative/alibi.hpp: the spec's slopes for 12 and 6 heads (spec/encodings.md §7),
// the original get_slopes recursion and MPT's gen_slopes written here in long double, geometric
// progressions, the causal and symmetric bias against float32 products, the config parser for
// Bloom and MPT configs, and every error path.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <posenc/io/hf_config.hpp>
#include <posenc/relative/alibi.hpp>
#include <vector>

using posenc::alibi;

static_assert(posenc::BiasEncoder<alibi>);

namespace {

alibi make(std::int64_t n, double bias_max = 8.0, bool causal = true) {
  auto e = alibi::make({.num_heads = n, .bias_max = bias_max, .causal = causal});
  REQUIRE(e.has_value());
  return *e;
}

// The original code's recursion (ofirpress/attention_with_linear_biases), restated: a
// power-of-two n gets start^1..start^n with start = 2^(-8/n); otherwise the closest power of
// two c below n, followed by every other slope of 2c heads, starting with the first.
std::vector<long double> original_slopes(std::int64_t n) {
  auto pow2 = [](std::int64_t m) {
    std::vector<long double> s;
    const long double start = std::exp2(-8.0L / static_cast<long double>(m));
    for (std::int64_t i = 0; i < m; ++i) s.push_back(std::pow(start, static_cast<long double>(i + 1)));
    return s;
  };
  std::int64_t c = 1;
  while (c * 2 <= n) c *= 2;
  auto s = pow2(c);
  if (c == n) return s;
  const auto extra = original_slopes(2 * c);
  for (std::int64_t t = 0; static_cast<std::int64_t>(s.size()) < n; t += 2) s.push_back(extra[static_cast<std::size_t>(t)]);
  return s;
}

// MPT's gen_slopes, restated: N = 2^ceil(log2 n), m_k = k * bias_max / N for k = 1..N,
// s = 2^-m; for N != n, the odd-indexed slopes then the even-indexed ones, cut to n.
std::vector<long double> mpt_slopes(std::int64_t n, long double bias_max) {
  std::int64_t big = 1;
  while (big < n) big *= 2;
  std::vector<long double> s;
  for (std::int64_t k = 1; k <= big; ++k) s.push_back(std::exp2(-static_cast<long double>(k) * bias_max / big));
  if (big == n) return s;
  std::vector<long double> out;
  for (std::int64_t k = 1; k < big; k += 2) out.push_back(s[static_cast<std::size_t>(k)]);
  for (std::int64_t k = 0; k < big; k += 2) out.push_back(s[static_cast<std::size_t>(k)]);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("alibi: slopes of spec/encodings.md for 12 and 6 heads", "[alibi]") {
  const auto e12 = make(12), e6 = make(6);
  const auto s12 = e12.slopes();
  for (int h = 0; h < 8; ++h) CHECK(s12[static_cast<std::size_t>(h)] == std::ldexp(1.0f, -(h + 1)));
  for (int t = 0; t < 4; ++t) {
    CHECK(s12[static_cast<std::size_t>(8 + t)] == static_cast<float>(std::exp2(-0.5L - t)));
  }
  const auto s6 = e6.slopes();
  const std::vector<float> want6 = {1.0f / 4, 1.0f / 16, 1.0f / 64, 1.0f / 256, 1.0f / 2, 1.0f / 8};
  CHECK(std::vector<float>(s6.begin(), s6.end()) == want6);
}

TEST_CASE("alibi: slopes match the original recursion and MPT's gen_slopes", "[alibi]") {
  for (std::int64_t n = 1; n <= 130; ++n) {
    const auto e = make(n);
    const auto want = original_slopes(n);
    for (std::int64_t h = 0; h < n; ++h) {
      INFO("n " << n << " h " << h);
      // Both round a double/long double slope once to float: within one float rounding.
      CHECK(e.slopes()[static_cast<std::size_t>(h)] ==
            Approx(static_cast<double>(want[static_cast<std::size_t>(h)])).epsilon(1e-7));
    }
    for (double bias_max : {8.0, 16.0, 5.0}) {
      const auto m = make(n, bias_max);
      const auto ref = mpt_slopes(n, bias_max);
      for (std::int64_t h = 0; h < n; ++h) {
        INFO("n " << n << " bias_max " << bias_max << " h " << h);
        CHECK(m.slopes()[static_cast<std::size_t>(h)] ==
              Approx(static_cast<double>(ref[static_cast<std::size_t>(h)])).epsilon(1e-7));
      }
    }
  }
}

TEST_CASE("alibi: both slope runs are geometric with ratio 2^(-bias_max/c)", "[alibi]") {
  for (std::int64_t n : {5, 8, 12, 40, 64, 96}) {
    for (double bias_max : {8.0, 16.0}) {
      const auto e = make(n, bias_max);
      const auto s = e.slopes();
      std::int64_t c = 1;
      while (c * 2 <= n) c *= 2;
      const double ratio = std::exp2(-bias_max / static_cast<double>(c));
      CHECK(s[0] == Approx(ratio).epsilon(1e-7));
      for (std::int64_t h = 1; h < n; ++h) {
        if (h == c) continue;  // where the extra run starts
        CHECK(s[static_cast<std::size_t>(h)] / s[static_cast<std::size_t>(h - 1)] == Approx(ratio).epsilon(3e-7));
      }
    }
  }
}

TEST_CASE("alibi: causal bias is m (j - i), symmetric is -m |i - j|", "[alibi]") {
  const std::int64_t heads = 12;
  for (bool causal : {true, false}) {
    const auto e = make(heads, 8.0, causal);
    struct shape { std::int64_t q, k, o; };
    for (const shape s : {shape{1, 1, 0}, shape{9, 9, 0}, shape{4, 20, 16}, shape{30, 3, 0},
                          shape{2, 5, 100000}, shape{0, 3, 0}}) {
      std::vector<float> b(static_cast<std::size_t>(heads * s.q * s.k), 3.0f);
      REQUIRE(e.bias(s.q, s.k, s.o, posenc::tensor_view(b.data(), heads, s.q, s.k)).ok());
      for (std::int64_t h = 0; h < heads; ++h) {
        const float m = e.slopes()[static_cast<std::size_t>(h)];
        for (std::int64_t i = 0; i < s.q; ++i) {
          for (std::int64_t j = 0; j < s.k; ++j) {
            // The float32 product of the references (distances here are exact in float).
            const auto d = static_cast<float>(j - (s.o + i));
            const float want = causal ? m * d : -m * std::fabs(d);
            REQUIRE(b[static_cast<std::size_t>((h * s.q + i) * s.k + j)] == want);
          }
        }
      }
    }
  }
  // Distances past 2^24: the exact product rounded once (long double reference).
  const auto e = make(3);
  std::vector<float> b(3 * 2 * 4);
  const std::int64_t far = (std::int64_t{1} << 40) + 3;
  REQUIRE(e.bias(2, 4, far, posenc::tensor_view(b.data(), 3, 2, 4)).ok());
  for (std::int64_t h = 0; h < 3; ++h) {
    for (std::int64_t i = 0; i < 2; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        const long double want = static_cast<long double>(e.slopes()[static_cast<std::size_t>(h)]) *
                                 static_cast<long double>(j - far - i);
        REQUIRE(b[static_cast<std::size_t>((h * 2 + i) * 4 + j)] == static_cast<float>(want));
      }
    }
  }
}

TEST_CASE("alibi: bias across the fill's tiles and head groups, into padded rows", "[alibi]") {
  // detail::fill_toeplitz works in tiles of at most 2048 rows and columns (float) and in groups
  // of heads whose lines fit its 16 KiB buffer: these shapes cross every such boundary, and the
  // output rows and heads are padded (s1 > K, s0 > Q * s1) so the padding must stay untouched.
  struct shape { std::int64_t heads, q, k, o; };
  for (const shape s : {shape{3, 3, 4100, 7}, shape{3, 4100, 3, -5}, shape{50, 100, 100, 0},
                        shape{7, 2049, 2049, 1}}) {
    const auto e = make(s.heads);
    const std::int64_t s1 = s.k + 3, s0 = s.q * s1 + 5;
    std::vector<float> b(static_cast<std::size_t>(s.heads * s0), -7.0f);
    const posenc::view3<float> out{b.data(), s.heads, s.q, s.k, s0, s1};
    REQUIRE(e.bias(s.q, s.k, s.o, out).ok());
    std::int64_t wrong = 0;
    for (std::int64_t h = 0; h < s.heads; ++h) {
      const float m = e.slopes()[static_cast<std::size_t>(h)];
      for (std::int64_t i = 0; i < s.q; ++i) {
        for (std::int64_t j = 0; j < s1; ++j) {
          const float want = j < s.k ? m * static_cast<float>(j - (s.o + i)) : -7.0f;
          wrong += b[static_cast<std::size_t>(h * s0 + i * s1 + j)] != want;
        }
      }
      for (std::int64_t t = s.q * s1; t < s0; ++t) wrong += b[static_cast<std::size_t>(h * s0 + t)] != -7.0f;
    }
    INFO("heads " << s.heads << ", Q " << s.q << ", K " << s.k);
    CHECK(wrong == 0);
  }
}

TEST_CASE("alibi: a decode step's single query row may have any row stride", "[alibi]") {
  // With Q = 1 the row stride is never used, so validate accepts any value, up to 2^62: the
  // fill must not multiply it (signed overflow; UBSan in the asan preset catches it).
  const auto e = make(4);
  constexpr std::int64_t k = 37, o = 36;
  std::vector<float> b(static_cast<std::size_t>(4 * k), -7.0f);
  for (std::int64_t s1 : {std::int64_t{0}, std::int64_t{1} << 40, std::int64_t{1} << 62}) {
    REQUIRE(e.bias(1, k, o, posenc::view3<float>{b.data(), 4, 1, k, k, s1}).ok());
    std::int64_t wrong = 0;
    for (std::int64_t h = 0; h < 4; ++h) {
      const float m = e.slopes()[static_cast<std::size_t>(h)];
      for (std::int64_t j = 0; j < k; ++j) {
        wrong += b[static_cast<std::size_t>(h * k + j)] != m * static_cast<float>(j - o);
      }
    }
    INFO("s1 " << s1);
    CHECK(wrong == 0);
  }
}

TEMPLATE_TEST_CASE("alibi: bias into double, float16 and bfloat16 outputs", "[alibi]", double,
                   posenc::float16, posenc::bfloat16) {
  // double holds the exact product m (j - i); the 16-bit types the float32 product cast to
  // them, as a float32 bias cast to the model's dtype. Shapes cross the fill's tiles (4096
  // rows / columns for 2-byte types) and the output rows are padded.
  using T = TestType;
  struct shape { std::int64_t heads, q, k, o; };
  for (bool causal : {true, false}) {
    for (const shape s : {shape{12, 9, 9, 0}, shape{3, 4100, 5, -5}, shape{2, 5, 4100, 3},
                          shape{5, 3, 7, 100000}}) {
      const auto e = make(s.heads, 8.0, causal);
      const std::int64_t s1 = s.k + 2;
      std::vector<T> b(static_cast<std::size_t>(s.heads * s.q * s1), T(-7.0f));
      REQUIRE(e.bias(s.q, s.k, s.o, posenc::view3<T>{b.data(), s.heads, s.q, s.k, s.q * s1, s1}).ok());
      std::int64_t wrong = 0;
      for (std::int64_t h = 0; h < s.heads; ++h) {
        const float m = e.slopes()[static_cast<std::size_t>(h)];
        for (std::int64_t i = 0; i < s.q; ++i) {
          for (std::int64_t j = 0; j < s1; ++j) {
            const std::int64_t d = j - (s.o + i);
            T want = T(-7.0f);
            if constexpr (std::is_same_v<T, double>) {
              if (j < s.k) want = causal ? double{m} * static_cast<double>(d) : -double{m} * std::fabs(static_cast<double>(d));
            } else if (j < s.k) {
              const auto df = static_cast<float>(d);  // exact: |d| < 2^24 here
              want = T(causal ? m * df : -m * std::fabs(df));
            }
            const auto got = b[static_cast<std::size_t>((h * s.q + i) * s1 + j)];
            wrong += std::memcmp(&got, &want, sizeof(T)) != 0;
          }
        }
      }
      INFO("causal " << causal << ", heads " << s.heads << ", Q " << s.q << ", K " << s.k);
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("alibi: invariants of the bias", "[alibi]") {
  const std::int64_t heads = 6, n = 17;
  std::vector<float> sym(heads * n * n), cau(heads * n * n);
  REQUIRE(make(heads, 8.0, false).bias(n, n, 0, posenc::tensor_view(sym.data(), heads, n, n)).ok());
  REQUIRE(make(heads).bias(n, n, 0, posenc::tensor_view(cau.data(), heads, n, n)).ok());
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        const auto at = [&](std::int64_t a, std::int64_t b) { return static_cast<std::size_t>((h * n + a) * n + b); };
        REQUIRE(sym[at(i, j)] == sym[at(j, i)]);            // symmetric in i, j
        if (j <= i) REQUIRE(sym[at(i, j)] == cau[at(i, j)]);  // the forms agree on the causal part
        REQUIRE(sym[at(i, j)] <= 0.0f);
      }
    }
  }
}

TEST_CASE("alibi: errors name the value and leave the output untouched", "[alibi]") {
  for (std::int64_t n : {std::int64_t{0}, std::int64_t{-3}, (std::int64_t{1} << 16) + 1}) {
    auto e = alibi::make({.num_heads = n});
    REQUIRE_FALSE(e.has_value());
    CHECK_THAT(e.error().message(), Catch::Contains("got " + std::to_string(n)));
  }
  for (double bm : {0.0, -8.0, std::nan("")}) {
    auto e = alibi::make({.num_heads = 4, .bias_max = bm});
    REQUIRE_FALSE(e.has_value());
    CHECK_THAT(e.error().message(), Catch::Contains("bias_max"));
  }
  const auto e = make(4);
  std::vector<float> out(4 * 3 * 3, 8.0f);
  const auto sentinel = out;
  auto st = e.bias(3, 3, 0, posenc::tensor_view(out.data(), 3, 3, 4));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("[3, 3, 4]"));
  st = e.bias(3, -2, 0, posenc::tensor_view(out.data(), 4, 3, 3));
  CHECK_THAT(st.message(), Catch::Contains("-2"));
  st = e.bias(3, 3, -(std::int64_t{1} << 52), posenc::tensor_view(out.data(), 4, 3, 3));
  CHECK(st.code() == posenc::errc::out_of_range);
  CHECK(e.bias(3, 3, 0, posenc::view3<float>{nullptr, 4, 3, 3, 9, 3}).code() == posenc::errc::invalid_argument);
  CHECK(out == sentinel);
}

TEST_CASE("alibi: config from Bloom and MPT configs", "[alibi][hf]") {
  using posenc::hf::json;
  auto c = posenc::hf::alibi_config_from(json::parse(R"({"model_type": "bloom", "n_head": 16, "hidden_size": 1024})"));
  REQUIRE(c.has_value());
  CHECK((c->num_heads == 16 && c->bias_max == 8.0 && c->causal));
  c = posenc::hf::alibi_config_from(json::parse(
      R"({"model_type": "mpt", "n_heads": 32, "d_model": 4096,
          "attn_config": {"alibi": true, "alibi_bias_max": 16, "attn_impl": "torch"}})"));
  REQUIRE(c.has_value());
  CHECK((c->num_heads == 32 && c->bias_max == 16.0 && c->causal));
  c = posenc::hf::alibi_config_from(json::parse(R"({"num_heads": 6, "alibi_causal": false, "alibi_bias_max": 4})"));
  REQUIRE(c.has_value());
  CHECK((c->num_heads == 6 && c->bias_max == 4.0 && !c->causal));
  c = posenc::hf::alibi_config_from(json::parse(R"({"model_type": "bloom"})"));
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("n_head"));
  c = posenc::hf::alibi_config_from(json::parse(R"({"n_head": 4, "alibi_bias_max": "big"})"));
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("alibi_bias_max"));
}
