// ALiBi bias fill, [heads, Q, K] float, against memset of the same bytes
// (docs/encodings/alibi.md). The target: bias at heads 12, Q = K = 512 within 1.5x of memset.
// Bytes processed = output bytes for both, so "time / memset" is the ratio of the bytes/s.
// Run: build/bench/bench_alibi --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/alibi.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

constexpr std::int64_t heads = 12;

void alibi_bias(benchmark::State& state, bool causal) {
  const std::int64_t n = state.range(0);
  const auto e = *posenc::alibi::make({.num_heads = heads, .causal = causal});
  std::vector<float> out(static_cast<std::size_t>(heads * n * n));
  for (auto _ : state) {
    auto st = e.bias(n, n, 0, posenc::tensor_view(out.data(), heads, n, n));
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size() * sizeof(float)));
}

// Baseline: writing the same bytes as alibi_bias.
void memset_same_bytes(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  posenc::bench::memset_baseline(state, heads * n * n * std::int64_t{sizeof(float)});
}

}  // namespace

BENCHMARK_CAPTURE(alibi_bias, causal, true)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK_CAPTURE(alibi_bias, symmetric, false)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(memset_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
