// Shaw relative attention against float64 formulas written here (spec/encodings.md §3).
#include <catch2/catch.hpp>
#include <posenc/attention.hpp>
#include <posenc/relative/shaw.hpp>

#include "../support/attention_reference.hpp"

using namespace posenc;
using posenc::test::dense3;

namespace {

// tensor2tensor's clipped id, restated: clip(j - abs_q(i), -k, k) + k.
std::int64_t t2t_id(std::int64_t qpos, std::int64_t j, std::int64_t kmax) {
  std::int64_t d = j - qpos;
  if (d < -kmax) d = -kmax;
  if (d > kmax) d = kmax;
  return d + kmax;
}

struct fixture {
  std::int64_t kmax = 3, d = 8, heads = 2, q_len = 5, k_len = 9;
  std::vector<float> wk = test::random_vector((2 * kmax + 1) * d, 11);
  std::vector<float> wv = test::random_vector((2 * kmax + 1) * d, 12);
  dense3<float> q = test::random3(q_len, heads, d, 13);
  dense3<float> k = test::random3(k_len, heads, d, 14);
  dense3<float> v = test::random3(k_len, heads, d, 15);

  shaw make() const {
    auto s = shaw::make({.max_relative_position = kmax, .head_dim = d},
                        matrix_view(wk.data(), 2 * kmax + 1, d),
                        matrix_view(wv.data(), 2 * kmax + 1, d));
    REQUIRE(s);
    return *s;
  }
};

}  // namespace

static_assert(ScoreEncoder<shaw>);

TEST_CASE("shaw ids are clip(j - i, -k, k) + k, t2t's layout", "[shaw]") {
  std::vector<std::int64_t> ids(5 * 20, -1);
  REQUIRE(shaw_relative_ids({.max_relative_position = 4, .head_dim = 16}, 5, 20, 15,
                            matrix_view(ids.data(), 5, 20)));
  for (std::int64_t i = 0; i < 5; ++i) {
    for (std::int64_t j = 0; j < 20; ++j) {
      const std::int64_t id = ids[static_cast<std::size_t>(i * 20 + j)];
      CHECK(id == t2t_id(15 + i, j, 4));
      CHECK(id >= 0);
      CHECK(id <= 8);
    }
  }
  // Invariants: the diagonal (key == query) is id k; far keys saturate at the edges.
  CHECK(shaw_relative_id(100, 100, 4) == 4);
  CHECK(shaw_relative_id(100, 0, 4) == 0);
  CHECK(shaw_relative_id(0, 100, 4) == 8);
  CHECK(shaw_relative_id(10, 11, 4) == 5);  // key after query: j - i = +1
}

TEST_CASE("shaw a^K logits match the float64 formula and attention_logits", "[shaw]") {
  fixture f;
  const shaw s = f.make();
  const std::int64_t offset = GENERATE(0, 4, -3, 20);
  dense3<float> logits(f.heads, f.q_len, f.k_len);
  REQUIRE(attention_logits(s, f.q.cview(), f.k.cview(), offset, s.scale(), logits.view()));
  dense3<double> ref(f.heads, f.q_len, f.k_len);
  const double scale = 1.0 / std::sqrt(static_cast<double>(f.d));
  for (std::int64_t h = 0; h < f.heads; ++h) {
    for (std::int64_t i = 0; i < f.q_len; ++i) {
      for (std::int64_t j = 0; j < f.k_len; ++j) {
        const float* a = f.wk.data() + t2t_id(offset + i, j, f.kmax) * f.d;
        ref(h, i, j) = scale * (test::dot(&f.q(i, h, 0), &f.k(j, h, 0), f.d) +
                                test::dot(&f.q(i, h, 0), a, f.d));
      }
    }
  }
  CHECK(test::max_abs_diff(logits, ref) < 1e-5);

  // Through softmax, with the a^V term: z_i = sum_j alpha_ij (v_j + a^V_ij).
  const dense3<double> alpha_ref = test::softmax(ref);
  dense3<double> z_ref = test::attend(alpha_ref, f.v);
  for (std::int64_t h = 0; h < f.heads; ++h) {
    for (std::int64_t i = 0; i < f.q_len; ++i) {
      for (std::int64_t j = 0; j < f.k_len; ++j) {
        const float* a = f.wv.data() + t2t_id(offset + i, j, f.kmax) * f.d;
        for (std::int64_t c = 0; c < f.d; ++c) z_ref(i, h, c) += alpha_ref(h, i, j) * a[c];
      }
    }
  }
  const dense3<double> alpha = test::softmax(test::widen(logits));
  dense3<float> alpha_f(alpha.n0, alpha.n1, alpha.n2);
  for (std::size_t t = 0; t < alpha.v.size(); ++t) alpha_f.v[t] = static_cast<float>(alpha.v[t]);
  const dense3<double> zv = test::attend(alpha, f.v);
  dense3<float> z(f.q_len, f.heads, f.d);
  for (std::size_t t = 0; t < z.v.size(); ++t) z.v[t] = static_cast<float>(zv.v[t]);
  REQUIRE(s.add_value_terms(alpha_f.cview(), offset, z.view()));
  CHECK(test::max_abs_diff(z, z_ref) < 1e-5);
}

