// ALiBi bias fill, [heads, Q, K] float (and bfloat16), against memset and ordinary stores of
// the same bytes (docs/encodings/alibi.md). The target: bias at heads 12, Q = K = 512 within
// 1.5x of writing the same bytes. memset may stream large buffers past the caches on some CPUs
// (docs/performance.md, "Bias fills"), so compare with both baselines. Bytes processed =
// output bytes for all, so "time / baseline" is the ratio of the bytes/s; memcpy_same_bytes
// (copying the output's bytes, 2 x bytes processed) is there for scale.
// Run: build/bench/bench_alibi --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/alibi.hpp>

#include "baselines.hpp"

namespace {

constexpr std::int64_t heads = 12;

void alibi_bias(benchmark::State& state, bool causal) {
  posenc::bench::bias_bench(state, *posenc::alibi::make({.num_heads = heads, .causal = causal}), heads);
}

// The causal bias into bfloat16 logits (half the bytes).
void alibi_bias_bf16(benchmark::State& state) {
  posenc::bench::bias_bench<posenc::bfloat16>(state, *posenc::alibi::make({.num_heads = heads}), heads);
}

// Baselines: writing the same bytes (memset, and ordinary stores) as alibi_bias, and as alibi_bias_bf16.
void memset_same_bytes(benchmark::State& state) { posenc::bench::memset_bias(state, heads); }
void memset_same_bytes_16bit(benchmark::State& state) { posenc::bench::memset_bias(state, heads, 2); }
void stores_same_bytes(benchmark::State& state) { posenc::bench::stores_bias(state, heads); }
void stores_same_bytes_16bit(benchmark::State& state) { posenc::bench::stores_bias(state, heads, 2); }
void memcpy_same_bytes(benchmark::State& state) { posenc::bench::memcpy_bias(state, heads); }

}  // namespace

BENCHMARK_CAPTURE(alibi_bias, causal, true)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK_CAPTURE(alibi_bias, symmetric, false)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(memset_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(stores_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(memcpy_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(alibi_bias_bf16)->Arg(512);
BENCHMARK(memset_same_bytes_16bit)->Arg(512);
BENCHMARK(stores_same_bytes_16bit)->Arg(512);
