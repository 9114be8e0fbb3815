// Absolute position encodings in one attention layer: BERT's learned table and the original
// Transformer's sinusoids (Vaswani et al., arXiv 1706.03762) are added to the token embeddings
// before q and k are projected. Prints the layer's attention with and without positions and
// checks the sinusoid property PE(p).PE(p + k) = sum_i cos(k w_i), independent of p.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

namespace {

constexpr std::int64_t tokens = 5, hidden = 32;

// Single-head self-attention weights of x [tokens, hidden] with q = k = x (no projections):
// enough to see what the position vectors add.
void print_attention(const char* title, const std::vector<float>& x) {
  std::printf("%s\n", title);
  for (std::int64_t i = 0; i < tokens; ++i) {
    double s[tokens], mx = -1e30, z = 0.0;
    for (std::int64_t j = 0; j < tokens; ++j) {
      s[j] = 0.0;
      for (std::int64_t c = 0; c < hidden; ++c) s[j] += double(x[i * hidden + c]) * x[j * hidden + c];
      s[j] /= std::sqrt(double(hidden));
      mx = std::max(mx, s[j]);
    }
    for (double& v : s) z += (v = std::exp(v - mx));
    for (double v : s) std::printf(" %5.2f", v / z);
    std::printf("\n");
  }
}

}  // namespace

int main() {
  // The same word five times ("the the the the the"): without positions every token looks
  // alike and attention is uniform.
  std::vector<float> words(tokens * hidden);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> the(hidden);
  for (auto& v : the) v = normal(rng);
  for (std::int64_t t = 0; t < tokens; ++t) std::copy(the.begin(), the.end(), words.begin() + t * hidden);
  const std::vector<std::int64_t> positions = {0, 1, 2, 3, 4};
  print_attention("no positions (rows: query, cols: key):", words);

  // BERT: a learned table [max_position_embeddings, hidden] from the checkpoint (random here).
  posenc::learned::matrix table(512, hidden);
  for (std::int64_t r = 0; r < table.rows(); ++r) {
    for (std::int64_t c = 0; c < hidden; ++c) table(r, c) = normal(rng);
  }
  auto bert = posenc::learned::make({.rows = 512, .hidden_size = hidden}, std::move(table));
  if (!bert) {
    std::fprintf(stderr, "%s\n", bert.error().message().c_str());
    return 1;
  }
  std::vector<float> x = words;
  if (auto st = bert->add_to(posenc::matrix_view(x.data(), tokens, hidden), positions); !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  print_attention("\n+ learned positions (BERT): tokens now differ, each attends most to itself:", x);

  // The original Transformer: sin/cos at wavelengths 2 pi .. 10000 * 2 pi.
  auto sin_enc = posenc::sinusoidal::make({.d_model = hidden});
  if (!sin_enc) return 1;
  x = words;
  if (!sin_enc->add_to(posenc::matrix_view(x.data(), tokens, hidden), positions)) return 1;
  print_attention("\n+ sinusoidal positions: attention falls off with distance:", x);

  // PE(p) . PE(p + k) depends on k only.
  std::printf("\nsinusoid dot products PE(p).PE(p+k), for p = 0, 100, 10000:\n");
  bool ok = true;
  for (std::int64_t k : {0, 1, 4, 16}) {
    std::printf("  k = %2lld:", (long long)k);
    double expect = 0.0;
    for (double w : sin_enc->inv_freq()) expect += std::cos(double(k) * w);
    for (std::int64_t p : {0, 100, 10000}) {
      std::vector<float> pe(2 * hidden);
      const std::int64_t pp[2] = {p, p + k};
      if (!sin_enc->encode(pp, posenc::matrix_view(pe.data(), 2, hidden))) return 1;
      double dot = 0.0;
      for (std::int64_t c = 0; c < hidden; ++c) dot += double(pe[c]) * pe[hidden + c];
      std::printf(" %8.4f", dot);
      ok = ok && std::fabs(dot - expect) < 1e-5;
    }
    std::printf("   (sum cos(k w_i) = %.4f)\n", expect);
  }
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
