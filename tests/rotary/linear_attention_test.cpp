// RoPE linear attention against an independent float64 O(N^2) evaluation of RoFormer eq. 19
// (rotation, feature maps and sums written out here in double), plus invariants: chunked
// prefill = token-by-token, key permutations leave non-causal output unchanged.
#include <posenc/rotary/linear_attention.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

using posenc::feature_map;
using posenc::linear_attention_config;
using posenc::rope_layout;
using posenc::rope_linear_attention;

namespace {

struct problem {
  std::int64_t tokens, heads, d, dv;
  std::vector<float> q, k, v;
  std::vector<std::int64_t> pos;
};

// Inputs uniform in [lo, 1.5]; positions mix a random far region with consecutive ones.
problem random_problem(std::int64_t tokens, std::int64_t heads, std::int64_t d, std::int64_t dv,
                       unsigned seed, float lo = -1.5f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, 1.5f);
  problem p{tokens, heads, d, dv, {}, {}, {}, {}};
  auto fill = [&](std::vector<float>& x, std::int64_t n) {
    x.resize(static_cast<std::size_t>(n));
    for (auto& e : x) e = u(gen);
  };
  fill(p.q, tokens * heads * d);
  fill(p.k, tokens * heads * d);
  fill(p.v, tokens * heads * dv);
  std::uniform_int_distribution<std::int64_t> up(0, 5000);
  for (std::int64_t t = 0; t < tokens; ++t) p.pos.push_back(t % 3 == 0 ? up(gen) : 17 + t);
  return p;
}

double phi64(double x, feature_map f) {
  if (f == feature_map::elu1) return x > 0 ? x + 1 : std::exp(x);
  return x > 0 ? x : 0;
}

// R_p x in double: pairs (i, i + d/2) or (2i, 2i + 1) rotated by p * theta^(-2i/d).
std::vector<double> rotate64(std::vector<double> x, std::int64_t p, double theta, rope_layout l) {
  const std::size_t d = x.size();
  for (std::size_t i = 0; i < d / 2; ++i) {
    const double w = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(d));
    const double a = static_cast<double>(p) * w, c = std::cos(a), s = std::sin(a);
    const std::size_t i0 = l == rope_layout::half ? i : 2 * i;
    const std::size_t i1 = l == rope_layout::half ? i + d / 2 : 2 * i + 1;
    const double x0 = x[i0], x1 = x[i1];
    x[i0] = x0 * c - x1 * s;
    x[i1] = x1 * c + x0 * s;
  }
  return x;
}

// Eq. 19 quadratically in double; causal: keys n <= m by token index.
std::vector<double> reference(const problem& p, feature_map f, rope_layout l, double theta,
                              bool causal) {
  auto feat = [&](const std::vector<float>& x, std::int64_t t, std::int64_t h) {
    std::vector<double> r(static_cast<std::size_t>(p.d));
    for (std::int64_t i = 0; i < p.d; ++i) r[i] = phi64(x[(t * p.heads + h) * p.d + i], f);
    return r;
  };
  std::vector<double> out(static_cast<std::size_t>(p.tokens * p.heads * p.dv), 0.0);
  for (std::int64_t h = 0; h < p.heads; ++h) {
    for (std::int64_t m = 0; m < p.tokens; ++m) {
      const auto fq = feat(p.q, m, h);
      const auto rq = rotate64(fq, p.pos[m], theta, l);
      double den = 0;
      std::vector<double> num(static_cast<std::size_t>(p.dv), 0.0);
      for (std::int64_t n = 0; n < (causal ? m + 1 : p.tokens); ++n) {
        const auto fk = feat(p.k, n, h);
        const auto rk = rotate64(fk, p.pos[n], theta, l);
        double wr = 0, w = 0;
        for (std::int64_t i = 0; i < p.d; ++i) wr += rq[i] * rk[i], w += fq[i] * fk[i];
        den += w;
        for (std::int64_t j = 0; j < p.dv; ++j) num[j] += wr * p.v[(n * p.heads + h) * p.dv + j];
      }
      // The documented guard: a zero denominator gives a zero row.
      for (std::int64_t j = 0; j < p.dv; ++j) {
        out[(m * p.heads + h) * p.dv + j] = den == 0 ? 0.0 : num[j] / den;
      }
    }
  }
  return out;
}

