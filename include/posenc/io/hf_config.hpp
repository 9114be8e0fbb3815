// Hugging Face config.json → posenc configurations (needs nlohmann_json; not part of posenc.hpp).
//
// A model's own config.json works as it is: the encoding comes from the key "encoding" or is
// inferred from model_type, and the key names real configs use are accepted (spec/cli.md,
// "Real model configs"). `null` means absent; integers are fine where numbers are expected.
// Every error names the key and the offending value. JSON is parsed without exceptions.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../absolute/learned.hpp"
#include "../detail/file.hpp"
#include "../absolute/sinusoidal.hpp"
#include "../relative/alibi.hpp"
#include "../relative/deberta.hpp"
#include "../relative/shaw.hpp"
#include "../relative/t5.hpp"
#include "../relative/xlnet.hpp"
#include "../rotary/fope.hpp"
#include "../rotary/rope.hpp"
#include "../status.hpp"

namespace posenc::hf {

using json = nlohmann::json;

/// The encodings the CLI and from-config constructors know.
enum class encoding : std::uint8_t { rope, fope, sinusoidal, learned, t5, alibi, shaw, deberta, xlnet };

/// The "encoding" key value of an encoding ("rope", "t5", ...).
constexpr std::string_view encoding_name(encoding e) noexcept {
  constexpr std::string_view names[] = {"rope",  "fope",  "sinusoidal", "learned", "t5",
                                        "alibi", "shaw", "deberta",    "xlnet"};
  return names[static_cast<int>(e)];
}

/// Deepest nesting of arrays and objects parse() accepts. Real configs nest 3 or 4 levels;
/// the bound keeps nlohmann_json's recursive dump and copy off deep stacks.
inline constexpr int max_json_depth = 64;

namespace detail {
// The deepest [ / { nesting of JSON text, counting brackets outside strings only.
inline int json_depth(std::string_view text) noexcept {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// A JSON value for an error message: its text, cut to 64 characters.
inline std::string brief(const json& v) noexcept {
  std::string s = v.dump();
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}
}  // namespace detail

/// Parses JSON text; malformed text (including NaN/Infinity, which JSON lacks) is an error,
/// and so is nesting deeper than max_json_depth.
[[nodiscard]] inline result<json> parse(std::string_view text, std::string_view what) noexcept {
  if (const int depth = detail::json_depth(text); depth > max_json_depth) {
    return make_error(errc::parse_error, what, ": JSON nested ", depth, " levels deep (at most ",
                      max_json_depth, ")");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(errc::parse_error, what,
                      ": malformed JSON (note: NaN and Infinity are not valid JSON numbers)");
  }
  if (!j.is_object()) return make_error(errc::invalid_config, what, ": the config is not a JSON object");
  return j;
}

/// Reads and parses a config file.
[[nodiscard]] inline result<json> load(const std::string& path) noexcept {
  auto bytes = posenc::detail::read_file(path);
  if (!bytes) return bytes.error();
  return parse(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), path);
}

// ---- typed key access -------------------------------------------------------------------

/// A number at key (null or missing: nullopt). Wrong types are errors naming the key.
[[nodiscard]] inline result<std::optional<double>> get_number(const json& obj,
                                                              std::string_view key) noexcept {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<double>{};
  if (!it->is_number()) {
    return make_error(errc::invalid_config, "config key '", key, "' must be a number, got ",
                      detail::brief(*it));
  }
  const double v = it->get<double>();
  if (!std::isfinite(v)) {
    return make_error(errc::invalid_config, "config key '", key, "' must be finite, got ", v);
  }
  return std::optional<double>{v};
}

/// An integer at key (a number with no fractional part; null or missing: nullopt).
[[nodiscard]] inline result<std::optional<std::int64_t>> get_int(const json& obj,
                                                                 std::string_view key) noexcept {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::int64_t>{};
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return make_error(errc::invalid_config, "config key '", key, "' is too large: ", detail::brief(*it));
    }
    return std::optional<std::int64_t>{it->get<std::int64_t>()};
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 0x1p62) {
      return std::optional<std::int64_t>{static_cast<std::int64_t>(v)};
    }
  }
  return make_error(errc::invalid_config, "config key '", key, "' must be an integer, got ",
                    detail::brief(*it));
}

/// A boolean at key (null or missing: nullopt).
[[nodiscard]] inline result<std::optional<bool>> get_bool(const json& obj,
                                                          std::string_view key) noexcept {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) {
    return make_error(errc::invalid_config, "config key '", key, "' must be true or false, got ",
                      detail::brief(*it));
  }
  return std::optional<bool>{it->get<bool>()};
}

