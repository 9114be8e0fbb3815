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
#include <posenc/relative/alibi.hpp>
#include <posenc/relative/t5.hpp>
#include <posenc/rotary/linear_attention.hpp>
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

// The position part of google/flan-t5-base and bigscience/bloom-560m's config.json.
constexpr const char* flan_t5_config = R"({
  "model_type": "t5", "d_model": 768, "num_heads": 12, "relative_attention_num_buckets": 32,
  "relative_attention_max_distance": 128})";
constexpr const char* bloom_config = R"({"model_type": "bloom", "hidden_size": 1024, "n_head": 16})";

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
    max_ratio = std::max(max_ratio, plain->inv_freq[k] / enc->inv_freq()[k]);
  }
  for (std::size_t k = 0; k < plain->inv_freq.size(); ++k) {
    const double ratio = plain->inv_freq[k] / enc->inv_freq()[k];
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
  auto q = random_floats(tokens * q_heads * d, 1);
  auto k = random_floats(tokens * kv_heads * d, 2);
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
  if (!(norm_err < 1e-5) || !(std::fabs(far - near) <= 1e-4 * (1.0 + std::fabs(near)))) {
    return make_error(errc::invalid_argument, "tour: rotation check failed (norm error ", norm_err,
                      ", scores ", far, " vs ", near, ")");
  }
  // Angle accuracy at this position: posenc's exact phases and a float32 angle as HF computes
  // it, both against long double (whose cosl reduces large arguments exactly).
  std::vector<float> c(enc->inv_freq().size()), s(c.size());
  math::fill_cos_sin(pos.back(), enc->inv_freq(), 1.0, c.data(), s.data());
  double f32_err = 0.0, ulps = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const long double phase = static_cast<long double>(pos.back()) * enc->inv_freq()[i];
    for (auto [got, exact] : {std::pair{c[i], std::cos(phase)}, std::pair{s[i], std::sin(phase)}}) {
      const float ulp = std::nextafter(std::fabs(got), 2.0f) - std::fabs(got);
      ulps = std::max(ulps, static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp));
    }
    const float angle = static_cast<float>(pos.back()) * static_cast<float>(enc->inv_freq()[i]);
    f32_err = std::max(f32_err, static_cast<double>(std::fabs(std::cos(static_cast<long double>(angle)) -
                                                              std::cos(phase))));
  }
  std::printf("  cos/sin at position %lld: posenc %.2f float ulp from exact at most; a float32 angle is off by %.1e\n",
              static_cast<long long>(pos.back()), ulps, f32_err);
  if (!(ulps <= 1.0)) return make_error(errc::invalid_argument, "tour: cos/sin ", ulps, " ulp from exact");
  return {};
}

// Prints a [rows, cols] matrix of one head, masking j > i + offset when `causal`.
template <class T>
void print_matrix(const T* m, std::int64_t rows, std::int64_t cols, std::int64_t offset, bool causal,
                  const char* fmt, const char* masked) {
  for (std::int64_t i = 0; i < rows; ++i) {
    std::printf("   ");
    for (std::int64_t j = 0; j < cols; ++j) {
      if (causal && j > offset + i) std::printf("%s", masked);
      else std::printf(fmt, m[i * cols + j]);
    }
    std::printf("\n");
  }
}

