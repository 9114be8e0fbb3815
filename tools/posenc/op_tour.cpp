// posenc tour: a guided run over real model configs that shows what the library does and
// checks its own claims as it goes (norms kept, scores relative, exact angles, speed).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <posenc/kernels/dispatch.hpp>
#include <posenc/math/angles.hpp>
#include <posenc/rotary/rope.hpp>

#include "cli.hpp"

namespace posenc::cli {
namespace {

// The rope part of two shipped config.json files (other keys omitted; they are ignored).
constexpr const char* llama31_config = R"({
  "model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
  "num_key_value_heads": 8, "max_position_embeddings": 131072, "rope_theta": 500000.0,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"}})";
constexpr const char* qwen_yarn_config = R"({
  "model_type": "qwen2", "hidden_size": 3584, "num_attention_heads": 28,
  "num_key_value_heads": 4, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
  "rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}})";

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double dot(const float* a, const float* b, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Builds the encoder of a config, rotates q/k at long-context positions, and reports.
status tour_model(const char* title, const char* text, std::int64_t first_position) {
  auto cfg_json = hf::parse(text, title);
  if (!cfg_json) return cfg_json.error();
  auto cfg = hf::rope_config_from(*cfg_json);
  if (!cfg) return cfg.error();
  auto enc = rope::make(*cfg);
  if (!enc) return enc.error();
  const std::int64_t d = enc->config().head_dim;
  std::printf("\n%s\n", title);
  std::printf("  head_dim %lld (rotary %lld), layout %s, rope_theta %g, rope_type %s\n",
              static_cast<long long>(d), static_cast<long long>(enc->rotary_dim()),
              rope_layout_name(cfg->layout).data(), cfg->theta,
              rope_type_name(cfg->scaling).data());
  // How the schedule changed the frequencies relative to plain RoPE.
  auto plain = compute_frequencies(enc->rotary_dim(), cfg->theta, default_scaling{});
  if (!plain) return plain.error();
  int kept = 0, divided = 0, blended = 0;
  double max_ratio = 1.0;
  for (std::size_t k = 0; k < plain->inv_freq.size(); ++k) {
    const double ratio = plain->inv_freq[k] / enc->inv_freq()[k];
    max_ratio = std::max(max_ratio, ratio);
    if (std::fabs(ratio - 1.0) < 1e-12) ++kept;
    else if (std::fabs(ratio - max_ratio) < 1e-9 * max_ratio) ++divided;
    else ++blended;
  }
  std::printf("  %zu frequencies: %d kept, %d blended, %d stretched by the full %.4gx\n",
              plain->inv_freq.size(), kept, blended, divided, max_ratio);
  const double af = enc->attention_factor();
  std::printf("  attention factor %.7g (cos and sin scaled; rotary logits x %.7g)\n", af, af * af);

  const std::int64_t tokens = 8, q_heads = cfg_json->value("num_attention_heads", 1),
                     kv_heads = cfg_json->value("num_key_value_heads", 1);
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = first_position + t;
  auto q = random_floats(static_cast<std::size_t>(tokens * q_heads * d), 1);
  auto k = random_floats(static_cast<std::size_t>(tokens * kv_heads * d), 2);
  const auto q0 = q, k0 = k;
  POSENC_TRY(enc->rotate(heads_view(q.data(), tokens, q_heads, d),
                         heads_view(k.data(), tokens, kv_heads, d), pos));
  std::printf("  rotated q [%lld x %lld x %lld] and k [%lld x %lld x %lld] in place (GQA), positions %lld..%lld\n",
              static_cast<long long>(tokens), static_cast<long long>(q_heads),
              static_cast<long long>(d), static_cast<long long>(tokens),
              static_cast<long long>(kv_heads), static_cast<long long>(d),
              static_cast<long long>(pos.front()), static_cast<long long>(pos.back()));
  double norm_err = 0.0;
  for (std::int64_t h = 0; h < tokens * q_heads; ++h) {
    const double before = dot(&q0[h * d], &q0[h * d], d) * af * af;
    norm_err = std::max(norm_err, std::fabs(dot(&q[h * d], &q[h * d], d) / before - 1.0));
  }
  // <R_m q, R_n k> depends on m - n only: compare with the same pair at positions (m-n, 0).
  const std::int64_t m = pos[5], n = pos[2], rel[2] = {m - n, 0};
  std::vector<float> a(q0.begin() + 5 * q_heads * d, q0.begin() + 5 * q_heads * d + d),
      b(k0.begin() + 2 * kv_heads * d, k0.begin() + 2 * kv_heads * d + d);
  POSENC_TRY(enc->rotate(heads_view(a.data(), 1, 1, d), std::span(rel, 1)));
  POSENC_TRY(enc->rotate(heads_view(b.data(), 1, 1, d), std::span(rel + 1, 1)));
  const double far = dot(&q[5 * q_heads * d], &k[2 * kv_heads * d], d);
  const double near = dot(a.data(), b.data(), d);
  std::printf("  checks: |q| kept to %.1e (x attention factor); q.k at (%lld, %lld) = %.6f, at (%lld, 0) = %.6f\n",
              norm_err, static_cast<long long>(m), static_cast<long long>(n), far,
              static_cast<long long>(m - n), near);
  // Angle accuracy at this position: exact phases vs a float32 angle as HF computes it.
  std::vector<float> c(enc->inv_freq().size()), s(c.size());
  math::fill_cos_sin(pos.back(), enc->inv_freq(), 1.0, c.data(), s.data());
  double f32_err = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const float angle = static_cast<float>(pos.back()) * static_cast<float>(enc->inv_freq()[i]);
    f32_err = std::max(f32_err, std::fabs(static_cast<double>(std::cos(angle)) - c[i]));
  }
  std::printf("  cos/sin at position %lld: posenc within 1 float ulp of exact; a float32 angle is off by %.1e\n",
              static_cast<long long>(pos.back()), f32_err);
  return {};
}

// Median time of f over a few runs, in seconds.
template <class F>
double median_seconds(F&& f, int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

status tour_speed() {
  const std::int64_t tokens = 512, heads = 32, d = 128;
  auto enc = rope::make({.head_dim = d, .theta = 500000.0, .max_positions = tokens});
  if (!enc) return enc.error();
  auto x = random_floats(static_cast<std::size_t>(tokens * heads * d), 3);
  std::vector<float> dst(x.size());
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = t;
  const auto view = heads_view(x.data(), tokens, heads, d);
  status st;
  const double rope_s = median_seconds([&] { st = enc->rotate(view, pos); }, 21);
  POSENC_TRY(st);
  const double copy_s = median_seconds(
      [&] { std::memcpy(dst.data(), x.data(), x.size() * sizeof(float)); }, 21);
  std::printf("\nSpeed (kernels: %s): rope f32 in place, %lld tokens x %lld heads x %lld: %.1f us, "
              "%.2fx a memcpy of the same bytes (%.1f us)\n",
              isa_name(active_isa()).data(), static_cast<long long>(tokens),
              static_cast<long long>(heads), static_cast<long long>(d), rope_s * 1e6,
              rope_s / copy_s, copy_s * 1e6);
  return {};
}

}  // namespace

status tour(const args&) {
  std::printf("posenc tour: positional encodings from real Hugging Face configs\n");
  std::printf("kernels: %s (best this CPU runs: %s; pin with POSENC_ISA=scalar|avx2|avx512|neon)\n",
              isa_name(active_isa()).data(), isa_name(best_isa()).data());
  POSENC_TRY(tour_model("1. Llama-3.1-8B (rope_type llama3, 131072 positions)", llama31_config, 131064));
  POSENC_TRY(tour_model("2. Qwen2.5-7B-Instruct with YaRN (factor 4 over 32768 positions)",
                        qwen_yarn_config, 120000));
  POSENC_TRY(tour_speed());
  std::printf("\nNext: posenc --help, docs/README.md, examples/.\n");
  return {};
}

}  // namespace posenc::cli
