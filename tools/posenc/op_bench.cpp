// posenc bench [--json] [--tokens N]: a timing table of every encoder on this machine, each next
// to a memcpy (in-place or read-write ops) or, for ops that only write, the faster of a memset
// and ordinary stores of the same bytes (memset may stream large buffers past the caches:
// docs/performance.md, "Bias fills"), so a figure reads as "x of memory speed". One thread,
// median of several samples; each sample repeats the call until it lasts about 2 ms. bench/
// has the Google Benchmark versions with more shapes; this is the quick look.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <posenc/posenc.hpp>

#include "cli.hpp"

namespace posenc::cli {
namespace {

struct row {
  std::string encoder, operation, shape;
  double bytes = 0.0;       // bytes the op writes (and reads back, for in-place ops)
  double seconds = 0.0;     // median per call
  const char* baseline_name = "memcpy";  // memcpy, or memset / stores for write-only ops
  double baseline = 0.0;    // median per call of the baseline on the same bytes
};

// Median seconds per call of f: samples of `reps` calls, reps sized so a sample lasts ~2 ms.
double time_call(const std::function<void()>& f, int samples) {
  f();  // warm up (tables, page faults)
  const double once = median_seconds(f, 1);
  const int reps = std::max(1, static_cast<int>(2e-3 / std::max(once, 1e-9)));
  return median_seconds([&] { for (int r = 0; r < reps; ++r) f(); }, samples) / reps;
}

std::string dims(std::initializer_list<std::int64_t> d) {
  std::string s;
  for (auto v : d) {
    if (!s.empty()) s += 'x';
    s += std::to_string(v);
  }
  return s;
}

class runner {
 public:
  explicit runner(int samples) : samples_(samples) {}

  // Times op (which must leave `st` ok) and its baseline on `bytes` bytes.
  status add(std::string encoder, std::string operation, std::string shape, double bytes,
             bool writes_only, const std::function<status()>& op) {
    status st;
    const double s = time_call([&] { st = op(); }, samples_);
    POSENC_TRY(st);
    const auto n = static_cast<std::size_t>(bytes);
    if (src_.size() < n) src_.assign(n, 1), dst_.assign(n, 0);
    row x{std::move(encoder), std::move(operation), std::move(shape), bytes, s};
    if (writes_only) {
      const double set = time_call([&] { std::memset(dst_.data(), 1, n); escape(dst_.data()); }, samples_);
      const double stores = time_call([&] { write_stores(dst_.data(), n); escape(dst_.data()); }, samples_);
      x.baseline_name = set <= stores ? "memset" : "stores";
      x.baseline = std::min(set, stores);
    } else {
      x.baseline = time_call([&] { std::memcpy(dst_.data(), src_.data(), n); escape(dst_.data()); }, samples_);
    }
    rows_.push_back(std::move(x));
    return {};
  }
  const std::vector<row>& rows() const { return rows_; }

