// attention_logits for every family against float64 scores written here from the formulas,
// through the shared float64 softmax-attention reference (tests/support).
#include <catch2/catch.hpp>
#include <posenc/attention.hpp>
#include <algorithm>
#include <limits>
#include <posenc/relative/alibi.hpp>
#include <posenc/relative/deberta.hpp>
#include <posenc/relative/shaw.hpp>
#include <posenc/relative/t5.hpp>
#include <posenc/relative/xlnet.hpp>
#include <posenc/rotary/rope.hpp>

#include "support/attention_reference.hpp"

using namespace posenc;
using posenc::test::dense3;

namespace {

// Compares scores and the attention output they give (values v) with the float64 reference.
void check_attention(const dense3<float>& logits, const dense3<double>& ref, double tol) {
  CHECK(test::max_abs_diff(logits, ref) < tol);
  const dense3<float> v = test::random3(logits.n2, logits.n0, 5, 99);
  CHECK(test::max_abs_diff(test::attend(test::softmax(test::widen(logits)), v),
                           test::attend(test::softmax(ref), v)) < tol);
}

}  // namespace

TEST_CASE("attention_logits: rope scores depend on the rotated q . k (half layout, GQA)", "[attention]") {
  const std::int64_t d = 8, q_len = 5, k_len = 7, hq = 4, hk = 2, offset = 30;
  auto r = rope::make({.head_dim = d, .theta = 10000.0});
  REQUIRE(r);
  const dense3<float> q = test::random3(q_len, hq, d, 1), k = test::random3(k_len, hk, d, 2);
  dense3<float> logits(hq, q_len, k_len);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  REQUIRE(attention_logits(*r, q.cview(), k.cview(), offset, scale, logits.view()));
  // Float64: rotate pair (t, t + d/2) by p * theta^(-2t/d), then the dot product.
  auto rotated = [&](const float* x, std::int64_t p, std::vector<double>& out) {
    out.assign(static_cast<std::size_t>(d), 0.0);
    for (std::int64_t t = 0; t < d / 2; ++t) {
      const long double a = static_cast<long double>(p) * std::pow(10000.0L, -2.0L * t / d);
      const double c = static_cast<double>(std::cos(a)), s = static_cast<double>(std::sin(a));
      out[static_cast<std::size_t>(t)] = x[t] * c - x[t + d / 2] * s;
      out[static_cast<std::size_t>(t + d / 2)] = x[t + d / 2] * c + x[t] * s;
    }
  };
  dense3<double> ref(hq, q_len, k_len);
  std::vector<double> qr, kr;
  for (std::int64_t h = 0; h < hq; ++h) {
    for (std::int64_t i = 0; i < q_len; ++i) {
      rotated(&q(i, h, 0), offset + i, qr);
      for (std::int64_t j = 0; j < k_len; ++j) {
        rotated(&k(j, h / 2, 0), j, kr);
        double s = 0.0;
        for (std::int64_t c = 0; c < d; ++c) s += qr[static_cast<std::size_t>(c)] * kr[static_cast<std::size_t>(c)];
        ref(h, i, j) = s * scale;
      }
    }
  }
  check_attention(logits, ref, 1e-5);
}

TEST_CASE("attention_logits: ALiBi adds slope * (j - i) after scaling q . k", "[attention]") {
  const std::int64_t heads = 6, d = 4, q_len = 4, k_len = 9, offset = 5;
  auto a = alibi::make({.num_heads = heads});
  REQUIRE(a);
  const dense3<float> q = test::random3(q_len, heads, d, 3), k = test::random3(k_len, heads, d, 4);
  dense3<float> logits(heads, q_len, k_len);
  const double scale = 0.5;
  REQUIRE(attention_logits(*a, q.cview(), k.cview(), offset, scale, logits.view()));
  dense3<double> ref(heads, q_len, k_len);
  for (std::int64_t h = 0; h < heads; ++h) {
    // Press et al.: for 6 heads, the 4-head slopes 2^(-8(h+1)/4), then 8-head odd ones.
    const auto hd = static_cast<double>(h);
    const double m = h < 4 ? std::exp2(-2.0 * (hd + 1)) : std::exp2(-(2.0 * (hd - 4) + 1));
    for (std::int64_t i = 0; i < q_len; ++i) {
      for (std::int64_t j = 0; j < k_len; ++j) {
        ref(h, i, j) = scale * test::dot(&q(i, h, 0), &k(j, h, 0), d) +
                       m * static_cast<double>(j - (offset + i));
      }
    }
  }
  check_attention(logits, ref, 1e-5);
}

