// FoPE against independent expectations: the spec's [computed] (M, N) table, a float64 evaluation
// of the Fourier series and its application, RoPE (posenc::rope and a float64 rotation) when
// M = N with zero noise, the reference's (1 + i) padding versus identity, the initialiser's
// statistics, and error paths.
#include <posenc/rotary/fope.hpp>
#include <posenc/rotary/rope.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

using posenc::fope;
using posenc::fope_config;
using posenc::fope_padding;
using posenc::heads_view;

static_assert(posenc::RotaryEncoder<fope>);

namespace {

std::vector<float> random_x(std::int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(n));
  for (auto& e : x) e = u(gen);
  return x;
}

// FoPE in double from the formulas of spec/encodings.md §11: candidates, floor, series, pad, apply.
std::vector<double> fope64(const fope_config& cfg, const posenc::fope_coefficients& c,
                           const std::vector<float>& x, std::int64_t tokens, std::int64_t heads,
                           const std::vector<std::int64_t>& pos) {
  const std::int64_t d = cfg.head_dim, half = d / 2;
  const std::int64_t dim = cfg.fourier_dim > d ? cfg.fourier_dim : d;
  std::vector<double> omega;
  for (std::int64_t k = 0; k < dim / 2; ++k) {
    double w = std::pow(cfg.theta, -2.0 * static_cast<double>(k) / static_cast<double>(dim));
    if (cfg.max_sequence_length > 0 &&
        w < 2 * std::numbers::pi / static_cast<double>(cfg.max_sequence_length) * cfg.floor_freq_ratio)
      w = 0;
    if (w != 0 || !cfg.ignore_zero) omega.push_back(w);
  }
  const auto m = static_cast<std::int64_t>(omega.size());
  REQUIRE(m == c.inputs);
  const std::int64_t n = c.outputs;
  std::vector<double> y(x.begin(), x.end());
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t h = 0; h < heads; ++h) {
      const std::int64_t ch = c.heads == 1 ? 0 : h;
      std::vector<double> fc(static_cast<std::size_t>(half), 1.0);
      std::vector<double> fs(static_cast<std::size_t>(half),
                             cfg.padding == fope_padding::reference_one ? 1.0 : 0.0);
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0, cc = 0;
        for (std::int64_t i = 0; i < m; ++i) {
          const double a = omega[i] * static_cast<double>(pos[t]);
          s += std::sin(a) * c.sin[(ch * m + i) * n + j];
          cc += std::cos(a) * c.cos[(ch * m + i) * n + j];
        }
        fs[j] = s, fc[j] = cc;
      }
      double* r = y.data() + (t * heads + h) * d;
      for (std::int64_t j = 0; j < half; ++j) {
        const double a = r[j], b = r[j + half];
        r[j] = a * fc[j] - b * fs[j];
        r[j + half] = b * fc[j] + a * fs[j];
      }
    }
  }
  return y;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(std::fabs(got[i] - want[i]) <= tol * (1.0 + std::fabs(want[i])));
  }
}

}  // namespace

TEST_CASE("FoPE basis sizes match the spec's computed table", "[fope]") {
  struct row { std::int64_t d, l, m, n; };
  // spec/encodings.md §11 Step 2, theta = 1e4.
  const row rows[] = {{64, 512, 16, 16}, {64, 1024, 18, 16}, {128, 512, 31, 31},
                      {128, 1024, 36, 32}, {128, 4096, 46, 32}};
  for (const auto& r : rows) {
    fope_config cfg;
    cfg.head_dim = r.d;
    cfg.max_sequence_length = r.l;
    auto b = fope::basis(cfg);
    REQUIRE(b);
    CHECK(static_cast<std::int64_t>(b->frequencies.size()) == r.m);
    CHECK(b->outputs == r.n);
  }
  // Without ignore_zero the zeroed candidates stay and N = D/2.
  fope_config keep;
  keep.head_dim = 64;
  keep.max_sequence_length = 512;
  keep.ignore_zero = false;
  auto bk = fope::basis(keep);
  REQUIRE(bk);
  CHECK(bk->frequencies.size() == 32);
  CHECK(bk->frequencies[20] == 0.0);
  CHECK(bk->outputs == 32);
}