/// A string at key (null or missing: nullopt).
[[nodiscard]] inline result<std::optional<std::string>> get_string(const json& obj,
                                                                   std::string_view key) noexcept {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return make_error(errc::invalid_config, "config key '", key, "' must be a string, got ",
                      detail::brief(*it));
  }
  return std::optional<std::string>{it->get<std::string>()};
}

/// Alias lists: key names that mean the same thing, most preferred first.
using key_list = std::span<const std::string_view>;

/// The first present integer among aliases (e.g. n_head, n_heads, num_attention_heads).
[[nodiscard]] inline result<std::optional<std::int64_t>> get_int_any(const json& obj,
                                                                     key_list keys) noexcept {
  for (auto key : keys) {
    auto v = get_int(obj, key);
    if (!v || *v) return v;
  }
  return std::optional<std::int64_t>{};
}

/// A required integer among aliases; missing is an error naming them.
[[nodiscard]] inline result<std::int64_t> require_int_any(const json& obj, key_list keys,
                                                         std::string_view ctx) noexcept {
  auto v = get_int_any(obj, keys);
  if (!v) return v.error();
  if (!*v) {
    std::string names;
    for (auto k : keys) names += (names.empty() ? "" : " or ") + std::string(k);
    return make_error(errc::invalid_config, ctx, ": config lacks ", names);
  }
  return **v;
}

/// A list of numbers at key (null or missing: empty).
[[nodiscard]] inline result<std::vector<double>> get_numbers(const json& obj,
                                                             std::string_view key) noexcept {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::vector<double>{};
  if (!it->is_array()) {
    return make_error(errc::invalid_config, "config key '", key, "' must be a list of numbers");
  }
  std::vector<double> out;
  for (const auto& v : *it) {
    if (!v.is_number()) {
      return make_error(errc::invalid_config, "config key '", key,
                        "' must hold numbers only, got ", detail::brief(v));
    }
    out.push_back(v.get<double>());
  }
  return out;
}

/// Common aliases of real configs.
inline constexpr std::string_view heads_keys[] = {"num_attention_heads", "n_head", "n_heads",
                                                  "num_heads"};
inline constexpr std::string_view width_keys[] = {"hidden_size", "d_model", "n_embd", "n_embed"};
inline constexpr std::string_view max_positions_keys[] = {"max_position_embeddings", "n_positions",
                                                          "n_ctx", "max_seq_len"};

// ---- which encoding -----------------------------------------------------------------------

namespace detail {
struct model_family {
  std::string_view model_type;
  encoding enc;
};
// model_type → encoding for real configs without an "encoding" key.
inline constexpr model_family model_families[] = {
    {"llama", encoding::rope},       {"mistral", encoding::rope},     {"mixtral", encoding::rope},
    {"qwen2", encoding::rope},       {"qwen2_moe", encoding::rope},   {"qwen3", encoding::rope},
    {"qwen3_moe", encoding::rope},   {"phi", encoding::rope},         {"phi3", encoding::rope},
    {"phimoe", encoding::rope},      {"gemma", encoding::rope},       {"gemma2", encoding::rope},
    {"gemma3_text", encoding::rope}, {"gpt_neox", encoding::rope},    {"gptj", encoding::rope},
    {"codegen", encoding::rope},     {"deepseek_v2", encoding::rope}, {"deepseek_v3", encoding::rope},
    {"glm", encoding::rope},         {"glm4", encoding::rope},        {"chatglm", encoding::rope},
    {"olmo", encoding::rope},        {"olmo2", encoding::rope},       {"starcoder2", encoding::rope},
    {"stablelm", encoding::rope},    {"cohere", encoding::rope},      {"cohere2", encoding::rope},
    {"granite", encoding::rope},
    {"internlm2", encoding::rope},   {"persimmon", encoding::rope},   {"roformer", encoding::rope},
    {"t5", encoding::t5},            {"mt5", encoding::t5},           {"umt5", encoding::t5},
    {"longt5", encoding::t5},        {"bloom", encoding::alibi},      {"mpt", encoding::alibi},
    {"deberta", encoding::deberta},  {"deberta-v2", encoding::deberta},
    {"xlnet", encoding::xlnet},      {"gpt2", encoding::learned},     {"gpt_neo", encoding::learned},
    {"bert", encoding::learned},     {"roberta", encoding::learned},  {"xlm-roberta", encoding::learned},
    {"camembert", encoding::learned}, {"distilbert", encoding::learned},
    {"electra", encoding::learned},  {"opt", encoding::learned},     {"gpt_bigcode", encoding::learned},
};
}  // namespace detail

