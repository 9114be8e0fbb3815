// One causal attention layer with ALiBi (Press et al., arXiv 2108.12409), as in Bloom:
// logits = q.k / sqrt(d) + m_h (j - i), future keys masked, softmax, weighted sum of values.
// Prints the slopes, one head's bias matrix, and shows that the steep heads look locally.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

int main() {
  constexpr std::int64_t heads = 8, tokens = 6, d = 16;
  auto made = posenc::alibi::make({.num_heads = heads});  // bias_max 8, causal: Bloom's setting
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  const posenc::alibi& alibi = *made;
  std::printf("ALiBi slopes for %lld heads:", (long long)heads);
  for (float m : alibi.slopes()) std::printf(" %g", m);
  std::printf("\n");

  // q, k, v [tokens, heads, d] with equal content everywhere: only the bias tells tokens apart.
  std::vector<float> q(tokens * heads * d, 0.1f), k(q), v(tokens * heads * d);
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t i = 0; i < heads * d; ++i) v[t * heads * d + i] = float(t);  // v_j = j
  }
  std::vector<float> logits(heads * tokens * tokens);
  const auto lv = posenc::tensor_view(logits.data(), heads, tokens, tokens);
  if (auto st = posenc::attention_logits(alibi, posenc::heads_view<const float>(q.data(), tokens, heads, d),
                                         posenc::heads_view<const float>(k.data(), tokens, heads, d),
                                         0, 1.0 / std::sqrt(double(d)), lv);
      !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::vector<float> bias(logits.size());
  if (!alibi.bias(tokens, tokens, 0, posenc::tensor_view(bias.data(), heads, tokens, tokens))) return 1;
  std::printf("\nbias of head 0 (slope %g), rows = queries i, cols = keys j; upper triangle is masked:\n",
              alibi.slopes()[0]);
  for (std::int64_t i = 0; i < tokens; ++i) {
    for (std::int64_t j = 0; j < tokens; ++j) {
      if (j > i) std::printf("      -");
      else std::printf(" %6.2f", bias[i * tokens + j]);
    }
    std::printf("\n");
  }

  // Causal softmax per head; the output of the last query is sum_j p_j v_j = expected key index.
  std::printf("\nlast query (i = %lld): where each head looks (expected key index, 5 = itself):\n",
              (long long)tokens - 1);
  bool monotone = true;
  double prev = 1e9;
  for (std::int64_t h = 0; h < heads; ++h) {
    const float* row = logits.data() + (h * tokens + tokens - 1) * tokens;
    double mx = row[0], z = 0.0, out = 0.0;
    for (std::int64_t j = 0; j < tokens; ++j) mx = std::max(mx, double(row[j]));
    for (std::int64_t j = 0; j < tokens; ++j) {
      const double p = std::exp(row[j] - mx);
      z += p;
      out += p * v[j * heads * d + h * d];
    }
    out /= z;
    std::printf("  head %lld (slope %-9g): %.3f\n", (long long)h, alibi.slopes()[h], out);
    monotone = monotone && out <= prev + 1e-12;  // flatter slopes look further back
    prev = out;
  }
  // Steeper heads (larger slope, first) stay closest to the query.
  std::printf("%s\n", monotone ? "OK: steeper slopes look more locally" : "FAILED");
  return monotone ? 0 : 1;
}