rope_linear_attention make(std::int64_t d, feature_map f, rope_layout l, std::int64_t chunk = 64,
                           std::int64_t table = 0) {
  linear_attention_config cfg;
  cfg.rope.head_dim = d;
  cfg.rope.layout = l;
  cfg.rope.max_positions = table;
  cfg.map = f;
  cfg.chunk_tokens = chunk;
  auto made = rope_linear_attention::make(cfg);
  REQUIRE(made);
  return std::move(*made);
}

using posenc::heads_view;

// enc.attend over the whole problem, output [tokens, heads, dv].
std::vector<float> attend_problem(const rope_linear_attention& enc, const problem& p, bool causal) {
  std::vector<float> out(static_cast<std::size_t>(p.tokens * p.heads * p.dv));
  REQUIRE(enc.attend(heads_view(p.q.data(), p.tokens, p.heads, p.d),
                     heads_view(p.k.data(), p.tokens, p.heads, p.d),
                     heads_view(p.v.data(), p.tokens, p.heads, p.dv), p.pos,
                     heads_view(out.data(), p.tokens, p.heads, p.dv), causal));
  return out;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(std::fabs(got[i] - want[i]) <= tol * (1.0 + std::fabs(want[i])));
  }
}

}  // namespace

TEST_CASE("linear attention equals a float64 O(N^2) eq. 19", "[linear_attention]") {
  const auto f = GENERATE(feature_map::elu1, feature_map::relu);
  const auto l = GENERATE(rope_layout::half, rope_layout::interleaved);
  const bool causal = GENERATE(false, true);
  const std::int64_t chunk = GENERATE(1, 7, 64);
  const std::int64_t table = GENERATE(0, 6000);
  CAPTURE(static_cast<int>(f), static_cast<int>(l), causal, chunk, table);
  // relu inputs lean positive so no denominator is near zero (tiny ones amplify rounding).
  const problem p = random_problem(75, 3, 8, 5, 11u, f == feature_map::relu ? -0.3f : -1.5f);
  const auto enc = make(p.d, f, l, chunk, table);
  check_close(attend_problem(enc, p, causal), reference(p, f, l, 10000.0, causal), 2e-4);
}

TEST_CASE("for_sequence_length rotates as rope does for that length (dynamic NTK)",
          "[linear_attention]") {
  const problem p = random_problem(40, 2, 8, 3, 5u);
  const std::int64_t seq_len = *std::max_element(p.pos.begin(), p.pos.end()) + 1;
  REQUIRE(seq_len > 1000);
  linear_attention_config cfg;
  cfg.rope.head_dim = p.d;
  cfg.rope.scaling = posenc::dynamic_scaling{.factor = 2.0, .max_position_embeddings = 1000};
  auto made = rope_linear_attention::make(cfg);
  REQUIRE(made);
  auto longer = made->for_sequence_length(seq_len);
  REQUIRE(longer);
  // spec/encodings.md, dynamic NTK: base * (factor * L / L_max - (factor - 1))^(d / (d - 2)).
  const double grown = 10000.0 * std::pow(2.0 * static_cast<double>(seq_len) / 1000.0 - 1.0, 8.0 / 6.0);
  for (const auto& [enc, theta] : {std::pair{&*made, 10000.0}, std::pair{&*longer, grown}}) {
    CAPTURE(theta);
    check_close(attend_problem(*enc, p, true),
                reference(p, feature_map::elu1, rope_layout::half, theta, true), 2e-4);
  }
}