TEST_CASE("FoPE with M = N and zero noise is RoPE with the floor frequencies zeroed", "[fope]") {
  // D = 64, L = 512: M = N = 16; pairs 16..31 are the zeroed frequencies.
  fope_config cfg;
  cfg.head_dim = 64;
  cfg.heads = 3;
  cfg.max_sequence_length = 512;
  cfg.padding = fope_padding::identity;
  auto coef = fope::init_coefficients(cfg, 1, 0.0);
  REQUIRE(coef);
  auto enc = fope::make(cfg, *coef);
  REQUIRE(enc);
  const std::int64_t tokens = 9, heads = 3, d = 64;
  const std::vector<std::int64_t> pos = {0, 1, 5, 100, 511, 512, 2047, 70000, 3};
  const auto x = random_x(tokens * heads * d, 4u);
  auto y = x;
  REQUIRE(enc->rotate(heads_view(y.data(), tokens, heads, d), pos));

  // posenc::rope on the same x rotates every pair; FoPE must agree on pairs 0..15 and leave
  // pairs 16..31 (dims 16..31 and 48..63) untouched.
  auto rope = posenc::rope::make({.head_dim = 64});
  REQUIRE(rope);
  auto r = x;
  REQUIRE(rope->rotate(heads_view(r.data(), tokens, heads, d), pos));
  for (std::int64_t row = 0; row < tokens * heads; ++row) {
    for (std::int64_t j = 0; j < 32; ++j) {
      const auto lo = static_cast<std::size_t>(row * d + j), hi = lo + 32;
      if (j < 16) {
        REQUIRE(y[lo] == Approx(r[lo]).margin(1e-6));
        REQUIRE(y[hi] == Approx(r[hi]).margin(1e-6));
      } else {
        REQUIRE(y[lo] == x[lo]);
        REQUIRE(y[hi] == x[hi]);
      }
    }
  }
  // And the float64 formula.
  check_close(y, fope64(cfg, *coef, x, tokens, heads, pos), 2e-6);

  // The reference padding instead multiplies each padded pair by (1 + i): (a, b) -> (a - b, b + a).
  cfg.padding = fope_padding::reference_one;
  auto ref = fope::make(cfg, *coef);
  REQUIRE(ref);
  auto z = x;
  REQUIRE(ref->rotate(heads_view(z.data(), tokens, heads, d), pos));
  for (std::int64_t row = 0; row < tokens * heads; ++row) {
    for (std::int64_t j = 16; j < 32; ++j) {
      const auto lo = static_cast<std::size_t>(row * d + j), hi = lo + 32;
      REQUIRE(z[lo] == Approx(x[lo] - x[hi]).margin(1e-6));
      REQUIRE(z[hi] == Approx(x[hi] + x[lo]).margin(1e-6));
    }
  }
}

TEST_CASE("FoPE equals a float64 evaluation of the Fourier series", "[fope]") {
  struct variant { std::int64_t d, l, fourier_dim; bool ignore_zero, separate; fope_padding pad; };
  const variant vs[] = {
      {64, 512, 0, true, true, fope_padding::reference_one},     // M = N = 16
      {128, 1024, 0, true, true, fope_padding::reference_one},   // M = 36 > N = 32, step-eye
      {64, 1024, 0, true, false, fope_padding::identity},        // shared coefficients
      {32, 256, 96, true, true, fope_padding::reference_one},    // fourier_dim > D
      {32, 256, 0, false, true, fope_padding::reference_one},    // zeros kept, N = D/2
      {16, 0, 0, true, true, fope_padding::reference_one},       // no floor
  };
  for (const auto& v : vs) {
    CAPTURE(v.d, v.l, v.fourier_dim, v.ignore_zero, v.separate);
    fope_config cfg;
    cfg.head_dim = v.d;
    cfg.heads = 4;
    cfg.max_sequence_length = v.l;
    cfg.fourier_dim = v.fourier_dim;
    cfg.ignore_zero = v.ignore_zero;
    cfg.separate_heads = v.separate;
    cfg.padding = v.pad;
    auto coef = fope::init_coefficients(cfg, 42, 0.5);
    REQUIRE(coef);
    auto enc = fope::make(cfg, *coef);
    REQUIRE(enc);
    const std::int64_t tokens = 7, heads = 4;
    const std::vector<std::int64_t> pos = {0, 3, 17, 255, 1000, 4095, 123456};
    const auto x = random_x(tokens * heads * v.d, 9u);
    auto y = x;
    REQUIRE(enc->rotate(heads_view(y.data(), tokens, heads, v.d), pos));
    check_close(y, fope64(cfg, *coef, x, tokens, heads, pos), 1e-5);

    // The cached series (max_positions) gives the same numbers; fused q/k equals two calls.
    cfg.max_positions = 5000;
    auto cached = fope::make(cfg, *coef);
    REQUIRE(cached);
    auto q = x, k = random_x(tokens * heads * v.d, 10u), k2 = k, y2 = x;
    REQUIRE(cached->rotate(heads_view(q.data(), tokens, heads, v.d),
                           heads_view(k.data(), tokens, heads, v.d), pos));
    REQUIRE(enc->rotate(heads_view(k2.data(), tokens, heads, v.d), pos));
    CHECK(q == y);
    CHECK(k == k2);
  }
}

