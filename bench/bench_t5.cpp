// T5 relative bias fill, [heads, Q, K] float (and bfloat16), against memset and ordinary stores of
// the same bytes (docs/encodings/t5.md). The target: bias at heads 12, Q = K = 512 within
// 1.5x of writing the same bytes. memset may stream large buffers past the caches on some CPUs
// (docs/performance.md, "Bias fills"), so compare with both baselines. Bytes processed =
// output bytes for all, so "time / baseline" is the ratio of the bytes/s; memcpy_same_bytes
// (copying the output's bytes, 2 x bytes processed) is there for scale.
// Run: build/bench/bench_t5 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/t5.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

constexpr std::int64_t heads = 12;

const posenc::t5& encoder(bool bidirectional) {
  static const std::vector<float> w = [] {
    std::vector<float> v(32 * heads);
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = 0.001f * static_cast<float>(k);
    return v;
  }();
  static const posenc::t5 enc = *posenc::t5::make(
      {.num_heads = heads}, posenc::matrix_view(w.data(), 32, heads));
  static const posenc::t5 dec = *posenc::t5::make(
      {.bidirectional = false, .num_heads = heads}, posenc::matrix_view(w.data(), 32, heads));
  return bidirectional ? enc : dec;
}

void t5_bias(benchmark::State& state, bool bidirectional) {
  posenc::bench::bias_bench(state, encoder(bidirectional), heads);
}

void t5_relative_positions(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n * n));
  const auto& e = encoder(true);
  for (auto _ : state) {
    auto st = e.relative_positions(n, n, 0, posenc::matrix_view(out.data(), n, n));
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size() * sizeof(std::int64_t)));
  state.SetItemsProcessed(state.iterations() * n * n);
}

// Its baseline: memset of the same int64 bytes.
void memset_same_bytes_int64(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  posenc::bench::memset_baseline(state, n * n * std::int64_t{sizeof(std::int64_t)}, n * n);
}

// The encoder bias into bfloat16 logits (half the bytes).
void t5_bias_bf16(benchmark::State& state) {
  posenc::bench::bias_bench<posenc::bfloat16>(state, encoder(true), heads);
}

// Baselines: writing the same bytes (memset, and ordinary stores) as t5_bias, and as t5_bias_bf16.
void memset_same_bytes(benchmark::State& state) { posenc::bench::memset_bias(state, heads); }
void memset_same_bytes_16bit(benchmark::State& state) { posenc::bench::memset_bias(state, heads, 2); }
void stores_same_bytes(benchmark::State& state) { posenc::bench::stores_bias(state, heads); }
void stores_same_bytes_16bit(benchmark::State& state) { posenc::bench::stores_bias(state, heads, 2); }
void memcpy_same_bytes(benchmark::State& state) { posenc::bench::memcpy_bias(state, heads); }

}  // namespace

BENCHMARK_CAPTURE(t5_bias, encoder, true)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK_CAPTURE(t5_bias, decoder, false)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(memset_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(stores_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(memcpy_same_bytes)->Arg(128)->Arg(512)->Arg(2048);
BENCHMARK(t5_bias_bf16)->Arg(512);
BENCHMARK(memset_same_bytes_16bit)->Arg(512);
BENCHMARK(stores_same_bytes_16bit)->Arg(512);
BENCHMARK(t5_relative_positions)->Arg(512);
BENCHMARK(memset_same_bytes_int64)->Arg(512);