TEST_CASE("chunked prefill equals token-by-token push and query", "[linear_attention]") {
  const auto l = GENERATE(rope_layout::half, rope_layout::interleaved);
  const std::int64_t chunk = GENERATE(1, 5, 16, 200);
  const problem p = random_problem(97, 4, 16, 8, 23u);
  const auto enc = make(p.d, feature_map::elu1, l, chunk);
  auto st = enc.make_state(p.heads, p.dv);
  REQUIRE(st);
  std::vector<float> chunked(static_cast<std::size_t>(p.tokens * p.heads * p.dv));
  std::vector<float> stepped(chunked.size());
  // Prefill the first 60 tokens, then decode the rest one at a time from the same state.
  const std::int64_t split = 60;
  auto sub = [&](const std::vector<float>& x, std::int64_t dim, std::int64_t t0, std::int64_t n) {
    return posenc::view3<const float>{x.data() + t0 * p.heads * dim, n, p.heads, dim,
                                      p.heads * dim, dim};
  };
  REQUIRE(st->prefill(sub(p.q, p.d, 0, split), sub(p.k, p.d, 0, split), sub(p.v, p.dv, 0, split),
                      std::span(p.pos).subspan(0, split),
                      heads_view(chunked.data(), split, p.heads, p.dv)));
  REQUIRE(st->tokens() == split);
  // A bulk push counts its keys too (chunk by chunk).
  auto pushed = enc.make_state(p.heads, p.dv);
  REQUIRE(pushed);
  REQUIRE(pushed->push(sub(p.k, p.d, 0, split), sub(p.v, p.dv, 0, split),
                       std::span(p.pos).subspan(0, split)));
  CHECK(pushed->tokens() == split);
  for (std::int64_t t = split; t < p.tokens; ++t) {
    REQUIRE(st->push(posenc::matrix_view(p.k.data() + t * p.heads * p.d, p.heads, p.d),
                     posenc::matrix_view(p.v.data() + t * p.heads * p.dv, p.heads, p.dv), p.pos[t]));
    REQUIRE(st->query(posenc::matrix_view(p.q.data() + t * p.heads * p.d, p.heads, p.d), p.pos[t],
                      posenc::matrix_view(chunked.data() + t * p.heads * p.dv, p.heads, p.dv)));
  }
  // All token by token from a fresh state.
  auto st2 = enc.make_state(p.heads, p.dv);
  REQUIRE(st2);
  for (std::int64_t t = 0; t < p.tokens; ++t) {
    REQUIRE(st2->push(posenc::matrix_view(p.k.data() + t * p.heads * p.d, p.heads, p.d),
                      posenc::matrix_view(p.v.data() + t * p.heads * p.dv, p.heads, p.dv), p.pos[t]));
    REQUIRE(st2->query(posenc::matrix_view(p.q.data() + t * p.heads * p.d, p.heads, p.d), p.pos[t],
                       posenc::matrix_view(stepped.data() + t * p.heads * p.dv, p.heads, p.dv)));
  }
  std::vector<double> want(stepped.begin(), stepped.end());
  check_close(chunked, want, 2e-5);
  // And both equal the causal float64 reference.
  check_close(stepped, reference(p, feature_map::elu1, l, 10000.0, true), 2e-4);
}

TEST_CASE("permuting keys leaves non-causal output unchanged", "[linear_attention]") {
  problem p = random_problem(40, 2, 8, 6, 5u);
  const auto enc = make(p.d, feature_map::elu1, rope_layout::half, 8);
  auto run = [&](const problem& x) {
    std::vector<float> out(static_cast<std::size_t>(x.tokens * x.heads * x.dv));
    // Queries stay in place; only keys and values (with their positions) move. Use a separate
    // state: push the keys, then query the fixed queries at their own positions.
    auto st = enc.make_state(x.heads, x.dv);
    REQUIRE(st);
    REQUIRE(st->push(heads_view(x.k.data(), x.tokens, x.heads, x.d),
                     heads_view(x.v.data(), x.tokens, x.heads, x.dv), x.pos));
    REQUIRE(st->query(heads_view(p.q.data(), p.tokens, p.heads, p.d), p.pos,
                      heads_view(out.data(), p.tokens, p.heads, p.dv)));
    return out;
  };
  const auto base = run(p);
  std::vector<std::int64_t> perm(static_cast<std::size_t>(p.tokens));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(99u));
  problem shuffled = p;
  for (std::int64_t t = 0; t < p.tokens; ++t) {
    const std::int64_t s = perm[t];
    std::copy_n(p.k.begin() + s * p.heads * p.d, p.heads * p.d, shuffled.k.begin() + t * p.heads * p.d);
    std::copy_n(p.v.begin() + s * p.heads * p.dv, p.heads * p.dv, shuffled.v.begin() + t * p.heads * p.dv);
    shuffled.pos[t] = p.pos[s];
  }
  const auto moved = run(shuffled);
  check_close(moved, std::vector<double>(base.begin(), base.end()), 1e-5);
}