TEST_CASE("shaw owns its tables when asked", "[shaw]") {
  fixture f;
  row_major_matrix<float> wk = as_eigen(matrix_view<const float>(f.wk.data(), 7, 8));
  row_major_matrix<float> wv = as_eigen(matrix_view<const float>(f.wv.data(), 7, 8));
  auto owned = shaw::make({.max_relative_position = 3, .head_dim = 8}, wk, wv);
  REQUIRE(owned);
  const shaw copy = *owned;  // copies keep pointing at their own tables
  owned = shaw::make({.max_relative_position = 3, .head_dim = 8}, wk * 0.0f, wv * 0.0f);
  const shaw borrowed = f.make();
  dense3<float> a(2, 5, 9), b(2, 5, 9);
  REQUIRE(copy.add_scores(f.q.cview(), f.k.cview(), 0, a.view()));
  REQUIRE(borrowed.add_scores(f.q.cview(), f.k.cview(), 0, b.view()));
  CHECK(a.v == b.v);
}

TEST_CASE("shaw long rows use the chunked gather", "[shaw]") {
  // 2k + 1 = 601 rows exceed one stack chunk of products.
  const std::int64_t kmax = 300, d = 4, q_len = 3, k_len = 700;
  const auto wk = test::random_vector((2 * kmax + 1) * d, 1);
  auto s = shaw::make({kmax, d}, matrix_view(wk.data(), 2 * kmax + 1, d),
                      matrix_view(wk.data(), 2 * kmax + 1, d));
  REQUIRE(s);
  const dense3<float> q = test::random3(q_len, 1, d, 2), k = test::random3(k_len, 1, d, 3);
  dense3<float> logits(1, q_len, k_len);
  REQUIRE(s->add_scores(q.cview(), k.cview(), 350, logits.view()));
  dense3<double> ref(1, q_len, k_len);
  for (std::int64_t i = 0; i < q_len; ++i) {
    for (std::int64_t j = 0; j < k_len; ++j) {
      ref(0, i, j) = test::dot(&q(i, 0, 0), wk.data() + t2t_id(350 + i, j, kmax) * d, d);
    }
  }
  CHECK(test::max_abs_diff(logits, ref) < 1e-5);
}

TEST_CASE("shaw errors name the value and leave outputs untouched", "[shaw]") {
  fixture f;
  auto bad_k = shaw::make({.max_relative_position = 0, .head_dim = 8},
                          matrix_view(f.wk.data(), 7, 8), matrix_view(f.wv.data(), 7, 8));
  REQUIRE_FALSE(bad_k);
  CHECK(bad_k.error().code() == errc::invalid_argument);
  CHECK_THAT(bad_k.error().message(), Catch::Contains("got 0"));

  auto bad_d = shaw::make({.max_relative_position = 3, .head_dim = -2},
                          matrix_view(f.wk.data(), 7, 8), matrix_view(f.wv.data(), 7, 8));
  REQUIRE_FALSE(bad_d);
  CHECK_THAT(bad_d.error().message(), Catch::Contains("got -2"));

  auto bad_table = shaw::make({.max_relative_position = 3, .head_dim = 8},
                              matrix_view(f.wk.data(), 6, 8), matrix_view(f.wv.data(), 7, 8));
  REQUIRE_FALSE(bad_table);
  CHECK(bad_table.error().code() == errc::shape_mismatch);
  CHECK_THAT(bad_table.error().message(), Catch::Contains("[6, 8]"));

  const shaw s = f.make();
  dense3<float> logits(f.heads, f.q_len, f.k_len);
  for (auto& x : logits.v) x = 7.0f;
  dense3<float> wrong(f.heads, f.q_len + 1, f.k_len);
  auto st = s.add_scores(f.q.cview(), f.k.cview(), 0, wrong.view());
  CHECK(st.code() == errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("[2, 6, 9]"));
  const dense3<float> q_bad = test::random3(f.q_len, f.heads, 4, 1);
  st = s.add_scores(q_bad.cview(), f.k.cview(), 0, logits.view());
  CHECK_THAT(st.message(), Catch::Contains("head_dim 4"));
  st = s.add_scores(f.q.cview(), f.k.cview(), std::int64_t{1} << 60, logits.view());
  CHECK(st.code() == errc::out_of_range);
  for (float x : logits.v) CHECK(x == 7.0f);

  std::vector<std::int64_t> ids(4, 42);
  st = shaw_relative_ids({4, 16}, 2, 3, 0, matrix_view(ids.data(), 2, 2));
  CHECK(st.code() == errc::shape_mismatch);
  st = shaw_relative_ids({4, 16}, -1, 2, 0, matrix_view(ids.data(), 2, 2));
  CHECK_THAT(st.message(), Catch::Contains("-1"));
  for (auto id : ids) CHECK(id == 42);

  dense3<float> z(f.q_len, f.heads, f.d);
  dense3<float> alpha(f.heads, f.q_len, f.k_len + 1);
  z.v.assign(z.v.size(), 3.0f);
  st = s.add_value_terms(alpha.cview(), 0, z.view());
  CHECK(st.ok());  // any key count works for weights
  dense3<float> alpha_bad(f.heads + 1, f.q_len, f.k_len);
  z.v.assign(z.v.size(), 3.0f);
  st = s.add_value_terms(alpha_bad.cview(), 0, z.view());
  CHECK(st.code() == errc::shape_mismatch);
  for (float x : z.v) CHECK(x == 3.0f);
}