status tour_t5() {
  auto json = hf::parse(flan_t5_config, "flan-t5-base");
  if (!json) return json.error();
  auto cfg = hf::t5_config_from(*json);
  if (!cfg) return cfg.error();
  auto buckets = t5_buckets::make(*cfg);
  if (!buckets) return buckets.error();
  std::printf("\n3. T5 relative buckets (google/flan-t5-base: %lld buckets, max distance %lld, %s)\n",
              static_cast<long long>(cfg->num_buckets), static_cast<long long>(cfg->max_distance),
              cfg->bidirectional ? "encoder, bidirectional" : "decoder");
  std::printf("  distance key - query -> bucket (exact below 8, logarithmic up to 128, then saturated):\n   ");
  for (std::int64_t r : {-500, -128, -64, -32, -16, -8, -4, -1, 0, 1, 4, 8, 16, 32, 64, 128, 500}) {
    std::printf(" %lld:%lld", static_cast<long long>(r), static_cast<long long>(buckets->bucket(r)));
  }
  // Bucket ids of 8 queries at positions 100..107 against keys at 0, 16, ..., 160.
  constexpr std::int64_t q_len = 8, k_len = 11, offset = 100;
  std::vector<std::int64_t> ids(q_len * k_len);
  std::vector<std::int64_t> keys(k_len);
  for (std::int64_t j = 0; j < k_len; ++j) {
    keys[j] = 16 * j;
    for (std::int64_t i = 0; i < q_len; ++i) ids[i * k_len + j] = buckets->bucket(keys[j] - (offset + i));
  }
  std::printf("\n  buckets of queries at 100..107 (rows) against keys at 0, 16, ..., 160 (columns):\n");
  print_matrix(ids.data(), q_len, k_len, 0, false, " %3lld", "");
  // Check: bias() with a table whose entry is its own bucket id returns relative_positions().
  const std::int64_t heads = cfg->num_heads;
  t5::matrix w(cfg->num_buckets, heads);
  for (std::int64_t b = 0; b < cfg->num_buckets; ++b) w.row(b).setConstant(static_cast<float>(b));
  auto enc = t5::make(*cfg, std::move(w));
  if (!enc) return enc.error();
  constexpr std::int64_t n = 64;
  std::vector<float> bias(heads * n * n);
  std::vector<std::int64_t> rel(n * n);
  POSENC_TRY(enc->bias(n, n, 200, tensor_view(bias.data(), heads, n, n)));
  POSENC_TRY(enc->relative_positions(n, n, 200, matrix_view(rel.data(), n, n)));
  std::int64_t bad = 0;
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t e = 0; e < n * n; ++e) bad += bias[h * n * n + e] != static_cast<float>(rel[e]);
  }
  std::printf("  check: bias() [%lld x %d x %d] reads W[bucket, h] at every entry: %lld mismatches\n",
              static_cast<long long>(heads), static_cast<int>(n), static_cast<int>(n),
              static_cast<long long>(bad));
  if (bad != 0) return make_error(errc::invalid_argument, "tour: T5 bias does not match its buckets");
  return {};
}

status tour_alibi() {
  auto json = hf::parse(bloom_config, "bloom-560m");
  if (!json) return json.error();
  auto cfg = hf::alibi_config_from(*json);
  if (!cfg) return cfg.error();
  auto enc = alibi::make(*cfg);
  if (!enc) return enc.error();
  const std::int64_t heads = cfg->num_heads;
  std::printf("\n4. ALiBi (bigscience/bloom-560m: %lld heads, bias_max %g): slopes 2^(-8(h+1)/%lld)\n   ",
              static_cast<long long>(heads), cfg->bias_max, static_cast<long long>(heads));
  for (float m : enc->slopes()) std::printf(" %.4g", m);
  constexpr std::int64_t n = 6;
  std::vector<float> bias(heads * n * n);
  POSENC_TRY(enc->bias(n, n, 0, tensor_view(bias.data(), heads, n, n)));
  for (std::int64_t h : {std::int64_t{0}, heads - 1}) {
    std::printf("\n  bias of head %lld (slope %.4g), causal, future keys masked:\n",
                static_cast<long long>(h), enc->slopes()[h]);
    print_matrix(bias.data() + h * n * n, n, n, 0, true, " %8.4f", "        .");
  }
  // Check: every entry is slope * (j - i), exactly, and the slopes are a geometric series.
  std::int64_t bad = 0;
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        bad += bias[(h * n + i) * n + j] != enc->slopes()[h] * static_cast<float>(j - i);
      }
    }
  }
  const double ratio = enc->slopes()[1] / enc->slopes()[0];
  std::printf("  checks: bias = slope x (j - i) at %lld of %lld entries; slope ratio %.6f (2^(-8/%lld) = %.6f)\n",
              static_cast<long long>(heads * n * n - bad), static_cast<long long>(heads * n * n), ratio,
              static_cast<long long>(heads), std::exp2(-8.0 / static_cast<double>(heads)));
  if (bad != 0) return make_error(errc::invalid_argument, "tour: ALiBi bias is not slope * distance");
  return {};
}