TEST_CASE("strided views: heads-major buffers give the same result", "[linear_attention]") {
  const problem p = random_problem(20, 3, 8, 4, 77u);
  const auto enc = make(p.d, feature_map::elu1, rope_layout::interleaved, 6);
  auto to_heads_major = [&](const std::vector<float>& x, std::int64_t dim) {
    std::vector<float> y(x.size());
    for (std::int64_t t = 0; t < p.tokens; ++t)
      for (std::int64_t h = 0; h < p.heads; ++h)
        std::copy_n(x.begin() + (t * p.heads + h) * dim, dim, y.begin() + (h * p.tokens + t) * dim);
    return y;
  };
  const auto qh = to_heads_major(p.q, p.d), kh = to_heads_major(p.k, p.d), vh = to_heads_major(p.v, p.dv);
  auto hv = [&](auto* data, std::int64_t dim) {
    return posenc::view3<std::remove_pointer_t<decltype(data)>>{data, p.tokens, p.heads, dim, dim,
                                                                 p.tokens * dim};
  };
  std::vector<float> out(static_cast<std::size_t>(p.tokens * p.heads * p.dv));
  REQUIRE(enc.attend(hv(qh.data(), p.d), hv(kh.data(), p.d), hv(vh.data(), p.dv), p.pos,
                     hv(out.data(), p.dv), true));
  const auto want = reference(p, feature_map::elu1, rope_layout::interleaved, 10000.0, true);
  for (std::int64_t t = 0; t < p.tokens; ++t)
    for (std::int64_t h = 0; h < p.heads; ++h)
      for (std::int64_t j = 0; j < p.dv; ++j) {
        const double w = want[(t * p.heads + h) * p.dv + j];
        REQUIRE(std::fabs(out[(h * p.tokens + t) * p.dv + j] - w) <= 2e-4 * (1 + std::fabs(w)));
      }
}

TEST_CASE("a zero denominator gives a zero row; epsilon adds to every entry of z",
          "[linear_attention]") {
  // relu features: a query with no positive entry has phi(q) = 0, so phi(q).z = 0.
  const std::int64_t d = 4;
  const auto enc = make(d, feature_map::relu, rope_layout::half);
  std::vector<float> q = {-1, -2, -0.5f, 0}, k = {1, 2, 3, 4}, v = {5, 6};
  std::vector<float> out(2, 42.0f);
  std::vector<std::int64_t> pos = {3};
  REQUIRE(enc.attend(heads_view(q.data(), 1, 1, d), heads_view(k.data(), 1, 1, d),
                     heads_view(v.data(), 1, 1, 2), pos, heads_view(out.data(), 1, 1, 2), false));
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == 0.0f);

  // With eps, den = phi(q).(z + eps): a single key at the query's own position has
  // numerator phi(q).phi(k) (the rotations cancel), so o = v * w / (w + eps * sum phi(q)).
  linear_attention_config cfg;
  cfg.rope.head_dim = d;
  cfg.key_sum_epsilon = 0.5f;
  auto e2 = rope_linear_attention::make(cfg);
  REQUIRE(e2);
  std::vector<float> q2 = {0.3f, -0.2f, 1.0f, 0.1f};
  REQUIRE(e2->attend(heads_view(q2.data(), 1, 1, d), heads_view(k.data(), 1, 1, d),
                     heads_view(v.data(), 1, 1, 2), pos, heads_view(out.data(), 1, 1, 2), true));
  double w = 0, sq = 0;
  for (int i = 0; i < d; ++i) {
    const double a = phi64(q2[i], feature_map::elu1), b = phi64(k[i], feature_map::elu1);
    w += a * b, sq += a;
  }
  CHECK(out[0] == Approx(5.0 * w / (w + 0.5 * sq)).epsilon(1e-5));
  CHECK(out[1] == Approx(6.0 * w / (w + 0.5 * sq)).epsilon(1e-5));
}