/// The encoding a config asks for: its "encoding" key, else inferred from model_type.
/// Schemes posenc does not have (Qwen2-VL mrope, BERT relative_key) are errors naming them.
[[nodiscard]] inline result<encoding> detect_encoding(const json& cfg) noexcept {
  auto enc = get_string(cfg, "encoding");
  if (!enc) return enc.error();
  if (*enc) {
    for (int i = 0; i <= static_cast<int>(encoding::xlnet); ++i) {
      if (encoding_name(static_cast<encoding>(i)) == **enc) return static_cast<encoding>(i);
    }
    return make_error(errc::unsupported, "unknown encoding '", **enc,
                      "' (expected rope, fope, sinusoidal, learned, t5, alibi, shaw, deberta or xlnet)");
  }
  auto mt = get_string(cfg, "model_type");
  if (!mt) return mt.error();
  if (!*mt) {
    return make_error(errc::invalid_config,
                      "config has neither an 'encoding' key nor a 'model_type' to infer it from");
  }
  auto pet = get_string(cfg, "position_embedding_type");
  if (!pet) return pet.error();
  if (*pet && **pet != "absolute") {
    return make_error(errc::unsupported, "position_embedding_type '", **pet, "' of model_type '",
                      **mt, "' is not supported by posenc");
  }
  if (**mt == "falcon" || **mt == "RefinedWeb" || **mt == "RefinedWebModel") {
    // Falcon (and its pre-transformers names) uses ALiBi when `alibi` is true, else RoPE.
    auto alibi = get_bool(cfg, "alibi");
    if (!alibi) return alibi.error();
    return alibi->value_or(false) ? encoding::alibi : encoding::rope;
  }
  if (**mt == "mpt") {
    // MPT uses ALiBi when attn_config.alibi is true, its learned table otherwise.
    auto ac = cfg.find("attn_config");
    if (ac != cfg.end() && ac->is_object()) {
      auto alibi = get_bool(*ac, "alibi");
      if (!alibi) return alibi.error();
      if (*alibi && !**alibi) return encoding::learned;
    }
    return encoding::alibi;
  }
  for (const auto& f : detail::model_families) {
    if (f.model_type == **mt) return f.enc;
  }
  return make_error(errc::unsupported, "unknown model_type '", **mt,
                    "' and no 'encoding' key: say which encoding to use");
}

// ---- rope ---------------------------------------------------------------------------------

namespace detail {

// The rope_scaling / rope_parameters object, or null json when absent.
inline result<const json*> rope_scaling_object(const json& cfg) noexcept {
  for (std::string_view key : {"rope_scaling", "rope_parameters"}) {
    auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) continue;
    if (!it->is_object()) {
      return make_error(errc::invalid_config, "config key '", key, "' must be an object, got ",
                        detail::brief(*it));
    }
    return &*it;
  }
  return static_cast<const json*>(nullptr);
}

