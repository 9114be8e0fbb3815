// DeBERTa disentangled attention against float64 formulas written here, the spec's [computed]
// bucket table (spec/encodings.md §6c) and invariants.
#include <catch2/catch.hpp>
#include <posenc/attention.hpp>
#include <posenc/relative/deberta.hpp>

#include "../support/attention_reference.hpp"

using namespace posenc;
using posenc::test::dense3;

namespace {

// make_log_bucket_position restated in long double.
std::int64_t ref_bucket(std::int64_t r, std::int64_t b, std::int64_t k, bool official) {
  const long double mid = static_cast<long double>(b / 2);
  if (official) r = std::max(-(k - 1), std::min(k - 1, r));
  const long double a = static_cast<long double>(r < 0 ? -r : r);
  if (a <= mid) return r;
  const long double v =
      mid + std::ceil(std::log(a / mid) / std::log(static_cast<long double>(k - 1) / mid) * (mid - 1));
  return static_cast<std::int64_t>(r < 0 ? -v : v);
}

struct layer {
  deberta_config cfg;
  std::int64_t hidden = 12;
  std::vector<float> p, wk, bk, wq, bq;

  explicit layer(deberta_config c) : cfg(c) {
    const std::int64_t rows = deberta_table_rows(cfg), out = cfg.heads * cfg.head_dim;
    p = test::random_vector(rows * hidden, 21);
    wk = test::random_vector(out * hidden, 22);
    bk = test::random_vector(out, 23);
    wq = test::random_vector(out * hidden, 24);
    bq = test::random_vector(out, 25);
  }
  deberta_weights weights() const {
    const std::int64_t rows = deberta_table_rows(cfg), out = cfg.heads * cfg.head_dim;
    return {matrix_view(p.data(), rows, hidden), matrix_view(wk.data(), out, hidden), bk,
            matrix_view(wq.data(), out, hidden), bq};
  }
  // Row t of P W^T + b in double, at head h.
  double proj_dot(const std::vector<float>& w, const std::vector<float>& b, std::int64_t row,
                  std::int64_t h, const float* x) const {
    double s = 0.0;
    for (std::int64_t c = 0; c < cfg.head_dim; ++c) {
      const std::int64_t o = h * cfg.head_dim + c;
      double e = b[static_cast<std::size_t>(o)];
      for (std::int64_t t = 0; t < hidden; ++t) {
        e += static_cast<double>(p[static_cast<std::size_t>(row * hidden + t)]) *
             w[static_cast<std::size_t>(o * hidden + t)];
      }
      s += e * x[c];
    }
    return s;
  }
};

// The spec's index: clamp(bucket(r) + s, 0, 2s - 1), plus v1's window start k - s.
std::int64_t ref_row(const deberta_config& c, std::int64_t r, std::int64_t lq, std::int64_t lk) {
  const bool v1 = c.version == deberta_version::v1;
  const std::int64_t s = v1 ? std::min(std::max(lq, lk), c.max_relative_positions)
                            : (c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions);
  if (c.position_buckets > 0) {
    r = ref_bucket(r, c.position_buckets, c.max_relative_positions,
                   c.reference == deberta_reference::official);
  }
  return (v1 ? c.max_relative_positions - s : 0) + std::max<std::int64_t>(0, std::min(2 * s - 1, r + s));
}

}  // namespace

static_assert(ScoreEncoder<deberta>);

TEST_CASE("deberta log buckets reproduce the spec's [computed] table", "[deberta]") {
  const std::int64_t r[] = {0, 1, 127, 128, 129, 130, 150, 200, 300, 400, 511, 512, 600, 1000};
  const std::int64_t want[] = {0, 1, 127, 128, 129, 130, 143, 169, 207, 233, 255, 256, 270, 317};
  for (std::size_t t = 0; t < std::size(r); ++t) {
    CHECK(deberta_log_bucket(r[t], 256, 512) == want[t]);
    CHECK(deberta_log_bucket(-r[t], 256, 512) == -want[t]);
  }
  // Far distances: HF keeps growing (5120 -> 467), official saturates at 2 mid - 1 = 255.
  CHECK(deberta_log_bucket(5120, 256, 512) == 467);
  CHECK(deberta_log_bucket(5120, 256, 512, deberta_reference::official) == 255);
  CHECK(deberta_log_bucket(-512, 256, 512, deberta_reference::official) == -255);
}