TEST_CASE("a tiny nonzero denominator still gives num / den", "[linear_attention]") {
  // One token at position 0 (no rotation): eq. 19 gives o = v * w / w = v for any w > 0, here
  // w = phi(q).phi(k) ~ 1e-39, below the float whose reciprocal is finite (~2.9e-39).
  const std::int64_t d = 2;
  const std::vector<std::pair<feature_map, std::vector<float>>> cases = {
      {feature_map::relu, {1e-30f, -1.0f}},  // phi(q) = (1e-30, 0), phi(k) = (1e-9, 0)
      {feature_map::elu1, {-90.0f, -90.0f}},  // phi(q) = e^-90 each, phi(k) = (1, 1)
  };
  for (const auto& [f, q] : cases) {
    CAPTURE(static_cast<int>(f));
    const auto enc = make(d, f, rope_layout::half);
    std::vector<float> k = f == feature_map::relu ? std::vector<float>{1e-9f, -1.0f}
                                                   : std::vector<float>{0.0f, 0.0f};
    std::vector<float> v = {0.5f, -3.0f}, out(2, 42.0f);
    std::vector<std::int64_t> pos = {0};
    for (const bool causal : {false, true}) {
      REQUIRE(enc.attend(heads_view(q.data(), 1, 1, d), heads_view(k.data(), 1, 1, d),
                         heads_view(v.data(), 1, 1, 2), pos, heads_view(out.data(), 1, 1, 2), causal));
      CHECK(out[0] == Approx(0.5).epsilon(1e-5));
      CHECK(out[1] == Approx(-3.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("a custom feature map (features wider than the input)", "[linear_attention]") {
  // phi(x) = [relu(x), relu(-x)] + 0.1: feature dim 2d.
  auto map = [](const float* x, std::int64_t d, float* phi, std::int64_t, const void* ctx) noexcept {
    const float shift = *static_cast<const float*>(ctx);
    for (std::int64_t i = 0; i < d; ++i) {
      phi[i] = std::max(x[i], 0.0f) + shift;
      phi[i + d] = std::max(-x[i], 0.0f) + shift;
    }
  };
  static const float shift = 0.1f;
  const problem p = random_problem(30, 2, 6, 3, 3u);
  linear_attention_config cfg;
  cfg.rope.head_dim = 2 * p.d;
  cfg.map = feature_map::custom;
  cfg.input_dim = p.d;
  cfg.custom_map = map;
  cfg.custom_context = &shift;
  cfg.chunk_tokens = 8;
  auto enc = rope_linear_attention::make(cfg);
  REQUIRE(enc);
  const std::vector<float> out = attend_problem(*enc, p, true);
  // Reference: widen q and k by the same map in double, then eq. 19 with the identity map
  // (phi64 with elu1 would change values, so do it by hand).
  for (std::int64_t h = 0; h < p.heads; ++h) {
    for (std::int64_t m = 0; m < p.tokens; ++m) {
      auto feat = [&](const std::vector<float>& x, std::int64_t t) {
        std::vector<double> r(static_cast<std::size_t>(2 * p.d));
        for (std::int64_t i = 0; i < p.d; ++i) {
          const double e = x[(t * p.heads + h) * p.d + i];
          r[i] = std::max(e, 0.0) + shift;
          r[i + p.d] = std::max(-e, 0.0) + shift;
        }
        return r;
      };
      const auto fq = feat(p.q, m);
      const auto rq = rotate64(fq, p.pos[m], 10000.0, rope_layout::half);
      double den = 0;
      std::vector<double> num(static_cast<std::size_t>(p.dv), 0.0);
      for (std::int64_t n = 0; n <= m; ++n) {
        const auto fk = feat(p.k, n);
        const auto rk = rotate64(fk, p.pos[n], 10000.0, rope_layout::half);
        double wr = 0, w = 0;
        for (std::int64_t i = 0; i < 2 * p.d; ++i) wr += rq[i] * rk[i], w += fq[i] * fk[i];
        den += w;
        for (std::int64_t j = 0; j < p.dv; ++j) num[j] += wr * p.v[(n * p.heads + h) * p.dv + j];
      }
      for (std::int64_t j = 0; j < p.dv; ++j) {
        const double want = num[j] / den;
        REQUIRE(std::fabs(out[(m * p.heads + h) * p.dv + j] - want) <= 2e-4 * (1 + std::fabs(want)));
      }
    }
  }
}

TEST_CASE("linear attention error paths", "[linear_attention]") {
  linear_attention_config cfg;
  cfg.rope.head_dim = 7;
  auto odd = rope_linear_attention::make(cfg);
  REQUIRE_FALSE(odd);
  CHECK(odd.error().code() == posenc::errc::invalid_argument);

  cfg.rope.head_dim = 8;
  cfg.map = feature_map::custom;
  auto no_fn = rope_linear_attention::make(cfg);
  REQUIRE_FALSE(no_fn);
  CHECK(no_fn.error().message().find("custom_map") != std::string::npos);

  cfg.map = feature_map::elu1;
  cfg.input_dim = 6;
  REQUIRE_FALSE(rope_linear_attention::make(cfg));
  cfg.input_dim = 0;
  cfg.key_sum_epsilon = -1.0f;
  REQUIRE_FALSE(rope_linear_attention::make(cfg));
  cfg.key_sum_epsilon = 0.0f;
  cfg.chunk_tokens = 0;
  REQUIRE_FALSE(rope_linear_attention::make(cfg));
  cfg.chunk_tokens = 4;

  auto enc = rope_linear_attention::make(cfg);
  REQUIRE(enc);
  REQUIRE_FALSE(enc->make_state(0, 4));
  REQUIRE_FALSE(enc->make_state(2, 0));

  const problem p = random_problem(6, 2, 8, 4, 1u);
  std::vector<float> out(static_cast<std::size_t>(p.tokens * p.heads * p.dv));
  auto q = heads_view(p.q.data(), p.tokens, p.heads, p.d);
  auto k = heads_view(p.k.data(), p.tokens, p.heads, p.d);
  auto v = heads_view(p.v.data(), p.tokens, p.heads, p.dv);
  auto o = heads_view(out.data(), p.tokens, p.heads, p.dv);
  // Wrong dims, heads, positions count, out-of-range positions, overlapping out.
  auto bad_k = heads_view(p.k.data(), p.tokens, p.heads - 1, p.d);
  auto s1 = enc->attend(q, bad_k, v, p.pos, o, false);
  REQUIRE_FALSE(s1);
  CHECK(s1.code() == posenc::errc::shape_mismatch);
  auto bad_q = heads_view(p.q.data(), p.tokens, p.heads, p.d - 2);
  REQUIRE_FALSE(enc->attend(bad_q, k, v, p.pos, o, true));
  auto bad_o = heads_view(out.data(), p.tokens, p.heads, p.dv - 1);
  REQUIRE_FALSE(enc->attend(q, k, v, p.pos, bad_o, true));
  std::vector<std::int64_t> short_pos(p.pos.begin(), p.pos.end() - 1);
  auto s2 = enc->attend(q, k, v, short_pos, o, true);
  REQUIRE_FALSE(s2);
  CHECK(s2.message().find("positions") != std::string::npos);
  std::vector<std::int64_t> far = p.pos;
  far[3] = std::int64_t{1} << 60;
  auto s3 = enc->attend(q, k, v, far, o, true);
  REQUIRE_FALSE(s3);
  CHECK(s3.code() == posenc::errc::out_of_range);
  std::vector<float> alias = p.v;
  auto va = heads_view(alias.data(), p.tokens, p.heads, p.dv);
  auto s4 = enc->attend(q, k, va, p.pos, va, true);
  REQUIRE_FALSE(s4);
  CHECK(s4.message().find("overlap in memory") != std::string::npos);

  // A state refuses rows of the wrong shape and keeps its sums untouched.
  auto st = enc->make_state(p.heads, p.dv);
  REQUIRE(st);
  REQUIRE_FALSE(st->push(posenc::matrix_view(p.k.data(), p.heads, p.d - 1),
                         posenc::matrix_view(p.v.data(), p.heads, p.dv), 0));
  REQUIRE_FALSE(st->push(k, v, far));
  CHECK(st->tokens() == 0);
  // A state of another encoder is refused.
  auto other = rope_linear_attention::make(cfg);
  REQUIRE(other);
  REQUIRE_FALSE(other->attend(q, k, v, p.pos, o, true, *st));
}