 private:
  static void escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }
  // n bytes with ordinary (cached) stores at the widest width: a 4 KiB block that stays in L1,
  // copied over dst by the library's row-copy kernel (as bench/baselines.hpp's stores_baseline).
  void write_stores(unsigned char* d, std::size_t bytes) const {
    const auto n = static_cast<std::int64_t>(bytes);
    copy_(d, block_, pattern_.data(), 0, n / block_, block_);
    copy_(d + n - n % block_, 0, pattern_.data(), 0, 1, n % block_);
  }
  int samples_;
  std::vector<unsigned char> src_, dst_;
  static constexpr std::int64_t block_ = 4096;
  std::vector<unsigned char> pattern_ = std::vector<unsigned char>(static_cast<std::size_t>(block_), 1);
  kernels::copy_rows_fn copy_ = kernels::copy_rows_kernel();
  std::vector<row> rows_;
};

status run_all(runner& r, std::int64_t n) {
  // RoPE, Llama-3-8B shapes: 32 query heads, 8 key heads, head_dim 128.
  constexpr std::int64_t qh = 32, kh = 8, hd = 128;
  auto rope_enc = rope::make({.head_dim = hd, .theta = 500000.0,
                              .scaling = llama3_scaling{}, .max_positions = n});
  if (!rope_enc) return rope_enc.error();
  std::vector<std::int64_t> pos(static_cast<std::size_t>(n));
  for (std::int64_t t = 0; t < n; ++t) pos[static_cast<std::size_t>(t)] = t;
  auto q = random_floats(n * qh * hd, 1), k = random_floats(n * kh * hd, 2);
  const double qbytes = static_cast<double>(q.size() * 4), kbytes = static_cast<double>(k.size() * 4);
  POSENC_TRY(r.add("rope", "rotate f32 in place", dims({n, qh, hd}), qbytes, false,
                   [&] { return rope_enc->rotate(heads_view(q.data(), n, qh, hd), pos); }));
  POSENC_TRY(r.add("rope", "rotate q+k fused (GQA)", dims({n, qh, hd}) + " + " + dims({n, kh, hd}),
                   qbytes + kbytes, false, [&] {
                     return rope_enc->rotate(heads_view(q.data(), n, qh, hd),
                                             heads_view(k.data(), n, kh, hd), pos);
                   }));
  std::vector<bfloat16> qb(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) qb[i] = bfloat16(q[i]);
  POSENC_TRY(r.add("rope", "rotate bf16 in place", dims({n, qh, hd}), qbytes / 2, false,
                   [&] { return rope_enc->rotate(heads_view(qb.data(), n, qh, hd), pos); }));
  auto far = pos;
  for (auto& p : far) p += 1000000;  // past the table: exact cos/sin on the fly
  POSENC_TRY(r.add("rope", "rotate f32, positions 1e6+ (no table)", dims({n, qh, hd}), qbytes, false,
                   [&] { return rope_enc->rotate(heads_view(q.data(), n, qh, hd), far); }));
  POSENC_TRY(r.add("rope", "shift K cache by -512", dims({n, kh, hd}), kbytes, false,
                   [&] { return rope_enc->shift(heads_view(k.data(), n, kh, hd), std::int64_t{-512}); }));

  // FoPE, the paper's setting: head_dim 128, 32 coefficient heads, series cached.
  fope_config fc;
  fc.head_dim = hd, fc.heads = qh, fc.max_sequence_length = 4096, fc.max_positions = n;
  auto coef = fope::init_coefficients(fc, 1);
  if (!coef) return coef.error();
  auto fope_enc = fope::make(fc, std::move(*coef));
  if (!fope_enc) return fope_enc.error();
  POSENC_TRY(r.add("fope", "rotate f32 in place", dims({n, qh, hd}), qbytes, false,
                   [&] { return fope_enc->rotate(heads_view(q.data(), n, qh, hd), pos); }));

  // Absolute encodings, BERT-base width.
  constexpr std::int64_t width = 768;
  std::vector<float> table_out(static_cast<std::size_t>(n * width));
  const double tbytes = static_cast<double>(table_out.size() * 4);
  auto sin_enc = sinusoidal::make({.d_model = width});
  if (!sin_enc) return sin_enc.error();
  POSENC_TRY(r.add("sinusoidal", "encode table", dims({n, width}), tbytes, true,
                   [&] { return sin_enc->encode(pos, matrix_view(table_out.data(), n, width)); }));
  auto weights = random_floats(n * width, 3);
  auto learned_enc = learned::make({.rows = n, .hidden_size = width},
                                   matrix_view<const float>(weights.data(), n, width));
  if (!learned_enc) return learned_enc.error();
  POSENC_TRY(r.add("learned", "encode (row gather)", dims({n, width}), tbytes, false,
                   [&] { return learned_enc->encode(pos, matrix_view(table_out.data(), n, width)); }));

  // Bias encoders: [heads, Q, K] logit tiles.
  constexpr std::int64_t bh = 12;
  std::vector<float> tile(static_cast<std::size_t>(bh * n * n));
  const double bbytes = static_cast<double>(tile.size() * 4);
  const auto tile_view = tensor_view(tile.data(), bh, n, n);
  auto t5_w = random_floats(32 * bh, 4);
  auto t5_enc = t5::make({.num_heads = bh}, matrix_view<const float>(t5_w.data(), 32, bh));
  if (!t5_enc) return t5_enc.error();
  POSENC_TRY(r.add("t5", "bias", dims({bh, n, n}), bbytes, true,
                   [&] { return t5_enc->bias(n, n, 0, tile_view); }));
  auto alibi_enc = alibi::make({.num_heads = bh});
  if (!alibi_enc) return alibi_enc.error();
  POSENC_TRY(r.add("alibi", "bias", dims({bh, n, n}), bbytes, true,
                   [&] { return alibi_enc->bias(n, n, 0, tile_view); }));

  // Score encoders: add their terms to logits [heads, Q, K] given q, k [T, heads, 64].
  constexpr std::int64_t sd = 64;
  const auto sq = random_floats(n * bh * sd, 5), sk = random_floats(n * bh * sd, 6);
  const auto qv = heads_view<const float>(sq.data(), n, bh, sd);
  const auto kv = heads_view<const float>(sk.data(), n, bh, sd);
  auto shaw_t = random_floats(2 * 16 * sd + sd, 7);
  auto shaw_enc = shaw::make({.max_relative_position = 16, .head_dim = sd},
                             matrix_view<const float>(shaw_t.data(), 33, sd),
                             matrix_view<const float>(shaw_t.data(), 33, sd));
  if (!shaw_enc) return shaw_enc.error();
  POSENC_TRY(r.add("shaw", "add_scores (k = 16)", dims({bh, n, n}), bbytes, false,
                   [&] { return shaw_enc->add_scores(qv, kv, 0, tile_view); }));
  const deberta_config dc{.max_relative_positions = 512, .position_buckets = 256, .heads = bh,
                          .head_dim = sd};
  const std::int64_t drows = deberta_table_rows(dc);
  const auto dp = random_floats(drows * width, 8), dw = random_floats(bh * sd * width, 9);
  auto deberta_enc = deberta::make(dc, {matrix_view<const float>(dp.data(), drows, width),
                                        matrix_view<const float>(dw.data(), bh * sd, width), {},
                                        matrix_view<const float>(dw.data(), bh * sd, width), {}});
  if (!deberta_enc) return deberta_enc.error();
  POSENC_TRY(r.add("deberta", "add_scores (c2p + p2c)", dims({bh, n, n}), bbytes, false,
                   [&] { return deberta_enc->add_scores(qv, kv, 0, tile_view); }));
  const auto xu = random_floats(bh * sd, 10), xw = random_floats(width * bh * sd, 11);
  auto xlnet_enc = xlnet::make({.d_model = width, .heads = bh, .head_dim = sd, .max_distance = n},
                               {matrix_view<const float>(xu.data(), bh, sd),
                                matrix_view<const float>(xu.data(), bh, sd),
                                matrix_view<const float>(xw.data(), width, bh * sd)});
  if (!xlnet_enc) return xlnet_enc.error();
  POSENC_TRY(r.add("xlnet", "add_scores", dims({bh, n, n}), bbytes, false,
                   [&] { return xlnet_enc->add_scores(qv, kv, 0, tile_view); }));

  // RoPE linear attention, causal prefill over the whole sequence.
  constexpr std::int64_t lh = 8, ld = 64;
  linear_attention_config lc;
  lc.rope = {.head_dim = ld, .max_positions = n};
  auto la = rope_linear_attention::make(lc);
  if (!la) return la.error();
  auto ws = la->make_state(lh, ld);
  if (!ws) return ws.error();
  const auto lq = random_floats(n * lh * ld, 12), lk = random_floats(n * lh * ld, 13);
  std::vector<float> lo(lq.size());
  const auto lqv = heads_view<const float>(lq.data(), n, lh, ld);
  const auto lkv = heads_view<const float>(lk.data(), n, lh, ld);
  POSENC_TRY(r.add("linear_attention", "causal (O(N) state)", dims({n, lh, ld}),
                   static_cast<double>(lo.size() * 4), false, [&] {
                     return la->attend(lqv, lkv, lkv, pos, heads_view(lo.data(), n, lh, ld), true, *ws);
                   }));
  return {};
}

}  // namespace

