// One T5 encoder self-attention layer's position part (Raffel et al., arXiv 1910.10683):
// the distance key - query is bucketed (exact up to 8, logarithmic up to 128), each bucket has a
// learned scalar per head, and that scalar is added to the logit (T5 does not scale q.k).
// Prints the bucket of some distances, a bias matrix, and checks logits = q.k + W[bucket].
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

int main() {
  // t5-small: 32 buckets, max distance 128, 8 heads, bidirectional (encoder).
  const posenc::t5_config cfg{.num_buckets = 32, .max_distance = 128, .bidirectional = true,
                              .num_heads = 8};
  // A stand-in for the checkpoint's relative_attention_bias.weight [32, 8]: head h prefers
  // nearby keys, more sharply for small h.
  posenc::t5::matrix w(cfg.num_buckets, cfg.num_heads);
  for (std::int64_t b = 0; b < cfg.num_buckets; ++b) {
    const double dist = double(b % 16);  // buckets 0-15: key before query, 16-31: after
    for (std::int64_t h = 0; h < cfg.num_heads; ++h) w(b, h) = float(-dist / double(h + 1)) + 0.0f;  // + 0: no "-0.0"
  }
  auto made = posenc::t5::make(cfg, std::move(w));
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  const posenc::t5& t5 = *made;

  std::printf("T5 buckets (32, max distance 128, bidirectional): distance key - query -> bucket\n");
  for (std::int64_t rel : {-1000, -128, -64, -16, -8, -7, -1, 0, 1, 7, 8, 16, 64, 128, 1000}) {
    std::printf("  %5lld -> %2lld\n", (long long)rel, (long long)t5.buckets().bucket(rel));
  }

  constexpr std::int64_t tokens = 6, d = 4;
  std::vector<float> bias(cfg.num_heads * tokens * tokens);
  if (!t5.bias(tokens, tokens, 0, posenc::tensor_view(bias.data(), cfg.num_heads, tokens, tokens))) {
    return 1;
  }
  std::printf("\nbias of head 0 [query i, key j] (a Toeplitz matrix: constant along diagonals):\n");
  for (std::int64_t i = 0; i < tokens; ++i) {
    for (std::int64_t j = 0; j < tokens; ++j) std::printf(" %5.1f", bias[i * tokens + j]);
    std::printf("\n");
  }

  // The layer's logits through the generic helper, scale 1 as T5, and a by-hand check.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> q(tokens * cfg.num_heads * d), k(q.size());
  for (auto& x : q) x = normal(rng);
  for (auto& x : k) x = normal(rng);
  std::vector<float> logits(bias.size());
  if (auto st = posenc::attention_logits(
          t5, posenc::heads_view<const float>(q.data(), tokens, cfg.num_heads, d),
          posenc::heads_view<const float>(k.data(), tokens, cfg.num_heads, d), 0, 1.0,
          posenc::tensor_view(logits.data(), cfg.num_heads, tokens, tokens));
      !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  double worst = 0.0;
  for (std::int64_t h = 0; h < cfg.num_heads; ++h) {
    for (std::int64_t i = 0; i < tokens; ++i) {
      for (std::int64_t j = 0; j < tokens; ++j) {
        double dot = 0.0;
        for (std::int64_t c = 0; c < d; ++c) {
          dot += double(q[(i * cfg.num_heads + h) * d + c]) * k[(j * cfg.num_heads + h) * d + c];
        }
        const double expect = dot + t5.table().row(t5.buckets().bucket(j - i))[h];
        worst = std::max(worst, std::fabs(logits[(h * tokens + i) * tokens + j] - expect));
      }
    }
  }
  std::printf("\nlogits = q.k + W[bucket(j - i), h] for all %lld heads: max error %.2g\n",
              (long long)cfg.num_heads, worst);
  std::printf("%s\n", worst < 1e-5 ? "OK" : "FAILED");
  return worst < 1e-5 ? 0 : 1;
}
