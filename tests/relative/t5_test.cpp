// Tests for relative/t5.hpp: the spec's bucket boundaries (spec/encodings.md §4), an exact
// integer reference of the bucket formula, monotonicity and saturation, relative_positions and
// bias against direct per-entry loops, the config parser, and every error path.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <posenc/io/hf_config.hpp>
#include <posenc/relative/t5.hpp>
#include <vector>

using posenc::t5;
using posenc::t5_buckets;
using posenc::t5_config;

static_assert(posenc::BiasEncoder<t5>);

namespace {

__extension__ typedef unsigned __int128 u128;

u128 power(u128 b, std::int64_t e) {
  u128 r = 1;
  while (e-- > 0) r *= b;
  return r;
}

// The exact bucket in integers: for n >= e, the large-branch value is the largest k with
// floor(ln(n/e) / ln(M/e) * (B'-e)) >= k, i.e. (n/e)^(B'-e) >= (M/e)^k. With r = M/e an
// integer this is n^(B'-e) >= r^k e^(B'-e). Distances past M give k = B'-e (saturated), so n
// is capped at M, which keeps every power below 2^128 for the configurations tested.
std::int64_t exact_bucket(std::int64_t rel, std::int64_t num_buckets, std::int64_t max_distance,
                          bool bidirectional) {
  const std::int64_t half = bidirectional ? num_buckets / 2 : num_buckets;
  const std::int64_t offset = bidirectional && rel > 0 ? half : 0;
  const std::int64_t n = bidirectional ? (rel < 0 ? -rel : rel) : std::max<std::int64_t>(-rel, 0);
  const std::int64_t e = half / 2;
  if (n < e) return offset + n;
  REQUIRE(max_distance % e == 0);
  const std::int64_t big = half - e, r = max_distance / e;
  const u128 lhs = power(static_cast<u128>(std::min(n, max_distance)), big);
  std::int64_t k = 0;
  while (k < big && lhs >= power(static_cast<u128>(r), k + 1) * power(static_cast<u128>(e), big)) ++k;
  return offset + std::min(half - 1, e + k);
}

t5_buckets buckets(std::int64_t b, std::int64_t m, bool bi) {
  auto made = t5_buckets::make({.num_buckets = b, .max_distance = m, .bidirectional = bi});
  REQUIRE(made.has_value());
  return *made;
}

// The first distance n of each bucket, read off a bucket function over n = 0, 1, ...
std::vector<std::int64_t> first_n(const t5_buckets& tb, std::int64_t sign, std::int64_t limit) {
  std::vector<std::int64_t> firsts;
  std::int64_t last = -1;
  for (std::int64_t n = 0; n <= limit; ++n) {
    const std::int64_t b = tb.bucket(sign * n);
    if (b != last) firsts.push_back(n), last = b;
  }
  return firsts;
}

}  // namespace

TEST_CASE("t5: default boundaries of spec/encodings.md", "[t5]") {
  const auto bi = buckets(32, 128, true);
  // Keys to the left (rel <= 0): buckets 0..7 exact, then 8 <- 8..11, 9 <- 12..15, ...
  const std::vector<std::int64_t> left = {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 23, 32, 46, 64, 91};
  CHECK(first_n(bi, -1, 5000) == left);
  for (std::size_t k = 0; k < left.size(); ++k) CHECK(bi.bucket(-left[k]) == static_cast<std::int64_t>(k));
  CHECK(bi.bucket(-90) == 14);
  CHECK(bi.bucket(-91) == 15);
  // Keys to the right: the same + 16; rel = 0 -> 0 and rel = +1 -> 17.
  CHECK(bi.bucket(0) == 0);
  CHECK(bi.bucket(1) == 17);
  for (std::int64_t n = 1; n <= 5000; ++n) REQUIRE(bi.bucket(n) == bi.bucket(-n) + 16);
  CHECK(bi.bucket(91) == 31);

  const auto dec = buckets(32, 128, false);
  std::vector<std::int64_t> want;
  for (std::int64_t n = 0; n <= 16; ++n) want.push_back(n);
  for (std::int64_t n : {19, 21, 24, 27, 31, 35, 40, 46, 52, 59, 67, 77, 87, 99, 113}) want.push_back(n);
  CHECK(first_n(dec, -1, 5000) == want);
  CHECK(dec.bucket(-112) == 30);
  CHECK(dec.bucket(-113) == 31);
  for (std::int64_t rel = 0; rel <= 100; ++rel) REQUIRE(dec.bucket(rel) == 0);  // future keys
}

