// XLNet / Transformer-XL relative attention against float64 formulas and the rel_shift
// formulation, written here as the references do it (spec/encodings.md §5).
#include <catch2/catch.hpp>
#include <posenc/attention.hpp>
#include <posenc/relative/xlnet.hpp>

#include "../support/attention_reference.hpp"

using namespace posenc;
using posenc::test::dense3;

namespace {

// R_r in long double: sines of r / 10000^(2t/d), then cosines.
std::vector<double> ref_sinusoid(long double r, std::int64_t d) {
  std::vector<double> row(static_cast<std::size_t>(d));
  for (std::int64_t t = 0; t < d / 2; ++t) {
    const long double w = 1.0L / std::pow(10000.0L, static_cast<long double>(2 * t) / d);
    row[static_cast<std::size_t>(t)] = static_cast<double>(std::sin(r * w));
    row[static_cast<std::size_t>(t + d / 2)] = static_cast<double>(std::cos(r * w));
  }
  return row;
}

struct layer {
  xlnet_config cfg;
  std::vector<float> u, v, w;
  explicit layer(xlnet_config c) : cfg(c) {
    u = test::random_vector(cfg.heads * cfg.head_dim, 41);
    v = test::random_vector(cfg.heads * cfg.head_dim, 42);
    w = test::random_vector(cfg.d_model * cfg.heads * cfg.head_dim, 43);
  }
  xlnet_weights weights() const {
    return {matrix_view(u.data(), cfg.heads, cfg.head_dim),
            matrix_view(v.data(), cfg.heads, cfg.head_dim),
            matrix_view(w.data(), cfg.d_model, cfg.heads * cfg.head_dim)};
  }
  // (q + v_h) . W_R R at head h, in double, for a table row R.
  double bd(const std::vector<double>& r, std::int64_t h, const float* q) const {
    double s = 0.0;
    for (std::int64_t c = 0; c < cfg.head_dim; ++c) {
      const std::int64_t o = h * cfg.head_dim + c;
      double kr = 0.0;
      for (std::int64_t t = 0; t < cfg.d_model; ++t) {
        kr += r[static_cast<std::size_t>(t)] * w[static_cast<std::size_t>(t * cfg.heads * cfg.head_dim + o)];
      }
      s += (static_cast<double>(q[c]) + v[static_cast<std::size_t>(o)]) * kr;
    }
    return s;
  }
  double uk(std::int64_t h, const float* k) const {
    return test::dot(u.data() + h * cfg.head_dim, k, cfg.head_dim);
  }
};

}  // namespace

static_assert(ScoreEncoder<xlnet>);

TEST_CASE("xlnet table: HF order and layout, clamped symmetrically", "[xlnet]") {
  for (auto type : {xlnet_attn_type::bi, xlnet_attn_type::uni}) {
    for (std::int64_t clamp : {-1, 3}) {
      const xlnet_config cfg{.d_model = 12, .attn_type = type, .clamp_len = clamp};
      // bi rows run from distance 7 down to -5: both ends pass the clamp of 3.
      const std::int64_t q_len = 6, k_len = 7;
      const std::int64_t rows = type == xlnet_attn_type::bi ? k_len + q_len : k_len + 1;
      REQUIRE(xlnet_table_rows(cfg, q_len, k_len) == rows);
      std::vector<float> out(static_cast<std::size_t>(rows * 12));
      REQUIRE(xlnet_relative_table(cfg, q_len, k_len, matrix_view(out.data(), rows, 12)));
      for (std::int64_t c = 0; c < rows; ++c) {
        std::int64_t pos = k_len - c;  // arange(klen, -qlen, -1) or arange(klen, -1, -1)
        if (clamp > 0) pos = std::max(-clamp, std::min(clamp, pos));
        const auto want = ref_sinusoid(static_cast<long double>(pos), 12);
        for (std::int64_t t = 0; t < 12; ++t) {
          REQUIRE(out[static_cast<std::size_t>(c * 12 + t)] ==
                  Approx(want[static_cast<std::size_t>(t)]).margin(1e-7));
        }
      }
    }
  }
  // Large distances stay exact (double phases): 1e6 at the highest frequency.
  const xlnet_config big{.d_model = 4};
  std::vector<float> row(4 * 2);
  REQUIRE(xlnet_relative_table(big, 1, 1000000, matrix_view(row.data(), 2, 4)) .ok() == false);
  std::vector<float> tab(static_cast<std::size_t>(1000001 + 1) * 4);
  REQUIRE(xlnet_relative_table({.d_model = 4, .attn_type = xlnet_attn_type::uni}, 1, 1000000,
                               matrix_view(tab.data(), 1000001, 4)));
  CHECK(tab[0] == Approx(std::sin(1e6)).margin(1e-7));
  CHECK(tab[2] == Approx(std::cos(1e6)).margin(1e-7));
}