TEST_CASE("attention_logits: T5 adds W[bucket(j - i), h] with no scaling", "[attention]") {
  const std::int64_t heads = 2, d = 4, q_len = 6, k_len = 40, offset = 3;
  const std::int64_t nb = 8, max_distance = 20;
  const std::vector<float> w = test::random_vector(nb * heads, 5);
  auto t = t5::make({.num_buckets = nb, .max_distance = max_distance, .bidirectional = true,
                     .num_heads = heads},
                    matrix_view(w.data(), nb, heads));
  REQUIRE(t);
  const dense3<float> q = test::random3(q_len, heads, d, 6), k = test::random3(k_len, heads, d, 7);
  dense3<float> logits(heads, q_len, k_len);
  REQUIRE(attention_logits(*t, q.cview(), k.cview(), offset, 1.0, logits.view()));
  // HF _relative_position_bucket, restated: rel = j - i; half for sign; exact below half/2.
  auto bucket = [&](std::int64_t rel) {
    const std::int64_t half = nb / 2, exact = half / 2;
    const std::int64_t base = rel > 0 ? half : 0;
    const std::int64_t n = rel < 0 ? -rel : rel;
    if (n < exact) return base + n;
    const auto large = exact + static_cast<std::int64_t>(std::log(static_cast<double>(n) / exact) /
                                                         std::log(static_cast<double>(max_distance) / exact) *
                                                         static_cast<double>(half - exact));
    return base + std::min(large, half - 1);
  };
  dense3<double> ref(heads, q_len, k_len);
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t i = 0; i < q_len; ++i) {
      for (std::int64_t j = 0; j < k_len; ++j) {
        ref(h, i, j) = test::dot(&q(i, h, 0), &k(j, h, 0), d) +
                       w[static_cast<std::size_t>(bucket(j - (offset + i)) * heads + h)];
      }
    }
  }
  check_attention(logits, ref, 1e-5);
}

TEST_CASE("attention_logits: shape errors name the shapes and leave logits untouched", "[attention]") {
  auto a = alibi::make({.num_heads = 2});
  REQUIRE(a);
  const dense3<float> q = test::random3(3, 2, 4, 1), k = test::random3(5, 2, 4, 2);
  const dense3<float> k3 = test::random3(5, 3, 4, 2), kd = test::random3(5, 2, 6, 2);
  dense3<float> logits(2, 3, 5), wrong(2, 3, 4);
  logits.v.assign(logits.v.size(), 8.0f);
  CHECK_THAT(attention_logits(*a, q.cview(), k3.cview(), 0, 1.0, logits.view()).message(),
             Catch::Contains("2 query heads are not a multiple of 3"));
  CHECK_THAT(attention_logits(*a, q.cview(), kd.cview(), 0, 1.0, logits.view()).message(),
             Catch::Contains("head_dim 4 but k has 6"));
  CHECK_THAT(attention_logits(*a, q.cview(), k.cview(), 0, 1.0, wrong.view()).message(),
             Catch::Contains("[2, 3, 4]"));
  for (float x : logits.v) CHECK(x == 8.0f);
}