inline result<rope_scaling> parse_rope_scaling(const json& cfg, const json* rs) noexcept {
  if (rs == nullptr) return rope_scaling{default_scaling{}};
  if (rs->contains("mrope_section")) {
    return make_error(errc::unsupported,
                      "multimodal rope (mrope_section, Qwen2-VL) is not supported by posenc");
  }
  auto type = get_string(*rs, "rope_type");
  if (!type) return type.error();
  if (!*type) {
    type = get_string(*rs, "type");
    if (!type) return type.error();
  }
  const std::string t = type->value_or("default");
  auto num = [&](std::string_view key, double fallback) -> result<double> {
    auto v = get_number(*rs, key);
    if (!v) return v.error();
    return v->value_or(fallback);
  };
  auto top_max = get_int_any(cfg, max_positions_keys);
  if (!top_max) return top_max.error();
  // original_max_position_embeddings: inside the scaling object, else top level (Phi-3).
  auto original = get_int(*rs, "original_max_position_embeddings");
  if (!original) return original.error();
  if (!*original) {
    original = get_int(cfg, "original_max_position_embeddings");
    if (!original) return original.error();
  }
  auto factor = get_number(*rs, "factor");
  if (!factor) return factor.error();
  auto need_factor = [&]() -> result<double> {
    if (*factor) return **factor;
    return make_error(errc::invalid_config, "rope_scaling (", t, ") lacks 'factor'");
  };
  auto attention = get_number(*rs, "attention_factor");
  if (!attention) return attention.error();

  if (t == "default") return rope_scaling{default_scaling{}};
  if (t == "linear") {
    auto f = need_factor();
    if (!f) return f.error();
    return rope_scaling{linear_scaling{*f}};
  }
  if (t == "dynamic") {
    auto f = need_factor();
    if (!f) return f.error();
    if (!*top_max) return make_error(errc::invalid_config, "rope_scaling (dynamic) needs max_position_embeddings");
    return rope_scaling{dynamic_scaling{*f, **top_max}};
  }
  if (t == "yarn") {
    // Newest HF: a missing factor is max_position_embeddings / original_max_position_embeddings.
    if (!*factor && *original && *top_max && **original > 0) {
      factor = std::optional<double>(static_cast<double>(**top_max) / static_cast<double>(**original));
    }
    auto f = need_factor();
    if (!f) return f.error();
    yarn_scaling y;
    y.factor = *f;
    y.original_max_position_embeddings = original->value_or(top_max->value_or(0));
    auto bf = num("beta_fast", 32.0), bs = num("beta_slow", 1.0), ms = num("mscale", 0.0),
         ma = num("mscale_all_dim", 0.0);
    for (auto* r : {&bf, &bs, &ms, &ma}) {
      if (!*r) return r->error();
    }
    y.beta_fast = *bf, y.beta_slow = *bs, y.mscale = *ms, y.mscale_all_dim = *ma;
    y.attention_factor = *attention;
    auto trunc = get_bool(*rs, "truncate");
    if (!trunc) return trunc.error();
    y.truncate = trunc->value_or(true);
    return rope_scaling{std::move(y)};
  }
  if (t == "longrope" || t == "su") {
    longrope_scaling l;
    auto sf = get_numbers(*rs, "short_factor"), lf = get_numbers(*rs, "long_factor");
    if (!sf) return sf.error();
    if (!lf) return lf.error();
    l.short_factor = std::move(*sf);
    l.long_factor = std::move(*lf);
    l.factor = factor->value_or(0.0);
    if (!*original) {
      return make_error(errc::invalid_config,
                        "rope_scaling (longrope) needs original_max_position_embeddings");
    }
    l.original_max_position_embeddings = **original;
    l.max_position_embeddings = top_max->value_or(0);
    l.attention_factor = *attention;
    return rope_scaling{std::move(l)};
  }
  if (t == "llama3") {
    auto f = need_factor();
    if (!f) return f.error();
    llama3_scaling s;
    s.factor = *f;
    auto lo = num("low_freq_factor", s.low_freq_factor), hi = num("high_freq_factor", s.high_freq_factor);
    if (!lo) return lo.error();
    if (!hi) return hi.error();
    s.low_freq_factor = *lo, s.high_freq_factor = *hi;
    if (!*original) {
      return make_error(errc::invalid_config,
                        "rope_scaling (llama3) needs original_max_position_embeddings");
    }
    s.original_max_position_embeddings = **original;
    return rope_scaling{s};
  }
  return make_error(errc::unsupported, "unknown rope_type '", t,
                    "' (expected default, linear, dynamic, yarn, longrope or llama3)");
}

}  // namespace detail

