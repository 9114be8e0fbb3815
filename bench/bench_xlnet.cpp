// XLNet relative attention: the direct (q+u).k and (q+v).W_R R terms (add_scores) and the
// relative sinusoid table, against memcpy/memset of the same output bytes
// (docs/performance.md).
//
// xlnet-base shape: d_model 768, 12 heads, d_head 64, clamp_len -1 with max_distance 1024,
// Q = K (no memory). add_scores reads and writes logits [12, Q, K] (bytes = 2 x logits bytes,
// as memcpy moves). The table is [K + Q, 768] floats written once (bytes = table bytes).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <posenc/relative/xlnet.hpp>
#include <vector>

#include "baselines.hpp"

namespace {

using posenc::bench::random_floats;

constexpr std::int64_t heads = 12, head_dim = 64, d_model = 768;
const posenc::xlnet_config cfg{.d_model = d_model, .heads = heads, .head_dim = head_dim,
                               .max_distance = 1024};

const posenc::xlnet& encoder() {
  static const auto u = random_floats(heads * head_dim, 0.1f), v = random_floats(heads * head_dim, 0.1f);
  static const auto w = random_floats(d_model * heads * head_dim, 0.1f);
  static const posenc::xlnet enc = *posenc::xlnet::make(
      cfg, {posenc::matrix_view(u.data(), heads, head_dim), posenc::matrix_view(v.data(), heads, head_dim),
            posenc::matrix_view(w.data(), d_model, heads * head_dim)});
  return enc;
}

void xlnet_add_scores(benchmark::State& state) {
  posenc::bench::add_scores_bench(state, encoder(), heads, head_dim, 0.1f);
}

void memcpy_logits(benchmark::State& state) { posenc::bench::memcpy_logits(state, heads); }

void xlnet_table(benchmark::State& state) {
  const std::int64_t n = state.range(0), rows = 2 * n;
  std::vector<float> y(static_cast<std::size_t>(rows * d_model));
  for (auto _ : state) {
    auto st = posenc::xlnet_relative_table(cfg, n, n, posenc::matrix_view(y.data(), rows, d_model));
    benchmark::DoNotOptimize(st);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * rows * d_model);
  state.SetBytesProcessed(state.iterations() * rows * d_model * std::int64_t{sizeof(float)});
}

void memset_table(benchmark::State& state) {
  const std::int64_t n = state.range(0), rows = 2 * n;
  posenc::bench::memset_baseline(state, rows * d_model * std::int64_t{sizeof(float)}, rows * d_model);
}

}  // namespace

BENCHMARK(xlnet_add_scores)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(memcpy_logits)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(xlnet_table)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(memset_table)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
