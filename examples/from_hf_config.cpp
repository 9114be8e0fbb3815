// Build an encoder from a model's Hugging Face config.json, as a model loader does:
//   example_from_hf_config [path/to/config.json ...]     (default: configs/llama-3.2-3b.json)
// The encoding comes from model_type (or an "encoding" key); each encoder's *_config_from reads
// the keys real configs use. Every failure is a posenc::status naming the key and value.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <posenc/io/hf_config.hpp>
#include <posenc/posenc.hpp>

namespace {

using posenc::hf::encoding;

posenc::status show_rope(const posenc::hf::json& json) {
  auto cfg = posenc::hf::rope_config_from(json);
  if (!cfg) return cfg.error();
  cfg->max_positions = 8192;  // the loader picks the table length; other positions are exact too
  auto rope = posenc::rope::make(*cfg);
  if (!rope) return rope.error();
  const auto w = rope->inv_freq();
  std::printf("  head_dim %lld, rotary dim %lld, layout %s, theta %g, rope_type %s\n",
              (long long)cfg->head_dim, (long long)rope->rotary_dim(),
              posenc::rope_layout_name(cfg->layout).data(), cfg->theta,
              posenc::rope_type_name(cfg->scaling).data());
  std::printf("  %zu frequencies: w_0 = %.6g ... w_last = %.6g (longest wavelength %.0f positions)\n",
              w.size(), w.front(), w.back(), 2 * 3.141592653589793 / w.back());
  std::printf("  attention factor %.6g\n", rope->attention_factor());
  // Rotating keeps norms (times the attention factor): a quick sanity check on one head.
  std::vector<float> x(static_cast<std::size_t>(cfg->head_dim), 1.0f);
  const std::int64_t p[1] = {100000};
  POSENC_TRY(rope->rotate(posenc::heads_view(x.data(), 1, 1, cfg->head_dim), p));
  double n2 = 0.0;
  for (float v : x) n2 += double(v) * v;
  const double rd = double(rope->rotary_dim()), af = rope->attention_factor();
  std::printf("  |R_100000 x|^2 = %.4f for x = ones (expected %.4f)\n", n2,
              rd * af * af + double(cfg->head_dim) - rd);
  return {};
}

posenc::status show_t5(const posenc::hf::json& json) {
  auto cfg = posenc::hf::t5_config_from(json);
  if (!cfg) return cfg.error();
  auto b = posenc::t5_buckets::make(*cfg);
  if (!b) return b.error();
  std::printf("  %lld buckets, max distance %lld, %s, %lld heads\n", (long long)cfg->num_buckets,
              (long long)cfg->max_distance, cfg->bidirectional ? "bidirectional" : "decoder",
              (long long)cfg->num_heads);
  std::printf("  bucket of key - query:");
  for (std::int64_t r : {-200, -20, -3, 0, 3, 20, 200}) {
    std::printf(" %lld->%lld", (long long)r, (long long)b->bucket(r));
  }
  std::printf("\n  (the bias table [num_buckets, heads] comes from the checkpoint: t5::make(cfg, W))\n");
  return {};
}

posenc::status show_alibi(const posenc::hf::json& json) {
  auto cfg = posenc::hf::alibi_config_from(json);
  if (!cfg) return cfg.error();
  auto a = posenc::alibi::make(*cfg);
  if (!a) return a.error();
  std::printf("  %lld heads, bias_max %g, %s; slopes:", (long long)cfg->num_heads, cfg->bias_max,
              cfg->causal ? "causal" : "symmetric");
  for (float m : a->slopes()) std::printf(" %.4g", m);
  std::printf("\n");
  return {};
}

posenc::status show_other(const posenc::hf::json& json, encoding e) {
  switch (e) {
    case encoding::sinusoidal: {
      auto c = posenc::hf::sinusoidal_config_from(json);
      if (!c) return c.error();
      std::printf("  d_model %lld, base %g\n", (long long)c->d_model, c->base);
      return {};
    }
    case encoding::learned: {
      auto c = posenc::hf::learned_config_from(json);
      if (!c) return c.error();
      std::printf("  table [%lld, %lld], position p reads row p + %lld (the table comes from the checkpoint)\n",
                  (long long)c->rows, (long long)c->hidden_size, (long long)c->position_offset);
      return {};
    }
    case encoding::deberta: {
      auto c = posenc::hf::deberta_config_from(json);
      if (!c) return c.error();
      std::printf("  %s, max_relative_positions %lld, position_buckets %lld, c2p %d p2c %d, %lld heads x %lld\n",
                  c->version == posenc::deberta_version::v1 ? "v1" : "v2/v3",
                  (long long)c->max_relative_positions, (long long)c->position_buckets, c->c2p, c->p2c,
                  (long long)c->heads, (long long)c->head_dim);
      return {};
    }
    case encoding::xlnet: {
      auto c = posenc::hf::xlnet_config_from(json);
      if (!c) return c.error();
      std::printf("  d_model %lld, %s, clamp_len %lld\n", (long long)c->d_model,
                  c->attn_type == posenc::xlnet_attn_type::bi ? "bi" : "uni", (long long)c->clamp_len);
      return {};
    }
    case encoding::shaw: {
      auto c = posenc::hf::shaw_config_from(json);
      if (!c) return c.error();
      std::printf("  clip distance %lld, head_dim %lld\n", (long long)c->max_relative_position,
                  (long long)c->head_dim);
      return {};
    }
    case encoding::fope: {
      auto c = posenc::hf::fope_config_from(json);
      if (!c) return c.error();
      auto basis = posenc::fope::basis(*c);
      if (!basis) return basis.error();
      std::printf("  head_dim %lld, %zu Fourier inputs per slot, %lld slots (coefficients come from the checkpoint)\n",
                  (long long)c->head_dim, basis->frequencies.size(), (long long)basis->outputs);
      return {};
    }
    default: return {};
  }
}

posenc::status show(const std::string& path) {
  auto json = posenc::hf::load(path);
  if (!json) return json.error();
  auto enc = posenc::hf::detect_encoding(*json);
  if (!enc) return enc.error();
  std::printf("%s: model_type %s -> encoding %s\n", path.c_str(),
              json->value("model_type", std::string("(none)")).c_str(),
              posenc::hf::encoding_name(*enc).data());
  switch (*enc) {
    case encoding::rope: return show_rope(*json);
    case encoding::t5: return show_t5(*json);
    case encoding::alibi: return show_alibi(*json);
    default: return show_other(*json, *enc);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths(argv + 1, argv + argc);
  if (paths.empty()) paths.push_back("configs/llama-3.2-3b.json");  // run from examples/
  for (const auto& p : paths) {
    if (auto st = show(p); !st) {
      std::fprintf(stderr, "%s: %s\n", p.c_str(), st.message().c_str());
      return 2;
    }
  }
  return 0;
}