TEST_CASE("attention_logits: encoder errors leave logits untouched", "[attention]") {
  const std::int64_t q_len = 3, k_len = 6;
  const std::vector<float> w = test::random_vector(64, 8);
  dense3<float> logits;
  // Runs the failing call on logits [heads, Q, K] filled with 8 and checks every entry after.
  auto fails = [&](auto call, std::int64_t heads, const char* text) {
    logits = dense3<float>(heads, q_len, k_len);
    logits.v.assign(logits.v.size(), 8.0f);
    const status st = call(logits.view());
    CHECK_THAT(st.message(), Catch::Contains(text));
    CHECK(std::all_of(logits.v.begin(), logits.v.end(), [](float x) { return x == 8.0f; }));
  };

  // Shaw made for head_dim 4, given q and k of head_dim 6.
  auto s = shaw::make({.max_relative_position = 2, .head_dim = 4}, matrix_view(w.data(), 5, 4),
                      matrix_view(w.data(), 5, 4));
  REQUIRE(s);
  const dense3<float> q6 = test::random3(q_len, 2, 6, 1), k6 = test::random3(k_len, 2, 6, 2);
  fails([&](view3<float> l) { return attention_logits(*s, q6.cview(), k6.cview(), 0, 1.0, l); }, 2,
        "head_dim 6");

  // XLNet covering distances [-2, 2]: key 5 of query 0 is at distance -5.
  const xlnet_config xc{.d_model = 4, .heads = 2, .head_dim = 4, .max_distance = 2};
  auto x = xlnet::make(xc, {matrix_view(w.data(), 2, 4), matrix_view(w.data(), 2, 4),
                            matrix_view(w.data(), 4, 8)});
  REQUIRE(x);
  const dense3<float> q = test::random3(q_len, 2, 4, 3), k = test::random3(k_len, 2, 4, 4);
  fails([&](view3<float> l) { return attention_logits(*x, q.cview(), k.cview(), 0, 1.0, l); }, 2,
        "distance -5");

  // DeBERTa with 2 key heads, given one key head (GQA, which attention_logits allows).
  const deberta_config dc{.max_relative_positions = 4, .heads = 2, .head_dim = 4};
  auto d = deberta::make(dc, {matrix_view(w.data(), 8, 3), matrix_view(w.data(), 8, 3), {},
                              matrix_view(w.data(), 8, 3), {}});
  REQUIRE(d);
  const dense3<float> k1 = test::random3(k_len, 1, 4, 5);
  fails([&](view3<float> l) { return attention_logits(*d, q.cview(), k1.cview(), 0, 1.0, l); }, 2,
        "k has [heads, head_dim] [1, 4]");

  // ALiBi with 2 heads, given 4.
  auto a = alibi::make({.num_heads = 2});
  REQUIRE(a);
  const dense3<float> q4 = test::random3(q_len, 4, 4, 6), k4 = test::random3(k_len, 4, 4, 7);
  fails([&](view3<float> l) { return attention_logits(*a, q4.cview(), k4.cview(), 0, 1.0, l); }, 4,
        "expected [heads, Q, K] = [2, 3, 6]");

  // RoPE: query positions q_offset + i would overflow int64.
  auto r = rope::make({.head_dim = 4, .theta = 10000.0});
  REQUIRE(r);
  const std::int64_t far = std::numeric_limits<std::int64_t>::max() - 1;
  fails([&](view3<float> l) { return attention_logits(*r, q.cview(), k.cview(), far, 1.0, l); }, 2,
        "query offset must be in [-2^51, 2^51], got 9223372036854775806");
}

TEST_CASE("max_abs_diff fails on NaN and on a shape mismatch", "[attention]") {
  dense3<float> a(1, 2, 3);
  dense3<double> b(1, 2, 3);
  CHECK(test::max_abs_diff(a, b) == 0.0);
  b(0, 1, 2) = 0.25;
  CHECK(test::max_abs_diff(a, b) == 0.25);
  a(0, 0, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(test::max_abs_diff(a, b) < 1e300);
  CHECK_FALSE(test::max_abs_diff(dense3<float>(1, 3, 2), b) < 1e300);
}