TEST_CASE("FoPE initialiser: eye / step-eye plus xavier-normal noise with the 3-D fan rule",
          "[fope]") {
  fope_config cfg;
  cfg.head_dim = 128;
  cfg.heads = 2;
  cfg.max_sequence_length = 1024;  // M = 36, N = 32: step = 2
  auto e = fope::init_coefficients(cfg, 7, 0.0);
  REQUIRE(e);
  REQUIRE(e->inputs == 36);
  REQUIRE(e->outputs == 32);
  for (std::int64_t h = 0; h < 2; ++h)
    for (std::int64_t i = 0; i < 36; ++i)
      for (std::int64_t j = 0; j < 32; ++j) {
        const float want = (i == 2 * j && j < 18) ? 1.0f : 0.0f;
        REQUIRE(e->sin[(h * 36 + i) * 32 + j] == want);
        REQUIRE(e->cos[(h * 36 + i) * 32 + j] == want);
      }
  // D = 64, H = 8, M = N = 16, gain 0.3: std 0.3 sqrt(2 / (16*16 + 8*16)) = 0.02165.
  fope_config c2;
  c2.head_dim = 64;
  c2.heads = 8;
  c2.max_sequence_length = 512;
  auto n = fope::init_coefficients(c2, 123, 0.3);
  REQUIRE(n);
  double sum = 0, sq = 0;
  std::int64_t count = 0;
  for (const auto* w : {&n->sin, &n->cos})
    for (std::int64_t h = 0; h < 8; ++h)
      for (std::int64_t i = 0; i < 16; ++i)
        for (std::int64_t j = 0; j < 16; ++j) {
          const double v = (*w)[(h * 16 + i) * 16 + j] - (i == j ? 1.0 : 0.0);
          sum += v, sq += v * v, ++count;
        }
  const double nc = static_cast<double>(count);
  const double mean = sum / nc, sd = std::sqrt(sq / nc - mean * mean);
  CHECK(std::fabs(mean) < 0.002);
  CHECK(sd == Approx(0.3 * std::sqrt(2.0 / (16 * 16 + 8 * 16))).epsilon(0.05));
  // Same seed, same coefficients; shared coefficients use the 2-D rule sqrt(2 / (M + N)).
  auto again = fope::init_coefficients(c2, 123, 0.3);
  REQUIRE(again);
  CHECK(again->sin == n->sin);
  c2.separate_heads = false;
  auto shared = fope::init_coefficients(c2, 5, 1.0);
  REQUIRE(shared);
  CHECK(shared->heads == 1);
  sq = 0;
  for (std::int64_t i = 0; i < 16; ++i)
    for (std::int64_t j = 0; j < 16; ++j) {
      const double v = shared->sin[i * 16 + j] - (i == j ? 1.0 : 0.0);
      sq += v * v;
    }
  CHECK(std::sqrt(sq / 256) == Approx(std::sqrt(2.0 / 32)).epsilon(0.15));
}

TEST_CASE("FoPE error paths", "[fope]") {
  fope_config cfg;
  cfg.head_dim = 63;
  REQUIRE_FALSE(fope::basis(cfg));
  cfg.head_dim = 64;
  cfg.heads = 0;
  REQUIRE_FALSE(fope::basis(cfg));
  cfg.heads = 2;
  cfg.theta = -1;
  REQUIRE_FALSE(fope::basis(cfg));
  cfg.theta = 10000;
  cfg.max_sequence_length = -5;
  REQUIRE_FALSE(fope::basis(cfg));
  cfg.max_sequence_length = 512;
  cfg.fourier_dim = 101;
  REQUIRE_FALSE(fope::basis(cfg));
  cfg.fourier_dim = 0;
  REQUIRE_FALSE(fope::init_coefficients(cfg, 1, -0.1));

  auto coef = fope::init_coefficients(cfg, 1);
  REQUIRE(coef);
  auto wrong = *coef;
  wrong.outputs = 15;
  auto s1 = fope::make(cfg, wrong);
  REQUIRE_FALSE(s1);
  CHECK(s1.error().code() == posenc::errc::shape_mismatch);
  wrong = *coef;
  wrong.sin.pop_back();
  REQUIRE_FALSE(fope::make(cfg, wrong));
  wrong = *coef;
  wrong.cos[3] = std::nanf("");
  REQUIRE_FALSE(fope::make(cfg, wrong));

  auto enc = fope::make(cfg, *coef);
  REQUIRE(enc);
  auto x = random_x(3 * 2 * 64, 1u);
  std::vector<std::int64_t> pos = {0, 1, 2};
  auto three_heads = heads_view(x.data(), 2, 3, 64);
  auto s2 = enc->rotate(three_heads, std::vector<std::int64_t>{0, 1});
  REQUIRE_FALSE(s2);
  CHECK(s2.message().find("per head") != std::string::npos);
  REQUIRE_FALSE(enc->rotate(heads_view(x.data(), 3, 2, 64), std::vector<std::int64_t>{0, 1}));
  REQUIRE_FALSE(enc->rotate(heads_view(x.data(), 3, 4, 32), pos));
  REQUIRE_FALSE(enc->rotate(heads_view(x.data(), 3, 2, 64), std::vector<std::int64_t>{0, 1, std::int64_t{1} << 60}));
  auto v = heads_view(x.data(), 3, 2, 64);
  REQUIRE_FALSE(enc->rotate(v, v, pos));
}
