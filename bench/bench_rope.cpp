// RoPE rotation throughput, in place, against memcpy of the same bytes (docs/performance.md).
//
// q is [tokens, 32 heads, 128 dims], positions 0 .. tokens-1, cos/sin from the encoder's table
// (max_positions 4096 covers every position); the _two_level and _exact_fill variants use
// positions 1,000,000 .. 1,000,000 + tokens - 1, outside that table, with each angle_source
// (docs/performance.md, "cos/sin source"). Bytes processed = 2 x tensor bytes (read + write)
// for the rotations and for memcpy alike, so "time / memcpy" is the ratio of the bytes/s figures.
// Run: build-b/bench/bench_rope --benchmark_repetitions=3 --benchmark_min_time=0.2
//      --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <posenc/posenc.hpp>
#include <random>
#include <vector>

namespace {

constexpr std::int64_t heads = 32;
constexpr std::int64_t head_dim = 128;
constexpr std::int64_t max_tokens = 4096;

// A 64-byte aligned buffer of n elements with values in [-1, 1).
template <class T>
struct buffer {
  explicit buffer(std::int64_t n) : n_(n) {
    const std::size_t bytes = (static_cast<std::size_t>(n) * sizeof(T) + 63) / 64 * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (std::int64_t i = 0; i < n; ++i) data_[i] = posenc::kernels::narrow<T>(u(gen));
  }
  ~buffer() { std::free(data_); }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  T* data() const { return data_; }
  std::int64_t size() const { return n_; }

 private:
  T* data_ = nullptr;
  std::int64_t n_ = 0;
};

const posenc::rope& encoder(posenc::rope_layout layout) {
  static const posenc::rope half = *posenc::rope::make(
      {.head_dim = head_dim, .layout = posenc::rope_layout::half, .max_positions = max_tokens});
  static const posenc::rope interleaved = *posenc::rope::make(
      {.head_dim = head_dim, .layout = posenc::rope_layout::interleaved,
       .max_positions = max_tokens});
  return layout == posenc::rope_layout::half ? half : interleaved;
}

// The half-layout encoder with the given source for positions outside its 4096-row table.
const posenc::rope& encoder(posenc::rope_angle_source source) {
  static const posenc::rope two_level = *posenc::rope::make(
      {.head_dim = head_dim, .max_positions = max_tokens,
       .angle_source = posenc::rope_angle_source::two_level});
  return source == posenc::rope_angle_source::two_level ? two_level
                                                        : encoder(posenc::rope_layout::half);
}

// First position of the variants that run outside the table.
constexpr std::int64_t far_position = 1000000;

std::vector<std::int64_t> positions(std::int64_t tokens, std::int64_t first = 0) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(tokens));
  std::iota(p.begin(), p.end(), first);
  return p;
}

template <class T>
void rope_rotate(benchmark::State& state, const posenc::rope& rope, posenc::isa path,
                 std::int64_t first_position = 0) {
  const std::int64_t tokens = state.range(0);
  const posenc::isa before = posenc::active_isa();
  if (!posenc::force_isa(path).ok()) {
    state.SkipWithError("instruction set not supported here");
    return;
  }
  buffer<T> x(tokens * heads * head_dim);
  const auto pos = positions(tokens, first_position);
  const auto view = posenc::heads_view(x.data(), tokens, heads, head_dim);
  if (const posenc::status st = rope.rotate(view, pos); !st.ok()) {
    state.SkipWithError(st.message().c_str());
    (void)posenc::force_isa(before);
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(rope.rotate(view, pos).ok());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * x.size() * std::int64_t{sizeof(T)});
  (void)posenc::force_isa(before);
}

void rope_qk_f32_half(benchmark::State& state) {
  const std::int64_t tokens = state.range(0);
  const posenc::rope& rope = encoder(posenc::rope_layout::half);
  buffer<float> q(tokens * heads * head_dim), k(tokens * heads * head_dim);
  const auto pos = positions(tokens);
  const auto qv = posenc::heads_view(q.data(), tokens, heads, head_dim);
  const auto kv = posenc::heads_view(k.data(), tokens, heads, head_dim);
  if (const posenc::status st = rope.rotate(qv, kv, pos); !st.ok()) {
    state.SkipWithError(st.message().c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(rope.rotate(qv, kv, pos).ok());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * (q.size() + k.size()) *
                          std::int64_t{sizeof(float)});
}

void memcpy_bytes(benchmark::State& state, std::size_t element_bytes) {
  const std::int64_t n = state.range(0) * heads * head_dim;
  const std::size_t bytes = static_cast<std::size_t>(n) * element_bytes;
  buffer<float> src((n * static_cast<std::int64_t>(element_bytes) + 3) / 4);
  buffer<float> dst((n * static_cast<std::int64_t>(element_bytes) + 3) / 4);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(bytes));
}

using posenc::rope_layout;
void rope_f32_half(benchmark::State& s) {
  rope_rotate<float>(s, encoder(rope_layout::half), posenc::best_isa());
}
void rope_f32_interleaved(benchmark::State& s) {
  rope_rotate<float>(s, encoder(rope_layout::interleaved), posenc::best_isa());
}
void rope_bf16_half(benchmark::State& s) {
  rope_rotate<posenc::bfloat16>(s, encoder(rope_layout::half), posenc::best_isa());
}
void rope_f16_half(benchmark::State& s) {
  rope_rotate<posenc::float16>(s, encoder(rope_layout::half), posenc::best_isa());
}
void rope_f32_half_scalar(benchmark::State& s) {
  rope_rotate<float>(s, encoder(rope_layout::half), posenc::isa::scalar);
}
// The AVX2 kernels (forced; skipped where the CPU lacks AVX2): the x86 path without AVX-512.
void rope_f32_half_avx2(benchmark::State& s) {
  rope_rotate<float>(s, encoder(rope_layout::half), posenc::isa::avx2);
}
void rope_f32_interleaved_avx2(benchmark::State& s) {
  rope_rotate<float>(s, encoder(rope_layout::interleaved), posenc::isa::avx2);
}
void rope_f32_half_two_level(benchmark::State& s) {
  rope_rotate<float>(s, encoder(posenc::rope_angle_source::two_level), posenc::best_isa(),
                     far_position);
}
void rope_f32_half_exact_fill(benchmark::State& s) {
  rope_rotate<float>(s, encoder(posenc::rope_angle_source::exact), posenc::best_isa(),
                     far_position);
}
void memcpy_f32(benchmark::State& s) { memcpy_bytes(s, sizeof(float)); }
void memcpy_16bit(benchmark::State& s) { memcpy_bytes(s, sizeof(std::uint16_t)); }

void token_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tokens"});
  for (std::int64_t t : {1, 64, 512, 4096}) b->Arg(t);
}

}  // namespace

BENCHMARK(rope_f32_half)->Apply(token_args);
BENCHMARK(rope_f32_interleaved)->Apply(token_args);
BENCHMARK(rope_bf16_half)->Apply(token_args);
BENCHMARK(rope_f16_half)->Apply(token_args);
BENCHMARK(rope_f32_half_scalar)->Apply(token_args);
BENCHMARK(rope_f32_half_avx2)->Apply(token_args);
BENCHMARK(rope_f32_interleaved_avx2)->Apply(token_args);
BENCHMARK(rope_f32_half_two_level)->Apply(token_args);
BENCHMARK(rope_f32_half_exact_fill)->Apply(token_args);
BENCHMARK(rope_qk_f32_half)->Apply(token_args);
BENCHMARK(memcpy_f32)->Apply(token_args);
BENCHMARK(memcpy_16bit)->Apply(token_args);
