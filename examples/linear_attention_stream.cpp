// Token-by-token generation with RoPE linear attention (RoFormer eq. 19): a causal state of
// fixed size (S [heads, m, dv], z [heads, m]) replaces the KV cache, so each step costs the same
// however long the sequence is. The prompt goes in with prefill (chunked matrix products), then
// each new token is push(k, v) + query(q). Checked against a quadratic float64 evaluation.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

namespace {

constexpr std::int64_t heads = 4, d = 32, dv = 32, prompt = 48, generated = 16;
constexpr std::int64_t total = prompt + generated;

double elu1(double x) { return x > 0 ? x + 1 : std::exp(x); }

// Eq. 19 for query token m over keys n <= m, head h, in double: O(m) per token.
void reference(const posenc::rope& rot, const std::vector<float>& q, const std::vector<float>& k,
               const std::vector<float>& v, std::int64_t m, std::int64_t h, double* out) {
  auto feat = [&](const std::vector<float>& x, std::int64_t t, std::int64_t pos, bool rotate) {
    std::vector<double> phi(d);
    for (std::int64_t c = 0; c < d; ++c) phi[c] = elu1(x[(t * heads + h) * d + c]);
    if (!rotate) return phi;
    std::vector<float> cs(d / 2), sn(d / 2);
    rot.cos_sin(pos, cs.data(), sn.data());
    std::vector<double> r(phi);
    for (std::int64_t i = 0; i < d / 2; ++i) {  // half layout: pairs (i, i + d/2)
      r[i] = phi[i] * cs[i] - phi[i + d / 2] * sn[i];
      r[i + d / 2] = phi[i + d / 2] * cs[i] + phi[i] * sn[i];
    }
    return r;
  };
  const auto qr = feat(q, m, m, true), qf = feat(q, m, m, false);
  double den = 0.0;
  for (std::int64_t c = 0; c < dv; ++c) out[c] = 0.0;
  for (std::int64_t n = 0; n <= m; ++n) {
    const auto kr = feat(k, n, n, true), kf = feat(k, n, n, false);
    double num = 0.0, dd = 0.0;
    for (std::int64_t c = 0; c < d; ++c) num += qr[c] * kr[c], dd += qf[c] * kf[c];
    for (std::int64_t c = 0; c < dv; ++c) out[c] += num * v[(n * heads + h) * dv + c];
    den += dd;
  }
  for (std::int64_t c = 0; c < dv; ++c) out[c] /= den;
}

}  // namespace

int main() {
  posenc::linear_attention_config cfg;
  cfg.rope = {.head_dim = d, .max_positions = 4096};
  cfg.map = posenc::feature_map::elu1;
  auto made = posenc::rope_linear_attention::make(cfg);
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  const posenc::rope_linear_attention& la = *made;
  auto state = la.make_state(heads, dv);  // the only allocation
  if (!state) return 1;
  std::printf("RoPE linear attention: %lld heads, feature dim %lld, value dim %lld; state of %lld floats\n",
              (long long)heads, (long long)d, (long long)dv, (long long)(heads * d * dv + heads * d));

  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(total * heads * d), k(q.size()), v(total * heads * dv), out(total * heads * dv);
  for (auto* x : {&q, &k, &v}) for (auto& e : *x) e = normal(rng);
  std::vector<std::int64_t> pos(total);
  for (std::int64_t t = 0; t < total; ++t) pos[t] = t;

  // The prompt in one causal prefill.
  const auto cv = [](const std::vector<float>& x, std::int64_t dim) {
    return posenc::heads_view<const float>(x.data(), prompt, heads, dim);
  };
  if (auto st = state->prefill(cv(q, d), cv(k, d), cv(v, dv), std::span(pos).first(prompt),
                               posenc::heads_view(out.data(), prompt, heads, dv));
      !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::printf("prefilled %lld prompt tokens; generating:\n", (long long)state->tokens());

  // Then one token at a time: add its key and value, read its query.
  for (std::int64_t t = prompt; t < total; ++t) {
    const auto row = [&](std::vector<float>& x, std::int64_t dim) {
      return posenc::matrix_view(x.data() + t * heads * dim, heads, dim);
    };
    const auto start = std::chrono::steady_clock::now();
    if (!state->push(row(k, d), row(v, dv), pos[t])) return 1;
    if (!state->query(row(q, d), pos[t], row(out, dv))) return 1;
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if ((t - prompt) % 4 == 0) {
      std::printf("  token %2lld: out[head 0][0..3] = %+.4f %+.4f %+.4f %+.4f  (%.1f us)\n",
                  (long long)t, out[t * heads * dv], out[t * heads * dv + 1], out[t * heads * dv + 2],
                  out[t * heads * dv + 3], us);
    }
  }

  // Every output (prompt and generated) against the quadratic float64 eq. 19.
  double worst = 0.0;
  std::vector<double> ref(dv);
  for (std::int64_t t = 0; t < total; ++t) {
    for (std::int64_t h = 0; h < heads; ++h) {
      reference(la.rotation(), q, k, v, t, h, ref.data());
      for (std::int64_t c = 0; c < dv; ++c) {
        worst = std::max(worst, std::fabs(ref[c] - out[(t * heads + h) * dv + c]) / (1.0 + std::fabs(ref[c])));
      }
    }
  }
  std::printf("O(N) state vs O(N^2) float64 eq. 19 over all %lld tokens: max error %.2g\n",
              (long long)total, worst);
  std::printf("%s\n", worst < 1e-4 ? "OK" : "FAILED");
  return worst < 1e-4 ? 0 : 1;
}