TEST_CASE("t5: buckets equal the exact integer formula", "[t5]") {
  struct cfg { std::int64_t b, m; bool bi; };
  for (const cfg c : {cfg{32, 128, true}, cfg{32, 128, false}, cfg{16, 40, true}, cfg{32, 64, false},
                      cfg{64, 128, true}, cfg{8, 16, false}, cfg{4, 4, true}, cfg{40, 100, true},
                      // max_distance past the 256 distances t5_buckets caches
                      cfg{32, 1000, true}, cfg{16, 4096, false},
                      // odd num_buckets: floor halves (HF's num_buckets //= 2 and // 2)
                      cfg{33, 128, true}, cfg{7, 16, true}, cfg{33, 128, false}, cfg{7, 12, false}}) {
    const auto tb = buckets(c.b, c.m, c.bi);
    for (std::int64_t rel = -6000; rel <= 6000; ++rel) {
      INFO("B " << c.b << " M " << c.m << " bidirectional " << c.bi << " rel " << rel);
      REQUIRE(tb.bucket(rel) == exact_bucket(rel, c.b, c.m, c.bi));
    }
  }
}

TEST_CASE("t5: buckets are monotone in distance, in range, and saturate", "[t5]") {
  for (bool bi : {true, false}) {
    for (std::int64_t b : {4, 7, 32, 33, 100}) {
      for (std::int64_t m : {64, 128, 1000}) {
        auto made = t5_buckets::make({.num_buckets = b, .max_distance = m, .bidirectional = bi});
        if (!made) continue;  // max_distance not above the exact range
        std::int64_t prev_left = 0, prev_right = 0;
        for (std::int64_t n = 0; n <= 3 * m; ++n) {
          const std::int64_t l = made->bucket(-n), r = made->bucket(n);
          REQUIRE(l >= prev_left);
          REQUIRE(0 <= l);
          REQUIRE(l < b);
          REQUIRE(0 <= r);
          REQUIRE(r < b);
          if (n > 0 && bi) REQUIRE(r >= prev_right);
          prev_left = l, prev_right = r;
        }
        const std::int64_t last = bi ? b / 2 - 1 : b - 1;
        CHECK(made->bucket(-m) == last);
        CHECK(made->bucket(INT64_MIN) == last);
        CHECK(made->bucket(INT64_MAX) == (bi ? b / 2 + last : 0));
      }
    }
  }
}

