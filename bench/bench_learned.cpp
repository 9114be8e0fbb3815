// Learned table lookup, Y [tokens, d] = W[P + offset], against memcpy of the same bytes
// (docs/encodings/learned.md). OPT-shaped table: 2050 rows of 768 floats, offset 2, positions
// 0 .. tokens-1. Bytes processed = bytes read + bytes written for the lookup, add_to and memcpy
// alike (add_to also reads x, so it moves 3x the row bytes).
// Run: build/bench/bench_learned --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/absolute/learned.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

constexpr std::int64_t rows = 2050, width = 768, offset = 2;

const posenc::learned& encoder() {
  static const std::vector<float> w(static_cast<std::size_t>(rows * width), 0.5f);
  static const posenc::learned e = *posenc::learned::make(
      {.rows = rows, .hidden_size = width, .position_offset = offset},
      posenc::matrix_view(w.data(), rows, width));
  return e;
}

void learned_encode(benchmark::State& state) {
  const std::int64_t tokens = state.range(0);
  const auto p = posenc::bench::iota_positions(tokens);
  std::vector<float> out(static_cast<std::size_t>(tokens * width));
  for (auto _ : state) {
    auto st = encoder().encode(p, posenc::matrix_view(out.data(), tokens, width));
    benchmark::DoNotOptimize(st);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(out.size() * sizeof(float)));
}

void learned_add_to(benchmark::State& state) {
  const std::int64_t tokens = state.range(0);
  const auto p = posenc::bench::iota_positions(tokens);
  std::vector<float> x(static_cast<std::size_t>(tokens * width), 1.0f);
  for (auto _ : state) {
    auto st = encoder().add_to(posenc::matrix_view(x.data(), tokens, width), p);
    benchmark::DoNotOptimize(st);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 3 * static_cast<std::int64_t>(x.size() * sizeof(float)));
}

// Baseline: copying the same rows (read + write).
void memcpy_same_bytes(benchmark::State& state) {
  posenc::bench::memcpy_baseline(state, state.range(0) * width * std::int64_t{sizeof(float)});
}

}  // namespace

BENCHMARK(learned_encode)->Arg(128)->Arg(2048);
BENCHMARK(learned_add_to)->Arg(128)->Arg(2048);
BENCHMARK(memcpy_same_bytes)->Arg(128)->Arg(2048);
