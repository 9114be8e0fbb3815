// Shaw relative attention: the a^K logits term (add_scores) and the clipped ids, against
// memcpy/memset of the same output bytes (docs/performance.md).
//
// BERT-base shape: 12 heads, head_dim 64, k = 16 (2k + 1 = 33 table rows), Q = K = 512.
// add_scores reads and writes logits [12, Q, K]: bytes = 2 x logits bytes, the same bytes the
// memcpy baseline moves. Each logit also costs one gathered product (33 x 64 per query row).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/shaw.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

using posenc::bench::random_floats;

constexpr std::int64_t heads = 12, head_dim = 64, kmax = 16;

void shaw_add_scores(benchmark::State& state) {
  const auto w = random_floats((2 * kmax + 1) * head_dim);
  const auto enc = *posenc::shaw::make({kmax, head_dim},
                                       posenc::matrix_view(w.data(), 2 * kmax + 1, head_dim),
                                       posenc::matrix_view(w.data(), 2 * kmax + 1, head_dim));
  posenc::bench::add_scores_bench(state, enc, heads, head_dim);
}

void memcpy_logits(benchmark::State& state) { posenc::bench::memcpy_logits(state, heads); }

void shaw_ids(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n * n));
  for (auto _ : state) {
    auto st = posenc::shaw_relative_ids({kmax, head_dim}, n, n, 0, posenc::matrix_view(ids.data(), n, n));
    benchmark::DoNotOptimize(st);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * n);
  state.SetBytesProcessed(state.iterations() * n * n * std::int64_t{sizeof(std::int64_t)});
}

void memset_ids(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  posenc::bench::memset_baseline(state, n * n * std::int64_t{sizeof(std::int64_t)}, n * n);
}

}  // namespace

BENCHMARK(shaw_add_scores)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(memcpy_logits)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(shaw_ids)->Arg(512)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(memset_ids)->Arg(512)->Arg(2048)->Unit(benchmark::kMicrosecond);