TEST_CASE("deberta buckets: exact inside +-mid, monotone, equal to a long double restatement",
          "[deberta]") {
  const std::pair<std::int64_t, std::int64_t> bk[] = {{256, 512}, {128, 512}, {256, 1024},
                                                      {64, 256},  {16, 64},   {32, 128}};
  for (auto [b, k] : bk) {
    std::int64_t prev = deberta_log_bucket(-3 * k, b, k);
    for (std::int64_t r = -3 * k; r <= 3 * k; ++r) {
      const std::int64_t got = deberta_log_bucket(r, b, k);
      if (r >= -b / 2 && r <= b / 2) REQUIRE(got == r);
      REQUIRE(got >= prev);
      REQUIRE(got == ref_bucket(r, b, k, false));
      REQUIRE(deberta_log_bucket(r, b, k, deberta_reference::official) == ref_bucket(r, b, k, true));
      if (r > -k && r < k) {
        REQUIRE(deberta_log_bucket(r, b, k, deberta_reference::official) == got);
      }
      prev = got;
    }
  }
}

TEST_CASE("deberta relative positions: query - key, buckets only with position_buckets", "[deberta]") {
  deberta_config raw{.version = deberta_version::v1, .max_relative_positions = 512};
  std::vector<std::int64_t> out(3 * 5, -99);
  REQUIRE(deberta_relative_positions(raw, 3, 5, 150, matrix_view(out.data(), 3, 5)));
  for (std::int64_t i = 0; i < 3; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) CHECK(out[static_cast<std::size_t>(i * 5 + j)] == 150 + i - j);
  }
  deberta_config v2{.max_relative_positions = 64, .position_buckets = 16};
  std::vector<std::int64_t> b(4 * 64);
  REQUIRE(deberta_relative_positions(v2, 4, 64, 40, matrix_view(b.data(), 4, 64)));
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t j = 0; j < 64; ++j) {
      CHECK(b[static_cast<std::size_t>(i * 64 + j)] == ref_bucket(40 + i - j, 16, 64, false));
    }
  }
}

TEST_CASE("deberta scale factor counts the listed terms as each reference does", "[deberta]") {
  deberta_config c{.p2p = true};
  CHECK(deberta_scale_factor(c) == 3);  // HF v2 ignores p2p
  c.reference = deberta_reference::official;
  CHECK(deberta_scale_factor(c) == 4);
  c = {.version = deberta_version::v1, .p2p = true};
  CHECK(deberta_scale_factor(c) == 4);  // v1 counts every listed type
  c = {.version = deberta_version::v1, .c2p = true, .p2c = false};
  CHECK(deberta_scale_factor(c) == 2);
}