TEST_CASE("t5: relative_positions and bias match direct loops", "[t5]") {
  const std::int64_t heads = 3;
  for (bool bi : {true, false}) {
    const t5_config cfg{.num_buckets = 32, .max_distance = 128, .bidirectional = bi, .num_heads = heads};
    std::vector<float> w(32 * heads);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = 0.01f * static_cast<float>(k) - 0.3f;
    auto enc = t5::make(cfg, posenc::matrix_view(w.data(), 32, heads));
    REQUIRE(enc.has_value());
    const auto& tb = enc->buckets();
    struct shape { std::int64_t q, k, o; };
    for (const shape s : {shape{1, 1, 0}, shape{7, 7, 0}, shape{5, 300, 0}, shape{300, 5, 0},
                          shape{4, 40, 34}, shape{16, 40, 150}, shape{3, 9, -20}, shape{0, 4, 0},
                          shape{4, 0, 0}}) {
      std::vector<std::int64_t> r(static_cast<std::size_t>(s.q * (s.k + 3)), -1);
      REQUIRE(enc->relative_positions(s.q, s.k, s.o, {r.data(), s.q, s.k, s.k + 3}).ok());
      // out in [Q, heads, K] memory order: a view with strides (K, heads * K).
      std::vector<float> b(static_cast<std::size_t>(heads * s.q * s.k), 99.0f);
      REQUIRE(enc->bias(s.q, s.k, s.o, {b.data(), heads, s.q, s.k, s.k, heads * s.k}).ok());
      for (std::int64_t i = 0; i < s.q; ++i) {
        for (std::int64_t j = 0; j < s.k; ++j) {
          const std::int64_t want = tb.bucket(j - (s.o + i));
          REQUIRE(r[static_cast<std::size_t>(i * (s.k + 3) + j)] == want);
          for (std::int64_t h = 0; h < heads; ++h) {
            REQUIRE(b[static_cast<std::size_t>(i * heads * s.k + h * s.k + j)] ==
                    w[static_cast<std::size_t>(want * heads + h)]);
          }
        }
        for (std::int64_t j = s.k; j < s.k + 3; ++j) REQUIRE(r[static_cast<std::size_t>(i * (s.k + 3) + j)] == -1);
      }
    }
    // Rows split across calls (a thread pool's shares) give the same block.
    std::vector<float> whole(heads * 12 * 20), split(heads * 12 * 20);
    REQUIRE(enc->bias(12, 20, 5, posenc::tensor_view(whole.data(), heads, 12, 20)).ok());
    for (std::int64_t a = 0; a < 12; a += 5) {
      const std::int64_t e = std::min<std::int64_t>(a + 5, 12);
      REQUIRE(enc->bias(e - a, 20, 5 + a, {split.data() + a * 20, heads, e - a, 20, 12 * 20, 20}).ok());
    }
    CHECK(whole == split);
  }
}

TEMPLATE_TEST_CASE("t5: bias into double, float16 and bfloat16 outputs", "[t5]", double,
                   posenc::float16, posenc::bfloat16) {
  // Each entry is W[bucket, h] converted to the output type (exact for double, rounded once
  // for 16 bits); shapes cross the fill's 4096-row / -column tiles for 2-byte types.
  using T = TestType;
  const std::int64_t heads = 3;
  const t5_config cfg{.num_buckets = 32, .max_distance = 128, .num_heads = heads};
  std::vector<float> w(32 * heads);
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = 0.0123f * static_cast<float>(k) - 0.3f;
  auto enc = t5::make(cfg, posenc::matrix_view(w.data(), 32, heads));
  REQUIRE(enc.has_value());
  struct shape { std::int64_t q, k, o; };
  for (const shape s : {shape{7, 7, 0}, shape{4100, 5, -5}, shape{5, 4100, 3}, shape{3, 9, -20}}) {
    std::vector<T> b(static_cast<std::size_t>(heads * s.q * s.k));
    REQUIRE(enc->bias(s.q, s.k, s.o, posenc::tensor_view(b.data(), heads, s.q, s.k)).ok());
    std::int64_t wrong = 0;
    for (std::int64_t h = 0; h < heads; ++h) {
      for (std::int64_t i = 0; i < s.q; ++i) {
        for (std::int64_t j = 0; j < s.k; ++j) {
          const std::int64_t bucket = enc->buckets().bucket(j - (s.o + i));
          const T want = T(w[static_cast<std::size_t>(bucket * heads + h)]);
          const auto got = b[static_cast<std::size_t>((h * s.q + i) * s.k + j)];
          wrong += std::memcmp(&got, &want, sizeof(T)) != 0;
        }
      }
    }
    INFO("Q " << s.q << ", K " << s.k);
    CHECK(wrong == 0);
  }
}

TEST_CASE("t5: owned tables work after the source is gone", "[t5]") {
  t5::matrix m(32, 2);
  for (std::int64_t r = 0; r < 32; ++r) m(r, 0) = static_cast<float>(r), m(r, 1) = -static_cast<float>(r);
  auto enc = t5::make({.num_heads = 2}, std::move(m));
  REQUIRE(enc.has_value());
  std::vector<float> b(2 * 2 * 3);
  REQUIRE(enc->bias(2, 3, 0, posenc::tensor_view(b.data(), 2, 2, 3)).ok());
  // rel = j - i: row 0 -> 0, 1, 2 = buckets 0, 17, 18; row 1 -> -1, 0, 1 = buckets 1, 0, 17.
  CHECK(b == std::vector<float>{0, 17, 18, 1, 0, 17, 0, -17, -18, -1, 0, -17});
}

