// DeBERTa disentangled attention: c2p + p2c (add_scores) and the log-bucket relative
// positions, against memcpy/memset of the same output bytes (docs/performance.md).
//
// deberta-v3-base shape: 12 heads, head_dim 64, position_buckets 256, k = 512, Q = K = 512.
// add_scores reads and writes logits [12, Q, K] (bytes = 2 x logits bytes, as memcpy moves);
// each logit also costs two gathered products of 64 (c2p over rows, p2c over columns).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/deberta.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

using posenc::bench::random_floats;

constexpr std::int64_t heads = 12, head_dim = 64, hidden = heads * head_dim;
const posenc::deberta_config cfg{.max_relative_positions = 512, .position_buckets = 256,
                                 .heads = heads, .head_dim = head_dim};

const posenc::deberta& encoder() {
  static const auto p = random_floats(posenc::deberta_table_rows(cfg) * hidden, 0.1f);
  static const auto w = random_floats(hidden * hidden, 0.1f);
  static const auto b = random_floats(hidden, 0.1f);
  static const posenc::deberta enc = *posenc::deberta::make(
      cfg, {posenc::matrix_view(p.data(), posenc::deberta_table_rows(cfg), hidden),
            posenc::matrix_view(w.data(), hidden, hidden), b,
            posenc::matrix_view(w.data(), hidden, hidden), b});
  return enc;
}

void deberta_add_scores(benchmark::State& state) {
  posenc::bench::add_scores_bench(state, encoder(), heads, head_dim, 0.1f);
}

void memcpy_logits(benchmark::State& state) { posenc::bench::memcpy_logits(state, heads); }

void deberta_relative_positions(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  std::vector<std::int64_t> r(static_cast<std::size_t>(n * n));
  for (auto _ : state) {
    auto st = posenc::deberta_relative_positions(cfg, n, n, 0, posenc::matrix_view(r.data(), n, n));
    benchmark::DoNotOptimize(st);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * n);
  state.SetBytesProcessed(state.iterations() * n * n * std::int64_t{sizeof(std::int64_t)});
}

void memset_positions(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  posenc::bench::memset_baseline(state, n * n * std::int64_t{sizeof(std::int64_t)}, n * n);
}

}  // namespace

BENCHMARK(deberta_add_scores)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(memcpy_logits)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(deberta_relative_positions)->Arg(512)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(memset_positions)->Arg(512)->Arg(2048)->Unit(benchmark::kMicrosecond);