/// A rope_config from a Hugging Face style config (spec/cli.md, encoding `rope`).
/// max_positions (the table length) is left 0: callers size tables for their own positions.
[[nodiscard]] inline result<rope_config> rope_config_from(const json& cfg) noexcept {
  rope_config out;
  auto mt = get_string(cfg, "model_type");
  if (!mt) return mt.error();
  const std::string model_type = mt->value_or("");

  auto rs = detail::rope_scaling_object(cfg);
  if (!rs) return rs.error();

  // Head size: head_dim, DeepSeek's qk_rope_head_dim (X is then the rotary part only),
  // ChatGLM's kv_channels, or hidden_size / num_attention_heads.
  const bool chatglm = model_type == "chatglm";
  constexpr std::string_view head_dim_keys[] = {"qk_rope_head_dim", "head_dim"};
  constexpr std::string_view chatglm_head_dim_keys[] = {"kv_channels", "head_dim"};
  auto head_dim = get_int_any(cfg, chatglm ? key_list(chatglm_head_dim_keys) : key_list(head_dim_keys));
  if (!head_dim) return head_dim.error();
  if (*head_dim) {
    out.head_dim = **head_dim;
  } else {
    auto width = require_int_any(cfg, width_keys, "rope");
    if (!width) return width.error();
    auto heads = require_int_any(cfg, heads_keys, "rope");
    if (!heads) return heads.error();
    if (*heads <= 0 || *width % *heads != 0) {
      return make_error(errc::invalid_config, "rope: hidden size ", *width,
                        " is not divisible by the head count ", *heads);
    }
    out.head_dim = *width / *heads;
  }

  // Base: rope_theta (top level or, in transformers v5, inside rope_parameters), NeoX's
  // rotary_emb_base; 10000 otherwise (GPT-J has no key).
  auto theta = get_number(cfg, "rope_theta");
  if (!theta) return theta.error();
  if (!*theta && *rs) theta = get_number(**rs, "rope_theta");
  if (!theta) return theta.error();
  if (!*theta) theta = get_number(cfg, "rotary_emb_base");
  if (!theta) return theta.error();
  if (!*theta && chatglm) {
    // ChatGLM: base 10000 * rope_ratio (1 when absent).
    auto ratio = get_number(cfg, "rope_ratio");
    if (!ratio) return ratio.error();
    theta = std::optional<double>(10000.0 * ratio->value_or(1.0));
  }
  out.theta = theta->value_or(10000.0);

  // Rotary width: GPT-J/CodeGen rotary_dim, else partial_rotary_factor (NeoX: rotary_pct),
  // with the HF class defaults for Phi (0.5) and GPT-NeoX (0.25).
  auto rotary_dim = get_int(cfg, "rotary_dim");
  if (!rotary_dim) return rotary_dim.error();
  auto factor = get_number(cfg, "partial_rotary_factor");
  if (!factor) return factor.error();
  if (!*factor && *rs) factor = get_number(**rs, "partial_rotary_factor");
  if (!factor) return factor.error();
  if (!*factor) factor = get_number(cfg, "rotary_pct");
  if (!factor) return factor.error();
  if (*rotary_dim) {
    out.rotary_dim = **rotary_dim;
    if (out.rotary_dim <= 0) {
      return make_error(errc::invalid_argument, "rope: rotary_dim must be positive, got ",
                        out.rotary_dim);
    }
  } else {
    // ChatGLM rotates the first half of each head (its rotary_dim is kv_channels / 2).
    const double fallback =
        model_type == "phi" || chatglm ? 0.5 : model_type == "gpt_neox" ? 0.25 : 1.0;
    out.partial_rotary_factor = factor->value_or(fallback);
  }

  auto scaling = detail::parse_rope_scaling(cfg, *rs);
  if (!scaling) return scaling.error();
  out.scaling = std::move(*scaling);

  // Layout: rope_layout, or rope_interleave, or the family's own.
  auto layout = get_string(cfg, "rope_layout");
  if (!layout) return layout.error();
  auto interleave = get_bool(cfg, "rope_interleave");
  if (!interleave) return interleave.error();
  if (*layout) {
    if (**layout == "half") out.layout = rope_layout::half;
    else if (**layout == "interleaved") out.layout = rope_layout::interleaved;
    else return make_error(errc::invalid_config, "unknown rope_layout '", **layout,
                           "' (expected half or interleaved)");
  } else if (*interleave) {
    out.layout = **interleave ? rope_layout::interleaved : rope_layout::half;
  } else {
    const bool pairs = model_type == "gptj" || model_type == "codegen" || model_type == "glm" ||
                       model_type == "glm4" || chatglm || model_type == "cohere" ||
                       model_type == "cohere2" ||
                       model_type == "deepseek_v2" || model_type == "deepseek_v3" ||
                       model_type == "roformer";
    out.layout = pairs ? rope_layout::interleaved : rope_layout::half;
  }
  return out;
}

// ---- sinusoidal, learned, t5, alibi (issue 4) ------------------------------------------------

/// A sinusoidal_config: width from d_model (else hidden_size, n_embd), `base`,
/// `sinusoidal_layout` (interleaved | concat), `sinusoidal_spacing` (paper | tensor2tensor).
[[nodiscard]] inline result<sinusoidal_config> sinusoidal_config_from(const json& cfg) noexcept {
  constexpr std::string_view d_keys[] = {"d_model", "hidden_size", "n_embd", "n_embed"};
  sinusoidal_config out;
  auto d = require_int_any(cfg, d_keys, "sinusoidal");
  if (!d) return d.error();
  out.d_model = *d;
  auto base = get_number(cfg, "base");
  if (!base) return base.error();
  out.base = base->value_or(out.base);
  auto layout = get_string(cfg, "sinusoidal_layout");
  if (!layout) return layout.error();
  if (*layout) {
    if (**layout == "interleaved") out.layout = sinusoidal_layout::interleaved;
    else if (**layout == "concat") out.layout = sinusoidal_layout::concat;
    else return make_error(errc::invalid_config, "unknown sinusoidal_layout '", **layout,
                           "' (expected interleaved or concat)");
  }
  auto spacing = get_string(cfg, "sinusoidal_spacing");
  if (!spacing) return spacing.error();
  if (*spacing) {
    if (**spacing == "paper") out.spacing = sinusoidal_spacing::paper;
    else if (**spacing == "tensor2tensor") out.spacing = sinusoidal_spacing::tensor2tensor;
    else return make_error(errc::invalid_config, "unknown sinusoidal_spacing '", **spacing,
                           "' (expected paper or tensor2tensor)");
  }
  return out;
}