TEST_CASE("xlnet clamps: XLNet symmetric, Transformer-XL upper only", "[xlnet]") {
  const xlnet_config sym{.d_model = 2, .clamp_len = 5};
  xlnet_config up = sym;
  up.clamp = xlnet_clamp::upper;
  CHECK(xlnet_clamped_distance(sym, 9) == 5);
  CHECK(xlnet_clamped_distance(sym, -9) == -5);
  CHECK(xlnet_clamped_distance(up, 9) == 5);
  CHECK(xlnet_clamped_distance(up, -9) == -9);
  CHECK(xlnet_clamped_distance({.d_model = 2}, -9) == -9);
}

TEST_CASE("xlnet direct terms equal XLNet's rel_shift formulation", "[xlnet]") {
  for (auto type : {xlnet_attn_type::bi, xlnet_attn_type::uni}) {
    const xlnet_config cfg{.d_model = 16, .attn_type = type, .clamp_len = 6, .heads = 2, .head_dim = 4};
    const layer l(cfg);
    auto made = xlnet::make(cfg, l.weights());
    REQUIRE(made);
    // Distances mlen + i - j run from 11 down to -8: both ends pass the clamp of 6.
    const std::int64_t q_len = 9, k_len = 12, mlen = k_len - q_len;
    const dense3<float> q = test::random3(q_len, 2, 4, 51), k = test::random3(k_len, 2, 4, 52);
    dense3<float> logits(2, q_len, k_len);
    REQUIRE(made->add_scores(q.cview(), k.cview(), mlen, logits.view()));
    // HF: pos_seq over rlen rows, bd~[i, c] = (q_i + v) . k_r[c], then rel_shift_bnij.
    const std::int64_t rlen = xlnet_table_rows(cfg, q_len, k_len);
    for (std::int64_t h = 0; h < 2; ++h) {
      std::vector<double> bd_tilde(static_cast<std::size_t>(q_len * rlen));
      for (std::int64_t i = 0; i < q_len; ++i) {
        for (std::int64_t c = 0; c < rlen; ++c) {
          const std::int64_t pos = std::max<std::int64_t>(-6, std::min<std::int64_t>(6, k_len - c));
          bd_tilde[static_cast<std::size_t>(i * rlen + c)] =
              l.bd(ref_sinusoid(static_cast<long double>(pos), 16), h, &q(i, h, 0));
        }
      }
      // reshape [rlen, qlen] -> drop the first row -> reshape [qlen, rlen - 1] -> first klen.
      for (std::int64_t i = 0; i < q_len; ++i) {
        for (std::int64_t j = 0; j < k_len; ++j) {
          if (type == xlnet_attn_type::uni && j > mlen + i) continue;  // wrapped garbage
          const double bd = bd_tilde[static_cast<std::size_t>(q_len + i * (rlen - 1) + j)];
          REQUIRE(logits(h, i, j) == Approx(bd + l.uk(h, &k(j, h, 0))).margin(2e-5));
        }
      }
    }
  }
}

TEST_CASE("transformer-xl direct terms equal its zero-pad rel_shift on the causal region", "[xlnet]") {
  // max_distance 0: the upper clamp's table reaches down to -clamp_len, enough for this block
  // (its most negative distance, a masked future key, is mlen - (k_len - 1) = -3).
  const std::int64_t max_distance = GENERATE(0, 16);
  const xlnet_config cfg{.d_model = 8, .clamp_len = 4, .clamp = xlnet_clamp::upper, .heads = 1,
                         .head_dim = 4, .max_distance = max_distance};
  const layer l(cfg);
  auto made = xlnet::make(cfg, l.weights());
  REQUIRE(made);
  const std::int64_t q_len = 4, k_len = 9, mlen = k_len - q_len;
  const dense3<float> q = test::random3(q_len, 1, 4, 61), k = test::random3(k_len, 1, 4, 62);
  dense3<float> logits(1, q_len, k_len);
  REQUIRE(made->add_scores(q.cview(), k.cview(), mlen, logits.view()));
  // pos_seq = [klen - 1, ..., 0] clamped from above; BD~ [qlen, klen]; pad a zero column in
  // front, view as [klen + 1, qlen], drop the first row, view back as [qlen, klen].
  std::vector<double> padded(static_cast<std::size_t>(q_len * (k_len + 1)));
  for (std::int64_t i = 0; i < q_len; ++i) {
    for (std::int64_t c = 0; c < k_len; ++c) {
      const std::int64_t pos = std::min<std::int64_t>(4, k_len - 1 - c);
      padded[static_cast<std::size_t>(i * (k_len + 1) + c + 1)] =
          l.bd(ref_sinusoid(static_cast<long double>(pos), 8), 0, &q(i, 0, 0));
    }
  }
  for (std::int64_t i = 0; i < q_len; ++i) {
    for (std::int64_t j = 0; j <= mlen + i; ++j) {
      const double bd = padded[static_cast<std::size_t>(q_len + i * k_len + j)];
      REQUIRE(logits(0, i, j) == Approx(bd + l.uk(0, &k(j, 0, 0))).margin(2e-5));
    }
  }
}

