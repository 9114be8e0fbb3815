// Sinusoidal table fill, [tokens, d] float, against memset and memcpy of the same bytes
// (docs/encodings/sinusoidal.md). Every value is an exact-phase double sin/cos rounded once, so
// this is compute-bound: engines fill the table once at load and then copy rows (bench_learned
// measures that lookup). Bytes processed = output bytes (memcpy: 2 x, read and write).
// Run: build/bench/bench_sinusoidal --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/absolute/sinusoidal.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

constexpr std::int64_t d_model = 512;

void sinusoidal_encode(benchmark::State& state, posenc::sinusoidal_layout layout) {
  const std::int64_t tokens = state.range(0);
  const auto e = *posenc::sinusoidal::make({.d_model = d_model, .layout = layout});
  const auto p = posenc::bench::iota_positions(tokens);
  std::vector<float> out(static_cast<std::size_t>(tokens * d_model));
  for (auto _ : state) {
    auto st = e.encode(p, posenc::matrix_view(out.data(), tokens, d_model));
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size() * sizeof(float)));
}

// Baselines: writing the same bytes as sinusoidal_encode, and copying them (2 x bytes).
void memset_same_bytes(benchmark::State& state) {
  posenc::bench::memset_baseline(state, state.range(0) * d_model * std::int64_t{sizeof(float)});
}
void memcpy_same_bytes(benchmark::State& state) {
  posenc::bench::memcpy_baseline(state, state.range(0) * d_model * std::int64_t{sizeof(float)});
}

}  // namespace

BENCHMARK_CAPTURE(sinusoidal_encode, interleaved, posenc::sinusoidal_layout::interleaved)->Arg(512);
BENCHMARK_CAPTURE(sinusoidal_encode, concat, posenc::sinusoidal_layout::concat)->Arg(512);
BENCHMARK(memset_same_bytes)->Arg(512);
BENCHMARK(memcpy_same_bytes)->Arg(512);