TEST_CASE("deberta c2p and p2c match the float64 formula (p2c uses c2p's index)", "[deberta]") {
  struct variant {
    deberta_config cfg;
    std::int64_t q_len, k_len, offset;
  };
  const variant variants[] = {
      {{.max_relative_positions = 64, .position_buckets = 8, .heads = 2, .head_dim = 4}, 20, 20, 0},
      {{.max_relative_positions = 64, .position_buckets = 8, .heads = 2, .head_dim = 4}, 5, 90, 70},
      {{.max_relative_positions = 32, .position_buckets = 8, .heads = 2, .head_dim = 4,
        .reference = deberta_reference::official}, 6, 80, 0},
      {{.max_relative_positions = 6, .heads = 2, .head_dim = 4}, 9, 9, 0},
      {{.version = deberta_version::v1, .max_relative_positions = 8, .heads = 3, .head_dim = 4}, 5, 5, 0},
      {{.version = deberta_version::v1, .max_relative_positions = 8, .heads = 3, .head_dim = 4}, 12, 12, 0},
      {{.version = deberta_version::v1, .max_relative_positions = 8, .p2c = false, .heads = 1,
        .head_dim = 4}, 4, 20, 3},
      // More queries than one p2c tile (detail::gather_chunk_rows = 256).
      {{.max_relative_positions = 64, .position_buckets = 8, .heads = 1, .head_dim = 4}, 300, 40, 0},
  };
  for (const auto& v : variants) {
    const layer l(v.cfg);
    auto made = deberta::make(v.cfg, l.weights());
    REQUIRE(made);
    const deberta& d = *made;
    const dense3<float> q = test::random3(v.q_len, v.cfg.heads, v.cfg.head_dim, 31);
    const dense3<float> k = test::random3(v.k_len, v.cfg.heads, v.cfg.head_dim, 32);
    dense3<float> logits(v.cfg.heads, v.q_len, v.k_len);
    REQUIRE(attention_logits(d, q.cview(), k.cview(), v.offset, d.scale(), logits.view()));
    dense3<double> ref(v.cfg.heads, v.q_len, v.k_len);
    const double sf = 1 + v.cfg.c2p + v.cfg.p2c;
    for (std::int64_t h = 0; h < v.cfg.heads; ++h) {
      for (std::int64_t i = 0; i < v.q_len; ++i) {
        for (std::int64_t j = 0; j < v.k_len; ++j) {
          const std::int64_t row = ref_row(v.cfg, v.offset + i - j, v.offset + v.q_len, v.k_len);
          double a = test::dot(&q(i, h, 0), &k(j, h, 0), v.cfg.head_dim);
          if (v.cfg.c2p) a += l.proj_dot(l.wk, l.bk, row, h, &q(i, h, 0));
          if (v.cfg.p2c) a += l.proj_dot(l.wq, l.bq, row, h, &k(j, h, 0));
          ref(h, i, j) = a / std::sqrt(static_cast<double>(v.cfg.head_dim) * sf);
        }
      }
    }
    CHECK(test::max_abs_diff(logits, ref) < 2e-5);
    const dense3<float> val = test::random3(v.k_len, v.cfg.heads, 3, 33);
    CHECK(test::max_abs_diff(test::attend(test::softmax(test::widen(logits)), val),
                             test::attend(test::softmax(ref), val)) < 1e-5);
  }
}

TEST_CASE("deberta v1 dynamic span equals the full table clipped to [-k, k - 1]", "[deberta]") {
  const deberta_config c{.version = deberta_version::v1, .max_relative_positions = 8, .heads = 1,
                         .head_dim = 2};
  const layer l(c);
  auto d = deberta::make(c, l.weights());
  REQUIRE(d);
  for (std::int64_t lq : {1, 3, 8, 20}) {
    for (std::int64_t lk : {1, 5, 8, 30}) {
      for (std::int64_t i = 0; i < lq; ++i) {
        for (std::int64_t j = 0; j < lk; ++j) {
          REQUIRE(d->table_row(i, j, lq, lk) == 8 + std::clamp<std::int64_t>(i - j, -8, 7));
        }
      }
    }
  }
  // A key at the query's own position reads row k (base k - s plus s) for every span, also
  // for lengths that give no span at all.
  for (std::int64_t len : {0, -4}) CHECK(d->table_row(5, 5, len, len) == 8);
  // HF vs official only differ for r <= -k: index 0 vs 1 (spec §6c).
  const deberta_config hf{.max_relative_positions = 512, .position_buckets = 256, .heads = 1,
                          .head_dim = 2};
  deberta_config off = hf;
  off.reference = deberta_reference::official;
  const layer lh(hf);
  auto dh = deberta::make(hf, lh.weights());
  auto dof = deberta::make(off, lh.weights());
  REQUIRE(dh);
  REQUIRE(dof);
  CHECK(dh->table_row(0, 512, 1, 1) == 0);
  CHECK(dof->table_row(0, 512, 1, 1) == 1);
  CHECK(dh->table_row(0, 5000, 1, 1) == 0);
  CHECK(dh->table_row(5000, 0, 1, 1) == 511);
  CHECK(dof->table_row(5000, 0, 1, 1) == 511);
  for (std::int64_t r = -511; r < 512; ++r) REQUIRE(dh->table_row(r, 0, 1, 1) == dof->table_row(r, 0, 1, 1));
}