TEST_CASE("xlnet attention matches the float64 reference end to end", "[xlnet]") {
  const xlnet_config cfg{.d_model = 16, .heads = 2, .head_dim = 8, .max_distance = 512};
  const layer l(cfg);
  auto made = xlnet::make(cfg, l.weights());
  REQUIRE(made);
  // More keys than one stack chunk (detail::gather_chunk_rows = 256).
  const std::int64_t q_len = 6, k_len = 300, mlen = 4;
  const dense3<float> q = test::random3(q_len, 2, 8, 71), k = test::random3(k_len, 2, 8, 72);
  dense3<float> logits(2, q_len, k_len);
  REQUIRE(attention_logits(*made, q.cview(), k.cview(), mlen, made->scale(), logits.view()));
  dense3<double> ref(2, q_len, k_len);
  for (std::int64_t h = 0; h < 2; ++h) {
    for (std::int64_t i = 0; i < q_len; ++i) {
      for (std::int64_t j = 0; j < k_len; ++j) {
        const double ac = test::dot(&q(i, h, 0), &k(j, h, 0), 8) + l.uk(h, &k(j, h, 0));
        const double bd = l.bd(ref_sinusoid(static_cast<long double>(mlen + i - j), 16), h, &q(i, h, 0));
        ref(h, i, j) = (ac + bd) / std::sqrt(8.0);
      }
    }
  }
  CHECK(test::max_abs_diff(logits, ref) < 2e-5);
  const dense3<float> v = test::random3(k_len, 2, 3, 73);
  CHECK(test::max_abs_diff(test::attend(test::softmax(test::widen(logits)), v),
                           test::attend(test::softmax(ref), v)) < 1e-5);
}

TEST_CASE("xlnet errors name the value and leave outputs untouched", "[xlnet]") {
  std::vector<float> out(6 * 3, 1.0f);
  auto st = xlnet_relative_table({.d_model = 3}, 2, 4, matrix_view(out.data(), 6, 3));
  CHECK(st.code() == errc::invalid_argument);
  CHECK_THAT(st.message(), Catch::Contains("got 3"));
  st = xlnet_relative_table({.d_model = 4}, 2, 4, matrix_view(out.data(), 5, 4));
  CHECK_THAT(st.message(), Catch::Contains("[5, 4]"));
  st = xlnet_relative_table({.d_model = 4}, -2, 4, matrix_view(out.data(), 2, 4));
  CHECK_THAT(st.message(), Catch::Contains("-2"));
  for (float x : out) CHECK(x == 1.0f);

  const xlnet_config cfg{.d_model = 8, .heads = 2, .head_dim = 4, .max_distance = 8};
  const layer l(cfg);
  xlnet_config c = cfg;
  c.max_distance = 0;
  CHECK_THAT(xlnet::make(c, l.weights()).error().message(), Catch::Contains("got 0"));
  c.max_distance = std::numeric_limits<std::int64_t>::max();
  CHECK_THAT(xlnet::make(c, l.weights()).error().message(),
             Catch::Contains("max_distance must be in [0, 2^30], got 9223372036854775807"));
  // 2^30 floats hold 2^30 / (d_model 8 + width 8 + heads 2) = 59652323 distances, 2M + 1 for
  // max_distance M = 29826161: one more is the first that fails.
  c.max_distance = 29826162;
  CHECK(xlnet::make(c, l.weights()).error().message() ==
        "xlnet: 59652325 distances of 18 floats exceed the 2^30-float table limit (lower "
        "max_distance or clamp_len)");
  c = cfg;
  c.clamp_len = std::int64_t{1} << 52;
  CHECK_THAT(xlnet::make(c, l.weights()).error().message(),
             Catch::Contains("9007199254740993 distances"));
  xlnet_weights w = l.weights();
  w.r_weight.rows = 7;
  CHECK_THAT(xlnet::make(cfg, w).error().message(), Catch::Contains("[7, 8]"));
  w = l.weights();
  w.r_r_bias.cols = 3;
  CHECK_THAT(xlnet::make(cfg, w).error().message(), Catch::Contains("r_r_bias is [2, 3]"));

  auto x = xlnet::make(cfg, l.weights());
  REQUIRE(x);
  const dense3<float> q = test::random3(3, 2, 4, 1), k = test::random3(12, 2, 4, 2);
  dense3<float> logits(2, 3, 12);
  logits.v.assign(logits.v.size(), 4.0f);
  st = x->add_scores(q.cview(), k.cview(), 0, logits.view());  // distance -11 < -8
  CHECK(st.code() == errc::out_of_range);
  CHECK_THAT(st.message(), Catch::Contains("distance -11"));
  st = x->add_scores(q.cview(), k.cview(), 10, logits.view());  // distance 12 > 8
  CHECK_THAT(st.message(), Catch::Contains("distance 12"));
  const dense3<float> k1 = test::random3(12, 1, 4, 2);
  st = x->add_scores(q.cview(), k1.cview(), 0, logits.view());
  CHECK_THAT(st.message(), Catch::Contains("[1, 4]"));
  for (float v : logits.v) CHECK(v == 4.0f);
}