status tour_linear_attention() {
  constexpr std::int64_t tokens = 6, heads = 2, d = 8, dv = 4;
  linear_attention_config cfg;
  cfg.rope = {.head_dim = d};
  auto la = rope_linear_attention::make(cfg);
  if (!la) return la.error();
  std::printf("\n5. RoPE linear attention (RoFormer eq. 19, elu(x)+1 features), causal, %lld tokens\n",
              static_cast<long long>(tokens));
  auto q = random_floats(tokens * heads * d, 11), k = random_floats(tokens * heads * d, 12),
       v = random_floats(tokens * heads * dv, 13);
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = t;
  // Streaming: push each key, then query, one token at a time, on a fixed-size state.
  auto st = la->make_state(heads, dv);
  if (!st) return st.error();
  std::vector<float> out(tokens * heads * dv);
  for (std::int64_t t = 0; t < tokens; ++t) {
    POSENC_TRY(st->push(matrix_view<const float>(&k[t * heads * d], heads, d),
                        matrix_view<const float>(&v[t * heads * dv], heads, dv), pos[t]));
    POSENC_TRY(st->query(matrix_view<const float>(&q[t * heads * d], heads, d), pos[t],
                         matrix_view(&out[t * heads * dv], heads, dv)));
  }
  // The quadratic reference in double: for each m, sum over n <= m of the rotated kernel.
  auto phi = [](float x) { return x > 0.0f ? double(x) + 1.0 : std::exp(double(x)); };
  std::vector<float> cs(d / 2), sn(d / 2);
  auto rotated = [&](const std::vector<float>& x, std::int64_t t, std::int64_t h) {
    std::vector<double> f(d), r(d);
    for (std::int64_t c = 0; c < d; ++c) f[c] = phi(x[(t * heads + h) * d + c]);
    la->rotation().cos_sin(pos[t], cs.data(), sn.data());
    for (std::int64_t i = 0; i < d / 2; ++i) {
      r[i] = f[i] * cs[i] - f[i + d / 2] * sn[i];
      r[i + d / 2] = f[i + d / 2] * cs[i] + f[i] * sn[i];
    }
    return std::pair{f, r};
  };
  double worst = 0.0;
  std::printf("  token  head 0 output (state: push k, v; query q)   quadratic float64 reference\n");
  for (std::int64_t m = 0; m < tokens; ++m) {
    for (std::int64_t h = 0; h < heads; ++h) {
      const auto [qf, qr] = rotated(q, m, h);
      std::vector<double> num(dv, 0.0);
      double den = 0.0;
      for (std::int64_t n = 0; n <= m; ++n) {
        const auto [kf, kr] = rotated(k, n, h);
        double a = 0.0, b = 0.0;
        for (std::int64_t c = 0; c < d; ++c) a += qr[c] * kr[c], b += qf[c] * kf[c];
        for (std::int64_t c = 0; c < dv; ++c) num[c] += a * v[(n * heads + h) * dv + c];
        den += b;
      }
      for (std::int64_t c = 0; c < dv; ++c) {
        worst = std::max(worst, std::fabs(num[c] / den - out[(m * heads + h) * dv + c]));
      }
      if (h == 0) {
        const float* o = &out[m * heads * dv];
        std::printf("  %5lld  %+.5f %+.5f %+.5f %+.5f           %+.5f %+.5f %+.5f %+.5f\n",
                    static_cast<long long>(m), o[0], o[1], o[2], o[3], num[0] / den, num[1] / den,
                    num[2] / den, num[3] / den);
      }
    }
  }
  std::printf("  check: O(N) state (%lld floats, the same at any length) = O(N^2) sum to %.1e\n",
              static_cast<long long>(heads * d * dv + heads * d), worst);
  if (!(worst < 1e-5)) return make_error(errc::invalid_argument, "tour: linear attention state differs from eq. 19 by ", worst);
  return {};
}

status tour_speed() {
  const std::int64_t tokens = 512, heads = 32, d = 128;
  auto enc = rope::make({.head_dim = d, .theta = 500000.0, .max_positions = tokens});
  if (!enc) return enc.error();
  auto x = random_floats(tokens * heads * d, 3);
  std::vector<float> dst(x.size());
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = t;
  const auto view = heads_view(x.data(), tokens, heads, d);
  status st;
  const double rope_s = median_seconds([&] { st = enc->rotate(view, pos); }, 21);
  POSENC_TRY(st);
  const double copy_s = median_seconds(
      [&] { std::memcpy(dst.data(), x.data(), x.size() * sizeof(float)); }, 21);
  std::printf("\n6. Speed (kernels: %s): rope f32 in place, %lld tokens x %lld heads x %lld: %.1f us, "
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
  POSENC_TRY(tour_t5());
  POSENC_TRY(tour_alibi());
  POSENC_TRY(tour_linear_attention());
  POSENC_TRY(tour_speed());
  std::printf("\nNext: posenc bench (every encoder vs memcpy), posenc --help, docs/README.md, examples/.\n");
  return {};
}

}  // namespace posenc::cli