TEST_CASE("t5: errors name the value and leave the output untouched", "[t5]") {
  auto bad = t5_buckets::make({.num_buckets = 3, .bidirectional = true});
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("got 3"));
  bad = t5_buckets::make({.num_buckets = 1, .bidirectional = false});
  REQUIRE_FALSE(bad.has_value());
  bad = t5_buckets::make({.num_buckets = 32, .max_distance = 8});
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("got 8"));

  std::vector<float> w(32 * 4, 1.0f);
  auto no_heads = t5::make({.num_heads = 0}, posenc::matrix_view(w.data(), 32, 4));
  REQUIRE_FALSE(no_heads.has_value());
  CHECK_THAT(no_heads.error().message(), Catch::Contains("got 0"));
  auto wrong = t5::make({.num_heads = 4}, posenc::matrix_view(w.data(), 16, 8));
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code() == posenc::errc::shape_mismatch);
  CHECK_THAT(wrong.error().message(), Catch::Contains("[16, 8]"));

  auto enc = t5::make({.num_heads = 4}, posenc::matrix_view(w.data(), 32, 4));
  REQUIRE(enc.has_value());
  std::vector<float> out(4 * 3 * 5, -5.0f);
  const auto sentinel = out;
  auto st = enc->bias(3, 5, 0, posenc::tensor_view(out.data(), 2, 3, 5));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("[2, 3, 5]"));
  st = enc->bias(-1, 5, 0, posenc::tensor_view(out.data(), 4, 3, 5));
  CHECK_THAT(st.message(), Catch::Contains("-1"));
  st = enc->bias(3, 5, std::int64_t{1} << 60, posenc::tensor_view(out.data(), 4, 3, 5));
  CHECK(st.code() == posenc::errc::out_of_range);
  CHECK_THAT(st.message(), Catch::Contains(std::to_string(std::int64_t{1} << 60)));
  CHECK(enc->bias(3, 5, 0, {out.data(), 4, 3, 5, 15, 4}).code() == posenc::errc::shape_mismatch);
  CHECK(out == sentinel);
  std::vector<std::int64_t> r(15, 7);
  st = enc->relative_positions(3, 5, 0, posenc::matrix_view(r.data(), 5, 3));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK(r == std::vector<std::int64_t>(15, 7));
}

TEST_CASE("t5: config from real T5 configs", "[t5][hf]") {
  using posenc::hf::json;
  // google/flan-t5-base: no is_decoder (encoder buckets), 12 heads from num_heads.
  auto c = posenc::hf::t5_config_from(json::parse(R"({"model_type": "t5", "d_model": 768,
      "num_heads": 12, "relative_attention_max_distance": 128,
      "relative_attention_num_buckets": 32, "n_positions": 512})"));
  REQUIRE(c.has_value());
  CHECK((c->num_buckets == 32 && c->max_distance == 128 && c->bidirectional && c->num_heads == 12));
  // Older configs lack relative_attention_max_distance: 128.
  c = posenc::hf::t5_config_from(json::parse(
      R"({"model_type": "t5", "num_heads": 8, "relative_attention_num_buckets": 32, "is_decoder": true})"));
  REQUIRE(c.has_value());
  CHECK((c->max_distance == 128 && !c->bidirectional && c->num_heads == 8));
  // Bucket ids need no head count: absent is 0; given, it must be positive.
  c = posenc::hf::t5_config_from(json::parse(R"({"model_type": "t5", "relative_attention_num_buckets": 32})"));
  REQUIRE(c.has_value());
  CHECK(c->num_heads == 0);
  for (const char* heads : {R"({"num_heads": 0})", R"({"n_head": -2})"}) {
    c = posenc::hf::t5_config_from(json::parse(heads));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code() == posenc::errc::invalid_config);
    CHECK_THAT(c.error().message(), Catch::Contains("head count must be positive"));
  }
  c = posenc::hf::t5_config_from(json::parse(R"({"num_heads": 2, "is_decoder": "yes"})"));
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("is_decoder"));
}