/// A learned_config: the checkpoint's table shape and position offset. Width from
/// embedding_size (ELECTRA), hidden_size, d_model, n_embd; length from max_position_embeddings,
/// n_positions, n_ctx, max_seq_len. Offset: `position_offset`, else 2 for OPT, pad_token_id + 1
/// for RoBERTa / XLM-R / CamemBERT, else 0. Rows: max_position_embeddings for the RoBERTa
/// family (it already counts the offset), else max_position_embeddings + offset (OPT: + 2).
[[nodiscard]] inline result<learned_config> learned_config_from(const json& cfg) noexcept {
  constexpr std::string_view learned_width_keys[] = {"embedding_size", "hidden_size", "d_model",
                                                     "n_embd", "n_embed", "dim"};
  learned_config out;
  auto width = require_int_any(cfg, learned_width_keys, "learned");
  if (!width) return width.error();
  out.hidden_size = *width;
  auto positions = require_int_any(cfg, max_positions_keys, "learned");
  if (!positions) return positions.error();
  auto mt = get_string(cfg, "model_type");
  if (!mt) return mt.error();
  const std::string model_type = mt->value_or("");
  const bool roberta_family =
      model_type == "roberta" || model_type == "xlm-roberta" || model_type == "camembert";
  auto offset = get_int(cfg, "position_offset");
  if (!offset) return offset.error();
  if (*offset) {
    out.position_offset = **offset;
  } else if (model_type == "opt") {
    out.position_offset = 2;
  } else if (roberta_family) {
    auto pad = get_int(cfg, "pad_token_id");
    if (!pad) return pad.error();
    if (!*pad) {
      return make_error(errc::invalid_config, "learned (", model_type,
                        "): config lacks pad_token_id, which sets the position offset");
    }
    // A token id: a vocabulary row, so non-negative and far below 2^31 in every real model.
    if (**pad < 0 || **pad >= (std::int64_t{1} << 31)) {
      return make_error(errc::invalid_config, "learned (", model_type,
                        "): pad_token_id must be in [0, 2^31), got ", **pad);
    }
    out.position_offset = **pad + 1;
  }
  if (out.position_offset < 0 || *positions <= 0 ||
      out.position_offset > INT64_MAX / 2 || *positions > INT64_MAX / 2) {
    return make_error(errc::invalid_config, "learned: max positions must be positive and the "
                      "position offset non-negative, got ", *positions, " and ", out.position_offset);
  }
  out.rows = roberta_family ? *positions : *positions + out.position_offset;
  return out;
}

/// A t5_config: relative_attention_num_buckets (32), relative_attention_max_distance (128),
/// is_decoder (false: bidirectional), heads from num_heads and its aliases: 0 when absent (the
/// bucket ids need none; the bias table does), positive when given.
[[nodiscard]] inline result<t5_config> t5_config_from(const json& cfg) noexcept {
  t5_config out;
  auto buckets = get_int(cfg, "relative_attention_num_buckets");
  if (!buckets) return buckets.error();
  out.num_buckets = buckets->value_or(out.num_buckets);
  auto distance = get_int(cfg, "relative_attention_max_distance");
  if (!distance) return distance.error();
  out.max_distance = distance->value_or(out.max_distance);
  auto decoder = get_bool(cfg, "is_decoder");
  if (!decoder) return decoder.error();
  out.bidirectional = !decoder->value_or(false);
  auto heads = get_int_any(cfg, heads_keys);
  if (!heads) return heads.error();
  if (*heads && **heads <= 0) {
    return make_error(errc::invalid_config, "t5: the head count must be positive, got ", **heads);
  }
  out.num_heads = heads->value_or(0);
  return out;
}

/// An alibi_config: heads from n_head / n_heads / num_heads, alibi_bias_max (top level or
/// MPT's attn_config; default 8), alibi_causal (default true).
[[nodiscard]] inline result<alibi_config> alibi_config_from(const json& cfg) noexcept {
  alibi_config out;
  auto heads = require_int_any(cfg, heads_keys, "alibi");
  if (!heads) return heads.error();
  out.num_heads = *heads;
  auto bias_max = get_number(cfg, "alibi_bias_max");
  if (!bias_max) return bias_max.error();
  auto attn = cfg.find("attn_config");
  if (!*bias_max && attn != cfg.end() && attn->is_object()) {
    bias_max = get_number(*attn, "alibi_bias_max");
    if (!bias_max) return bias_max.error();
  }
  out.bias_max = bias_max->value_or(out.bias_max);
  auto causal = get_bool(cfg, "alibi_causal");
  if (!causal) return causal.error();
  out.causal = causal->value_or(true);
  return out;
}

// ---- shaw, deberta, xlnet (issue 4) --------------------------------------------------------

namespace detail {
// head_dim, else hidden_size / num_attention_heads; nullopt when neither is given.
inline result<std::optional<std::int64_t>> head_dim_of(const json& cfg, std::string_view ctx) noexcept {
  auto head_dim = get_int(cfg, "head_dim");
  if (!head_dim || *head_dim) return head_dim;
  auto width = get_int_any(cfg, width_keys);
  if (!width) return width.error();
  auto heads = get_int_any(cfg, heads_keys);
  if (!heads) return heads.error();
  if (!*width || !*heads) return std::optional<std::int64_t>{};
  if (**heads <= 0 || **width % **heads != 0) {
    return make_error(errc::invalid_config, ctx, ": hidden size ", **width,
                      " is not divisible by the head count ", **heads);
  }
  return std::optional<std::int64_t>{**width / **heads};
}
}  // namespace detail