status bench(const args& a) {
  if (a.bench_tokens < 1 || a.bench_tokens > 8192) {
    return make_error(errc::invalid_argument, "--tokens must be in [1, 8192], got ", a.bench_tokens);
  }
  const int samples = a.bench_tokens <= 64 ? 3 : 7;
  runner r(samples);
  if (!a.json) {
    std::fprintf(stderr, "posenc bench: %lld tokens, kernels %s, 1 thread, median of %d ...\n",
                 static_cast<long long>(a.bench_tokens), isa_name(active_isa()).data(), samples);
  }
  POSENC_TRY(run_all(r, a.bench_tokens));
  if (a.json) {
    hf::json out;
    out["isa"] = std::string(isa_name(active_isa()));
    out["best_isa"] = std::string(isa_name(best_isa()));
    out["tokens"] = a.bench_tokens;
    out["results"] = hf::json::array();
    for (const auto& x : r.rows()) {
      out["results"].push_back({{"encoder", x.encoder}, {"operation", x.operation}, {"shape", x.shape},
                                {"bytes", x.bytes}, {"seconds", x.seconds},
                                {"baseline", x.baseline_name},
                                {"baseline_seconds", x.baseline},
                                {"ratio", x.seconds / x.baseline}});
    }
    std::printf("%s\n", out.dump(1).c_str());
    return {};
  }
  std::printf("posenc bench: kernels %s (best on this CPU: %s), 1 thread, median per call\n\n",
              isa_name(active_isa()).data(), isa_name(best_isa()).data());
  std::printf("%-17s %-37s %-26s %10s %8s %18s\n", "encoder", "operation", "shape", "time", "GB/s",
              "x memory speed");
  for (const auto& x : r.rows()) {
    const double us = x.seconds * 1e6;
    std::printf("%-17s %-37s %-26s %8.1f us %8.2f %8.2f (%s)\n", x.encoder.c_str(),
                x.operation.c_str(), x.shape.c_str(), us, x.bytes / x.seconds * 1e-9,
                x.seconds / x.baseline, x.baseline_name);
  }
  std::printf("\nx memory speed = time / time of a memcpy of the same bytes (for write-only ops: of\n"
              "the faster of memset and ordinary stores); 1.0 means as fast as moving the data once.\n"
              "Pin kernels with POSENC_ISA.\n");
  return {};
}

}  // namespace posenc::cli
