// RoPE linear attention (RoFormer eq. 19) at heads 8, d = dv = 64, tokens 1k..16k: causal chunked
// prefill, non-causal, and token-by-token decode, each reporting ns per token; a quadratic causal
// softmax attention beside it (Eigen, 64-query blocks) shows the crossover; memcpy of the same
// bytes (q, k, v read, out written) is the memory-speed baseline. BM_flatness reports the
// 16k / 1k per-token time ratio of the causal prefill (the O(N) claim: <= 1.3).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <posenc/rotary/linear_attention.hpp>
#include <random>
#include <vector>

namespace {

constexpr std::int64_t heads = 8, d = 64, dv = 64;

struct inputs {
  std::int64_t tokens;
  std::vector<float> q, k, v, out;
  std::vector<std::int64_t> pos;
  explicit inputs(std::int64_t t) : tokens(t) {
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto* x : {&q, &k}) {
      x->resize(static_cast<std::size_t>(t * heads * d));
      for (auto& e : *x) e = u(gen);
    }
    v.resize(static_cast<std::size_t>(t * heads * dv));
    for (auto& e : v) e = u(gen);
    out.resize(v.size());
    pos.resize(static_cast<std::size_t>(t));
    std::iota(pos.begin(), pos.end(), 0);
  }
  double bytes() const { return static_cast<double>(tokens * heads * (2 * d + 2 * dv) * 4); }
};

const posenc::rope_linear_attention& encoder() {
  static const auto enc = [] {
    posenc::linear_attention_config cfg;
    cfg.rope.head_dim = d;
    cfg.rope.max_positions = 16384;  // cos/sin from the table
    return std::move(*posenc::rope_linear_attention::make(cfg));
  }();
  return enc;
}

void per_token(benchmark::State& state, std::int64_t tokens, double bytes) {
  state.SetItemsProcessed(state.iterations() * tokens);
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * bytes));
  state.counters["ns_per_token"] = benchmark::Counter(
      static_cast<double>(tokens) * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
                                              benchmark::Counter::kInvert);
}

void BM_linear_attention(benchmark::State& state, bool causal) {
  inputs in(state.range(0));
  auto st = encoder().make_state(heads, dv);
  for (auto _ : state) {
    auto s = encoder().attend(posenc::heads_view<const float>(in.q.data(), in.tokens, heads, d),
                              posenc::heads_view<const float>(in.k.data(), in.tokens, heads, d),
                              posenc::heads_view<const float>(in.v.data(), in.tokens, heads, dv), in.pos,
                              posenc::heads_view(in.out.data(), in.tokens, heads, dv), causal, *st);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(in.out.data());
  }
  per_token(state, in.tokens, in.bytes());
}

void BM_linear_attention_decode(benchmark::State& state) {
  inputs in(state.range(0));
  auto st = encoder().make_state(heads, dv);
  for (auto _ : state) {
    st->reset();
    for (std::int64_t t = 0; t < in.tokens; ++t) {
      auto a = st->push(posenc::matrix_view<const float>(in.k.data() + t * heads * d, heads, d),
                        posenc::matrix_view<const float>(in.v.data() + t * heads * dv, heads, dv), t);
      auto b = st->query(posenc::matrix_view<const float>(in.q.data() + t * heads * d, heads, d), t,
                         posenc::matrix_view(in.out.data() + t * heads * dv, heads, dv));
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(b);
    }
    benchmark::DoNotOptimize(in.out.data());
  }
  per_token(state, in.tokens, in.bytes());
}

// Quadratic causal softmax attention (no positions: a lower bound for any rotary variant).
void BM_softmax_attention_causal(benchmark::State& state) {
  inputs in(state.range(0));
  using mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using smap = Eigen::Map<const mat, Eigen::Unaligned, Eigen::OuterStride<>>;
  constexpr std::int64_t block = 64;
  mat scores(block, in.tokens);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (auto _ : state) {
    for (std::int64_t h = 0; h < heads; ++h) {
      for (std::int64_t i0 = 0; i0 < in.tokens; i0 += block) {
        const std::int64_t nq = std::min(block, in.tokens - i0), nk = i0 + nq;
        smap q(in.q.data() + (i0 * heads + h) * d, nq, d, Eigen::OuterStride<>(heads * d));
        smap k(in.k.data() + h * d, nk, d, Eigen::OuterStride<>(heads * d));
        smap v(in.v.data() + h * dv, nk, dv, Eigen::OuterStride<>(heads * dv));
        auto s = scores.topLeftCorner(nq, nk);
        s.noalias() = (q * k.transpose()) * scale;
        for (std::int64_t r = 0; r < nq; ++r) {
          auto row = s.row(r).head(i0 + r + 1);
          const float mx = row.maxCoeff();
          row = (row.array() - mx).exp();
          row /= row.sum();
          s.row(r).tail(nk - (i0 + r + 1)).setZero();
        }
        Eigen::Map<mat, Eigen::Unaligned, Eigen::OuterStride<>> o(
            in.out.data() + (i0 * heads + h) * dv, nq, dv, Eigen::OuterStride<>(heads * dv));
        o.noalias() = s * v;
      }
    }
    benchmark::DoNotOptimize(in.out.data());
  }
  per_token(state, in.tokens, in.bytes());
}

// Copies half of in.bytes(): a copy reads and writes each byte, so its traffic is the same
// in.bytes() the attention calls report (q, k, v read, out written).
void BM_memcpy(benchmark::State& state) {
  inputs in(state.range(0));
  const auto n = static_cast<std::size_t>(in.bytes() / 8);
  std::vector<float> src(n, 1.0f), dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * 4);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  per_token(state, in.tokens, in.bytes());
}

// Per-token time of the causal prefill at 16k over that at 1k, best of several runs each.
void BM_flatness(benchmark::State& state) {
  auto best_per_token = [](std::int64_t tokens) {
    inputs in(tokens);
    auto st = encoder().make_state(heads, dv);
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      auto s = encoder().attend(posenc::heads_view<const float>(in.q.data(), tokens, heads, d),
                                posenc::heads_view<const float>(in.k.data(), tokens, heads, d),
                                posenc::heads_view<const float>(in.v.data(), tokens, heads, dv), in.pos,
                                posenc::heads_view(in.out.data(), tokens, heads, dv), true, *st);
      benchmark::DoNotOptimize(s);
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      best = std::min(best, dt.count() / static_cast<double>(tokens));
    }
    return best;
  };
  double ratio = 0;
  for (auto _ : state) ratio = best_per_token(16384) / best_per_token(1024);
  state.counters["ratio_16k_over_1k"] = ratio;
}

}  // namespace

BENCHMARK_CAPTURE(BM_linear_attention, causal, true)->RangeMultiplier(2)->Range(1024, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_linear_attention, noncausal, false)->RangeMultiplier(2)->Range(1024, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_linear_attention_decode)->RangeMultiplier(2)->Range(1024, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_softmax_attention_causal)->RangeMultiplier(2)->Range(1024, 4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_memcpy)->RangeMultiplier(2)->Range(1024, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_flatness)->Iterations(1)->Unit(benchmark::kMillisecond);