/// A shaw_config: max_relative_position (the clip k) and head_dim (or hidden / heads).
[[nodiscard]] inline result<shaw_config> shaw_config_from(const json& cfg) noexcept {
  constexpr std::string_view k_keys[] = {"max_relative_position"};
  auto k = require_int_any(cfg, k_keys, "shaw");
  if (!k) return k.error();
  auto d = detail::head_dim_of(cfg, "shaw");
  if (!d) return d.error();
  if (!*d) return make_error(errc::invalid_config, "shaw: config lacks head_dim");
  shaw_config out{.max_relative_position = *k, .head_dim = **d};
  POSENC_TRY(posenc::detail::check_shaw_config(out));
  return out;
}

/// A deberta_config: model_type deberta is v1 (no buckets), anything else v2/v3;
/// max_relative_positions < 1 means max_position_embeddings (512); position_buckets <= 0
/// means none; pos_att_type "c2p|p2c" or a list; deberta_reference "hf" (default) or "official".
[[nodiscard]] inline result<deberta_config> deberta_config_from(const json& cfg) noexcept {
  deberta_config out;
  auto mt = get_string(cfg, "model_type");
  if (!mt) return mt.error();
  out.version = mt->value_or("") == "deberta" ? deberta_version::v1 : deberta_version::v2;
  auto max_pos = get_int_any(cfg, max_positions_keys);
  if (!max_pos) return max_pos.error();
  auto rel = get_int(cfg, "max_relative_positions");
  if (!rel) return rel.error();
  out.max_relative_positions = rel->value_or(-1) < 1 ? max_pos->value_or(512) : **rel;
  if (out.version == deberta_version::v2) {
    auto b = get_int(cfg, "position_buckets");
    if (!b) return b.error();
    out.position_buckets = std::max<std::int64_t>(0, b->value_or(0));
  }
  // pos_att_type: "c2p|p2c", ["c2p", "p2c"], or absent (no position terms).
  std::vector<std::string> types;
  auto it = cfg.find("pos_att_type");
  if (it != cfg.end() && it->is_string()) {
    const std::string t = it->get<std::string>();
    std::size_t start = 0;
    while (start <= t.size()) {
      const std::size_t bar = std::min(t.find('|', start), t.size());
      // Entries are stripped, as DebertaConfig's x.strip(): "p2c | c2p" is p2c and c2p.
      const std::size_t first = t.find_first_not_of(" \t\n\r\f\v", start);
      if (first < bar) {
        const std::size_t last = t.find_last_not_of(" \t\n\r\f\v", bar - 1);
        types.push_back(t.substr(first, last - first + 1));
      }
      start = bar + 1;
    }
  } else if (it != cfg.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_string()) {
        return make_error(errc::invalid_config, "config key 'pos_att_type' must hold strings, got ",
                          detail::brief(e));
      }
      types.push_back(e.get<std::string>());
    }
  } else if (it != cfg.end() && !it->is_null()) {
    return make_error(errc::invalid_config,
                      "config key 'pos_att_type' must be a string or a list, got ", detail::brief(*it));
  }
  out.c2p = out.p2c = out.p2p = false;
  for (auto& t : types) {
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t == "c2p") out.c2p = true;
    else if (t == "p2c") out.p2c = true;
    else if (t == "p2p") out.p2p = true;
    else return make_error(errc::invalid_config, "unknown pos_att_type entry '", t,
                           "' (expected c2p, p2c or p2p)");
  }
  auto heads = get_int_any(cfg, heads_keys);
  if (!heads) return heads.error();
  out.heads = heads->value_or(1);
  auto d = detail::head_dim_of(cfg, "deberta");
  if (!d) return d.error();
  out.head_dim = d->value_or(0);
  auto ref = get_string(cfg, "deberta_reference");
  if (!ref) return ref.error();
  if (*ref && **ref == "official") out.reference = deberta_reference::official;
  else if (*ref && **ref != "hf") {
    return make_error(errc::invalid_config, "unknown deberta_reference '", **ref,
                      "' (expected hf or official)");
  }
  POSENC_TRY(posenc::detail::check_deberta_positions(out));
  return out;
}

