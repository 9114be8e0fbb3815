// A Llama-style decoder step loop with a bf16 KV cache, the way an engine uses posenc:
//   * build the RoPE encoder once from the model's parameters,
//   * each step rotate the new token's q and k in place at its position (fused, GQA),
//   * append k to the cache and attend over it,
//   * when the cache is full, drop old tokens and re-rotate the kept keys with rope::shift
//     (a context shift), instead of recomputing them.
// It checks the shifted cache against keys rotated from scratch at their new positions.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <posenc/posenc.hpp>

namespace {

constexpr std::int64_t q_heads = 8, kv_heads = 2, head_dim = 64;
constexpr std::int64_t capacity = 24;  // KV-cache slots
constexpr std::int64_t keep = 4;       // slots kept at the front on a context shift (the "sink")
constexpr std::int64_t discard = 8;    // slots dropped on a context shift

using bf16 = posenc::bfloat16;

// The model's projections stand in as a seeded generator: one token's raw q and k.
struct fake_model {
  std::mt19937 rng{42};
  std::normal_distribution<float> normal{0.0f, 1.0f};
  void next(std::vector<float>& q, std::vector<float>& k) {
    for (auto& x : q) x = normal(rng);
    for (auto& x : k) x = normal(rng);
  }
};

// Attention logits of one query head against every cached key of its group, in float.
std::vector<float> logits(const bf16* q, const std::vector<bf16>& cache, std::int64_t used,
                          std::int64_t kv_head) {
  std::vector<float> s(static_cast<std::size_t>(used));
  for (std::int64_t j = 0; j < used; ++j) {
    const bf16* k = cache.data() + (j * kv_heads + kv_head) * head_dim;
    float dot = 0.0f;
    for (std::int64_t i = 0; i < head_dim; ++i) dot += float(q[i]) * float(k[i]);
    s[static_cast<std::size_t>(j)] = dot / std::sqrt(float(head_dim));
  }
  return s;
}

}  // namespace

int main() {
  // Llama-3-style RoPE: theta 500000, rotate-half layout; a cos/sin table for the first 4096
  // positions (positions beyond it are computed exactly on the fly).
  auto made = posenc::rope::make({.head_dim = head_dim, .theta = 500000.0,
                                  .layout = posenc::rope_layout::half, .max_positions = 4096});
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  const posenc::rope& rope = *made;
  std::printf("decode loop: %lld query heads, %lld kv heads (GQA), head_dim %lld, bf16 cache of %lld slots\n",
              (long long)q_heads, (long long)kv_heads, (long long)head_dim, (long long)capacity);

  fake_model model;
  std::vector<float> qf(q_heads * head_dim), kf(kv_heads * head_dim);
  std::vector<bf16> q(qf.size()), k(kf.size());
  std::vector<bf16> cache(capacity * kv_heads * head_dim);  // rotated keys, [slot, kv_head, dim]
  std::vector<std::int64_t> cache_pos(capacity);            // position each slot was rotated at
  std::vector<std::vector<float>> raw_keys(capacity);       // unrotated keys, for the check only
  std::int64_t used = 0, position = 0;
  int shifts = 0;

  for (int step = 0; step < 40; ++step, ++position) {
    if (used == capacity) {
      // Context shift: keep slots [0, keep), drop the next `discard`, slide the rest down, and
      // re-rotate the slid keys by -discard so they sit at their new positions.
      const std::int64_t moved = used - keep - discard;
      std::copy_n(cache.begin() + (keep + discard) * kv_heads * head_dim, moved * kv_heads * head_dim,
                  cache.begin() + keep * kv_heads * head_dim);
      for (std::int64_t j = 0; j < moved; ++j) {
        raw_keys[keep + j] = raw_keys[keep + discard + j];
        cache_pos[keep + j] = cache_pos[keep + discard + j] - discard;
      }
      const auto slid = posenc::heads_view(cache.data() + keep * kv_heads * head_dim, moved,
                                           kv_heads, head_dim);
      if (auto st = rope.shift(slid, -discard); !st) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 1;
      }
      used -= discard;
      position -= discard;
      ++shifts;
      std::printf("step %2d: cache full, context shift: dropped %lld keys, re-rotated %lld by %+lld\n",
                  step, (long long)discard, (long long)moved, (long long)-discard);
    }
    // One new token: q and k from the model, stored as bf16, rotated in place at `position`.
    model.next(qf, kf);
    for (std::size_t i = 0; i < qf.size(); ++i) q[i] = bf16(qf[i]);
    for (std::size_t i = 0; i < kf.size(); ++i) k[i] = bf16(kf[i]);
    const std::int64_t pos[1] = {position};
    if (auto st = rope.rotate(posenc::heads_view(q.data(), 1, q_heads, head_dim),
                              posenc::heads_view(k.data(), 1, kv_heads, head_dim), pos);
        !st) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    std::copy(k.begin(), k.end(), cache.begin() + used * kv_heads * head_dim);
    raw_keys[used] = kf;
    cache_pos[used] = position;
    ++used;
    // Attend: head 0's softmax over the cache; report where its weight goes.
    auto s = logits(q.data(), cache, used, 0);
    float mx = s[0], sum = 0.0f;
    for (float v : s) mx = std::max(mx, v);
    std::int64_t best = 0;
    for (std::int64_t j = 0; j < used; ++j) {
      sum += std::exp(s[j] - mx);
      if (s[j] > s[best]) best = j;
    }
    if (step % 4 == 0) {
      std::printf("step %2d: position %3lld, %2lld keys cached, head 0 attends most to slot %2lld (p=%.2f)\n",
                  step, (long long)position, (long long)used, (long long)best,
                  std::exp(s[best] - mx) / sum);
    }
  }

  // Check: every cached key equals its raw key rotated from scratch at its current position,
  // up to bf16 rounding (each shift adds at most a few bf16 ulps).
  double worst = 0.0;
  for (std::int64_t j = 0; j < used; ++j) {
    std::vector<float> fresh = raw_keys[j];
    std::vector<bf16> fresh_bf(fresh.size());
    for (std::size_t i = 0; i < fresh.size(); ++i) fresh_bf[i] = bf16(fresh[i]);
    const std::int64_t p[1] = {cache_pos[j]};
    if (!rope.rotate(posenc::heads_view(fresh_bf.data(), 1, kv_heads, head_dim), p)) return 1;
    for (std::int64_t i = 0; i < kv_heads * head_dim; ++i) {
      const double a = float(cache[j * kv_heads * head_dim + i]), b = float(fresh_bf[i]);
      worst = std::max(worst, std::fabs(a - b) / std::max(1.0, std::fabs(b)));
    }
  }
  std::printf("after %d context shifts: cached keys vs keys rotated afresh at their positions: "
              "max error %.3g (bf16 ulp is 7.8e-3)\n", shifts, worst);
  const bool ok = shifts > 0 && worst < 4 * 7.8125e-3;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