TEST_CASE("deberta with k = 2^30 tabulates few buckets and still follows the formula", "[deberta]") {
  // A table of all 2k + 1 buckets would be 16 GiB; far distances fall back to the formula.
  const deberta_config c{.max_relative_positions = std::int64_t{1} << 30, .position_buckets = 256,
                         .heads = 1, .head_dim = 2};
  const layer l(c);
  auto d = deberta::make(c, l.weights());
  REQUIRE(d);
  for (std::int64_t r : {0, 100, 129, -5000, 65536, -65537, 1000000, -123456789}) {
    CHECK(d->table_row(r, 0, 1, 1) == ref_row(c, r, 1, 1));
  }
}

TEST_CASE("deberta errors name the value and leave outputs untouched", "[deberta]") {
  const deberta_config good{.max_relative_positions = 16, .position_buckets = 4, .heads = 2,
                            .head_dim = 4};
  const layer l(good);
  auto bad = [&](deberta_config c) { return deberta::make(c, l.weights()).error(); };
  deberta_config c = good;
  c.max_relative_positions = 0;
  CHECK_THAT(bad(c).message(), Catch::Contains("got 0"));
  c = good;
  c.position_buckets = 1;
  CHECK_THAT(bad(c).message(), Catch::Contains("position_buckets 1"));
  c = good;
  c.max_relative_positions = 3;
  CHECK_THAT(bad(c).message(), Catch::Contains("max_relative_positions 3"));
  c = good;
  c.version = deberta_version::v1;
  CHECK_THAT(bad(c).message(), Catch::Contains("position_buckets 4"));
  c = good;
  c.head_dim = 0;
  CHECK(bad(c).code() == errc::invalid_argument);

  deberta_weights w = l.weights();
  w.rel_embeddings.rows = 7;
  auto st = deberta::make(good, w).error();
  CHECK(st.code() == errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("7 rows"));
  w = l.weights();
  w.key_proj.cols = 11;
  w.key_proj.stride = 12;
  CHECK_THAT(deberta::make(good, w).error().message(), Catch::Contains("[8, 11]"));
  w = l.weights();
  w.query_bias = w.query_bias.first(3);
  CHECK_THAT(deberta::make(good, w).error().message(), Catch::Contains("3 entries"));

  auto d = deberta::make(good, l.weights());
  REQUIRE(d);
  const dense3<float> q = test::random3(3, 2, 4, 1), k = test::random3(5, 2, 4, 2);
  dense3<float> logits(2, 3, 6);
  logits.v.assign(logits.v.size(), 5.0f);
  st = d->add_scores(q.cview(), k.cview(), 0, logits.view());
  CHECK_THAT(st.message(), Catch::Contains("[2, 3, 6]"));
  const dense3<float> q3 = test::random3(3, 3, 4, 1);
  dense3<float> logits3(3, 3, 5);
  logits3.v.assign(logits3.v.size(), 5.0f);
  st = d->add_scores(q3.cview(), k.cview(), 0, logits3.view());
  CHECK_THAT(st.message(), Catch::Contains("[3, 4]"));
  for (float x : logits.v) CHECK(x == 5.0f);
  for (float x : logits3.v) CHECK(x == 5.0f);

  std::vector<std::int64_t> ids(6, 9);
  st = deberta_relative_positions(good, 2, 3, 0, matrix_view(ids.data(), 3, 2));
  CHECK(st.code() == errc::shape_mismatch);
  for (auto x : ids) CHECK(x == 9);
}