/// An xlnet_config: d_model, attn_type (bi or uni), clamp_len (-1), n_head and d_head;
/// xlnet_clamp "symmetric" (XLNet, default) or "upper" (Transformer-XL). bi_data is unsupported.
[[nodiscard]] inline result<xlnet_config> xlnet_config_from(const json& cfg) noexcept {
  xlnet_config out;
  constexpr std::string_view d_model_keys[] = {"d_model", "hidden_size"};
  auto d_model = require_int_any(cfg, d_model_keys, "xlnet");
  if (!d_model) return d_model.error();
  out.d_model = *d_model;
  auto type = get_string(cfg, "attn_type");
  if (!type) return type.error();
  const std::string t = type->value_or("bi");
  if (t == "uni") out.attn_type = xlnet_attn_type::uni;
  else if (t != "bi") {
    return make_error(errc::invalid_config, "unknown attn_type '", t, "' (expected bi or uni)");
  }
  auto bi_data = get_bool(cfg, "bi_data");
  if (!bi_data) return bi_data.error();
  if (bi_data->value_or(false)) {
    return make_error(errc::unsupported, "xlnet: bi_data true (two-stream pretraining batches) is "
                      "not supported; set it to false");
  }
  auto clamp_len = get_int(cfg, "clamp_len");
  if (!clamp_len) return clamp_len.error();
  out.clamp_len = clamp_len->value_or(-1);
  auto clamp = get_string(cfg, "xlnet_clamp");
  if (!clamp) return clamp.error();
  if (*clamp && **clamp == "upper") out.clamp = xlnet_clamp::upper;
  else if (*clamp && **clamp != "symmetric") {
    return make_error(errc::invalid_config, "unknown xlnet_clamp '", **clamp,
                      "' (expected symmetric or upper)");
  }
  auto heads = get_int_any(cfg, heads_keys);
  if (!heads) return heads.error();
  out.heads = heads->value_or(1);
  auto d_head = get_int(cfg, "d_head");
  if (!d_head) return d_head.error();
  out.head_dim = d_head->value_or(out.heads > 0 && out.d_model % out.heads == 0 ? out.d_model / out.heads : 0);
  POSENC_TRY(posenc::detail::check_xlnet_table(out));
  return out;
}

// ---- fope (issue 5) -------------------------------------------------------------------------

/// A fope_config from the rope keys plus the FoPE code's names (spec/cli.md, encoding `fope`):
/// max_sequence_length (the floor 2 pi / L; absent or 0: no floor), rope_floor_freq_ratio (1),
/// fourier_dim (0), fourier_ignore_zero (true), fourier_separate_head (true; heads from
/// num_attention_heads and aliases), and posenc's `fope_padding`: "one" (the code's pad value,
/// the default) or "identity". FoPE is defined for full-width half-layout rotation with the
/// default frequencies, so other rope_scaling types, partial rotary and interleaved are errors.
[[nodiscard]] inline result<fope_config> fope_config_from(const json& cfg) noexcept {
  auto r = rope_config_from(cfg);
  if (!r) return r.error();
  if (r->scaling.index() != 0) {
    return make_error(errc::unsupported, "fope: rope_scaling type '", rope_type_name(r->scaling),
                      "' is not defined for FoPE (only default)");
  }
  if (r->layout != rope_layout::half) {
    return make_error(errc::unsupported, "fope: rope_layout 'interleaved' is not defined for FoPE (half only)");
  }
  if (r->rotary_dim != 0 || r->partial_rotary_factor != 1.0) {
    return make_error(errc::unsupported, "fope: partial rotary (rotary_dim / partial_rotary_factor) is not "
                      "defined for FoPE");
  }
  fope_config out;
  out.head_dim = r->head_dim;
  out.theta = r->theta;
  auto l = get_int(cfg, "max_sequence_length");
  if (!l) return l.error();
  out.max_sequence_length = l->value_or(0);
  auto ratio = get_number(cfg, "rope_floor_freq_ratio");
  if (!ratio) return ratio.error();
  out.floor_freq_ratio = ratio->value_or(1.0);
  auto fd = get_int(cfg, "fourier_dim");
  if (!fd) return fd.error();
  out.fourier_dim = fd->value_or(0);
  auto iz = get_bool(cfg, "fourier_ignore_zero");
  if (!iz) return iz.error();
  out.ignore_zero = iz->value_or(true);
  auto sep = get_bool(cfg, "fourier_separate_head");
  if (!sep) return sep.error();
  out.separate_heads = sep->value_or(true);
  auto heads = get_int_any(cfg, heads_keys);
  if (!heads) return heads.error();
  out.heads = heads->value_or(1);
  auto pad = get_string(cfg, "fope_padding");
  if (!pad) return pad.error();
  const std::string p = pad->value_or("one");
  if (p == "one") {
    out.padding = fope_padding::reference_one;
  } else if (p == "identity") {
    out.padding = fope_padding::identity;
  } else {
    return make_error(errc::invalid_config, "unknown fope_padding '", p, "' (expected one or identity)");
  }
  return out;
}

}  // namespace posenc::hf
