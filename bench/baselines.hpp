// Shared pieces of the benches: deterministic inputs and the memory-speed baselines every bench
// carries in its own binary, so each result reads as "x of memcpy/memset of the same bytes".
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include <posenc/kernels/dispatch.hpp>
#include <posenc/tensor.hpp>

namespace posenc::bench {

/// n floats uniform in [-scale, scale), the same on every run.
inline std::vector<float> random_floats(std::int64_t n, float scale = 1.0f) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-scale, scale);
  for (auto& x : v) x = u(gen);
  return v;
}

/// The positions first, first + 1, ..., first + n - 1.
inline std::vector<std::int64_t> iota_positions(std::int64_t n, std::int64_t first = 0) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), first);
  return p;
}

/// Copies `bytes` bytes per iteration; reports 2 x bytes processed (read + write) and `items`.
inline void memcpy_baseline(benchmark::State& state, std::int64_t bytes, std::int64_t items = 0) {
  std::vector<unsigned char> src(static_cast<std::size_t>(bytes), 1), dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * bytes);
  if (items > 0) state.SetItemsProcessed(state.iterations() * items);
}

namespace detail {
// A write baseline: write(dst, bytes) over one buffer per iteration; reports bytes processed
// and `items`.
template <class Write>
void write_baseline(benchmark::State& state, std::int64_t bytes, std::int64_t items, Write write) {
  std::vector<unsigned char> dst(static_cast<std::size_t>(bytes));
  for (auto _ : state) {
    write(dst.data(), dst.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  if (items > 0) state.SetItemsProcessed(state.iterations() * items);
}
}  // namespace detail

/// Writes `bytes` bytes per iteration with the C library's memset; reports bytes processed and
/// `items`. On some CPUs memset streams large buffers past the caches (glibc's `rep stosb` on
/// the Zen 5 of docs/performance.md does above ~3 MiB), so stores_baseline is timed beside it.
inline void memset_baseline(benchmark::State& state, std::int64_t bytes, std::int64_t items = 0) {
  detail::write_baseline(state, bytes, items,
                         [](unsigned char* d, std::size_t n) { std::memset(d, 1, n); });
}

/// Writes `bytes` bytes per iteration with ordinary stores through the caches, at the widest
/// width the CPU has: a 4 KiB block that stays in L1 copied over the buffer by the library's
/// row-copy kernel (kernels::copy_rows: 64-byte stores with AVX-512, the C library's memcpy
/// elsewhere). The bias fills do the same copies, from shifted sources, plus their values.
inline void stores_baseline(benchmark::State& state, std::int64_t bytes, std::int64_t items = 0) {
  constexpr std::int64_t block = 4096;
  std::vector<unsigned char> pattern(static_cast<std::size_t>(block));
  std::iota(pattern.begin(), pattern.end(), static_cast<unsigned char>(1));
  const kernels::copy_rows_fn copy = kernels::copy_rows_kernel();
  detail::write_baseline(state, bytes, items, [&](unsigned char* d, std::size_t) {
    copy(d, block, pattern.data(), 0, bytes / block, block);
    copy(d + bytes - bytes % block, 0, pattern.data(), 0, 1, bytes % block);
  });
}

/// Times a BiasEncoder's bias(n, n, 0, out) into out [heads, n, n] of T (float, or a 16-bit
/// type), n = state.range(0); reports the output bytes, as memset_bias does.
template <class T = float, class Encoder>
void bias_bench(benchmark::State& state, const Encoder& enc, std::int64_t heads) {
  const std::int64_t n = state.range(0);
  std::vector<T> out(static_cast<std::size_t>(heads * n * n));
  for (auto _ : state) {
    auto st = enc.bias(n, n, 0, tensor_view(out.data(), heads, n, n));
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size() * sizeof(T)));
}

/// The baselines of bias_bench: memset, ordinary stores and memcpy of the same bytes (elements
/// of element_bytes each; memcpy reads them too and reports 2 x bytes, as memcpy_baseline does).
inline void memcpy_bias(benchmark::State& state, std::int64_t heads,
                        std::int64_t element_bytes = sizeof(float)) {
  const std::int64_t n = state.range(0);
  memcpy_baseline(state, heads * n * n * element_bytes);
}
inline void memset_bias(benchmark::State& state, std::int64_t heads,
                        std::int64_t element_bytes = sizeof(float)) {
  const std::int64_t n = state.range(0);
  memset_baseline(state, heads * n * n * element_bytes);
}
inline void stores_bias(benchmark::State& state, std::int64_t heads,
                        std::int64_t element_bytes = sizeof(float)) {
  const std::int64_t n = state.range(0);
  stores_baseline(state, heads * n * n * element_bytes);
}

/// Times a ScoreEncoder's add_scores on q, k [n, heads, head_dim] (values in [-scale, scale))
/// into logits [heads, n, n], n = state.range(0); reports 2 x logits bytes (read + write, as
/// memcpy_logits moves) and one item per logit.
template <class Encoder>
void add_scores_bench(benchmark::State& state, const Encoder& enc, std::int64_t heads,
                      std::int64_t head_dim, float scale = 1.0f) {
  const std::int64_t n = state.range(0);
  const auto q = random_floats(n * heads * head_dim, scale);
  const auto k = random_floats(n * heads * head_dim, scale);
  std::vector<float> logits(static_cast<std::size_t>(heads * n * n));
  for (auto _ : state) {
    auto st = enc.add_scores(heads_view(q.data(), n, heads, head_dim),
                             heads_view(k.data(), n, heads, head_dim), 0,
                             tensor_view(logits.data(), heads, n, n));
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(logits.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * heads * n * n);
  state.SetBytesProcessed(state.iterations() * 2 * heads * n * n * std::int64_t{sizeof(float)});
}

/// The baseline of add_scores_bench: memcpy of the logits' bytes.
inline void memcpy_logits(benchmark::State& state, std::int64_t heads) {
  const std::int64_t n = state.range(0);
  memcpy_baseline(state, heads * n * n * std::int64_t{sizeof(float)}, heads * n * n);
}

}  // namespace posenc::bench
