// FoPE beside RoPE at the same shapes (heads 32, head_dim 128, tokens 1/64/512/4096, positions
// from 1000 on), in place on a [tokens, heads, head_dim] float buffer: FoPE with the per-token
// series computed on the fly (M = 46 inputs, N = 32 slots per head, L_train 4096) and from its
// per-position cache, RoPE with cos/sin on the fly and from its table, and memcpy of the same
// bytes (read + write of x) as the memory-speed baseline.
#include <benchmark/benchmark.h>

#include <posenc/rotary/fope.hpp>
#include <posenc/rotary/rope.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

constexpr std::int64_t heads = 32, head_dim = 128;

struct buffers {
  std::vector<float> x;
  std::vector<std::int64_t> pos;
  explicit buffers(std::int64_t tokens)
      : x(posenc::bench::random_floats(tokens * heads * head_dim)),
        pos(posenc::bench::iota_positions(tokens, 1000)) {}
};

void report(benchmark::State& state, std::int64_t tokens) {
  state.SetItemsProcessed(state.iterations() * tokens);
  state.SetBytesProcessed(state.iterations() * tokens * heads * head_dim * 4 * 2);
}

const posenc::fope& fope_encoder(bool cached) {
  auto make = [](std::int64_t rows) {
    posenc::fope_config cfg;
    cfg.head_dim = head_dim;
    cfg.heads = heads;
    cfg.max_sequence_length = 4096;
    cfg.max_positions = rows;
    auto coef = posenc::fope::init_coefficients(cfg, 1);
    return std::move(*posenc::fope::make(cfg, std::move(*coef)));
  };
  static const auto plain = make(0);
  static const auto table = make(8192);
  return cached ? table : plain;
}

const posenc::rope& rope_encoder(bool cached) {
  static const auto plain = std::move(*posenc::rope::make({.head_dim = head_dim}));
  static const auto table = std::move(*posenc::rope::make({.head_dim = head_dim, .max_positions = 8192}));
  return cached ? table : plain;
}

template <class Enc>
void run(benchmark::State& state, const Enc& enc) {
  const std::int64_t tokens = state.range(0);
  buffers b(tokens);
  for (auto _ : state) {
    auto s = enc.rotate(posenc::heads_view(b.x.data(), tokens, heads, head_dim), b.pos);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(b.x.data());
  }
  report(state, tokens);
}

void BM_fope(benchmark::State& state) { run(state, fope_encoder(false)); }
void BM_fope_cached(benchmark::State& state) { run(state, fope_encoder(true)); }
void BM_rope(benchmark::State& state) { run(state, rope_encoder(false)); }
void BM_rope_table(benchmark::State& state) { run(state, rope_encoder(true)); }

void BM_memcpy(benchmark::State& state) {
  const std::int64_t tokens = state.range(0);
  posenc::bench::memcpy_baseline(state, tokens * heads * head_dim * 4, tokens);
}

}  // namespace

#define POSENC_SHAPES ->Arg(1)->Arg(64)->Arg(512)->Arg(4096)
BENCHMARK(BM_fope) POSENC_SHAPES;
BENCHMARK(BM_fope_cached) POSENC_SHAPES;
BENCHMARK(BM_rope) POSENC_SHAPES;
BENCHMARK(BM_rope_table) POSENC_SHAPES;
BENCHMARK(BM_memcpy) POSENC_SHAPES;
