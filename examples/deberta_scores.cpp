// One DeBERTa-v3 attention layer's scores (He et al., arXiv 2006.03654 / 2111.09543):
//   A[i, j] = (q_i.k_j + c2p + p2c) / sqrt(d * 3),  c2p = q_i.Kr[delta], p2c = k_j.Qr[delta]
// with delta from the log-bucketed relative position query - key. Small sizes so the bucket
// matrix fits on screen; the weights are seeded random stand-ins for a checkpoint's.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

int main() {
  // deberta-v3 uses max_relative_positions 512, position_buckets 256; scaled down 32x here.
  const posenc::deberta_config cfg{.version = posenc::deberta_version::v2,
                                   .max_relative_positions = 16, .position_buckets = 8,
                                   .heads = 2, .head_dim = 4};
  const std::int64_t hidden = 8, rows = posenc::deberta_table_rows(cfg), w = cfg.heads * cfg.head_dim;

  std::printf("DeBERTa relative positions bucket(query - key), 8 buckets, max 16 (query i, key j):\n");
  constexpr std::int64_t tokens = 12;
  std::vector<std::int64_t> rel(tokens * tokens);
  if (auto st = posenc::deberta_relative_positions(cfg, tokens, tokens, 0,
                                                   posenc::matrix_view(rel.data(), tokens, tokens));
      !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  for (std::int64_t i = 0; i < tokens; ++i) {
    for (std::int64_t j = 0; j < tokens; ++j) std::printf(" %3lld", (long long)rel[i * tokens + j]);
    std::printf("\n");
  }
  std::printf("(exact for |r| <= 4, then logarithmic; the table has 2 x 8 = %lld rows)\n", (long long)rows);

  // Relative embeddings P [rows, hidden] and the layer's projections [heads*head_dim, hidden].
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  auto fill = [&](std::vector<float>& v) { for (auto& x : v) x = normal(rng); };
  std::vector<float> p(rows * hidden), wk(w * hidden), wq(w * hidden), bk(w), bq(w);
  for (auto* v : {&p, &wk, &wq, &bk, &bq}) fill(*v);
  auto made = posenc::deberta::make(cfg, {posenc::matrix_view<const float>(p.data(), rows, hidden),
                                          posenc::matrix_view<const float>(wk.data(), w, hidden), bk,
                                          posenc::matrix_view<const float>(wq.data(), w, hidden), bq});
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  const posenc::deberta& deberta = *made;

  std::vector<float> q(tokens * w), k(tokens * w), logits(cfg.heads * tokens * tokens);
  fill(q);
  fill(k);
  const auto qv = posenc::heads_view<const float>(q.data(), tokens, cfg.heads, cfg.head_dim);
  const auto kv = posenc::heads_view<const float>(k.data(), tokens, cfg.heads, cfg.head_dim);
  if (auto st = posenc::attention_logits(deberta, qv, kv, 0, deberta.scale(),
                                         posenc::tensor_view(logits.data(), cfg.heads, tokens, tokens));
      !st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::printf("\nscale 1/sqrt(head_dim * %lld) = %.4f; scores of head 0, first 4 queries and keys:\n",
              (long long)posenc::deberta_scale_factor(cfg), deberta.scale());
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t j = 0; j < 4; ++j) std::printf(" %7.3f", logits[i * tokens + j]);
    std::printf("\n");
  }

  // Check every score against the formula, with the table rows read by hand.
  double worst = 0.0;
  for (std::int64_t h = 0; h < cfg.heads; ++h) {
    for (std::int64_t i = 0; i < tokens; ++i) {
      for (std::int64_t j = 0; j < tokens; ++j) {
        const std::int64_t r = deberta.table_row(i, j, tokens, tokens);
        const float* qi = &q[(i * cfg.heads + h) * cfg.head_dim];
        const float* kj = &k[(j * cfg.heads + h) * cfg.head_dim];
        double s = 0.0;
        for (std::int64_t c = 0; c < cfg.head_dim; ++c) {
          s += double(qi[c]) * kj[c] + double(qi[c]) * deberta.pos_key()(r, h * cfg.head_dim + c) +
               double(kj[c]) * deberta.pos_query()(r, h * cfg.head_dim + c);
        }
        worst = std::max(worst, std::fabs(s * deberta.scale() - logits[(h * tokens + i) * tokens + j]));
      }
    }
  }
  std::printf("\nscores vs (q.k + q.Kr[delta] + k.Qr[delta]) * scale by hand: max error %.2g\n", worst);
  std::printf("%s\n", worst < 1e-4 ? "OK" : "FAILED");
  return worst < 1e-4 ? 0 : 1;
}
