// io/hf_config.hpp: real config.json shapes (the rope keys of shipped checkpoints), the key
// aliases of spec/cli.md "Real model configs", and every error.
#include <posenc/io/hf_config.hpp>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

using namespace posenc;
using Catch::Matchers::Contains;

namespace {

hf::json parse(const char* text) {
  auto j = hf::parse(text, "config.json");
  REQUIRE(j);
  return *j;
}

rope_config rope_from(const char* text) {
  auto c = hf::rope_config_from(parse(text));
  INFO((c ? std::string() : c.error().message()));
  REQUIRE(c);
  return *c;
}

status rope_error(const char* text) {
  auto c = hf::rope_config_from(parse(text));
  REQUIRE_FALSE(c);
  return c.error();
}

}  // namespace

TEST_CASE("encoding from the key or from model_type", "[hf_config]") {
  CHECK(*hf::detect_encoding(parse(R"({"encoding": "t5"})")) == hf::encoding::t5);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "llama"})")) == hf::encoding::rope);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "gpt_neox"})")) == hf::encoding::rope);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "mt5"})")) == hf::encoding::t5);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "bloom"})")) == hf::encoding::alibi);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "mpt", "attn_config": {"alibi": true}})")) == hf::encoding::alibi);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "mpt", "attn_config": {"alibi": false}})")) == hf::encoding::learned);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "deberta-v2"})")) == hf::encoding::deberta);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "xlnet"})")) == hf::encoding::xlnet);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "opt"})")) == hf::encoding::learned);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "bert", "position_embedding_type": "absolute"})")) == hf::encoding::learned);
}

TEST_CASE("encoding errors name the value", "[hf_config][errors]") {
  auto err = [](const char* text) { return hf::detect_encoding(parse(text)).error(); };
  CHECK_THAT(err(R"({"encoding": "rotary"})").message(), Contains("unknown encoding 'rotary'"));
  CHECK_THAT(err(R"({"model_type": "mamba"})").message(), Contains("unknown model_type 'mamba'"));
  CHECK_THAT(err(R"({"model_type": "bert", "position_embedding_type": "relative_key"})").message(),
             Contains("position_embedding_type 'relative_key'"));
  CHECK_THAT(err(R"({"hidden_size": 8})").message(), Contains("neither an 'encoding' key nor a 'model_type'"));
  CHECK_THAT(err(R"({"encoding": 5})").message(), Contains("'encoding' must be a string, got 5"));
  auto nan = hf::parse(R"({"rope_theta": NaN})", "c.json");
  REQUIRE_FALSE(nan);
  CHECK(nan.error().code() == errc::parse_error);
  CHECK_THAT(nan.error().message(), Contains("c.json: malformed JSON"));
  CHECK_THAT(hf::parse("[1, 2]", "c.json").error().message(), Contains("not a JSON object"));
  CHECK(hf::load("/nonexistent/config.json").error().code() == errc::io_error);
}

TEST_CASE("load reads a config file, and a directory is an error, not a crash", "[hf_config][errors]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("posenc-hf-load-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "config.json").string();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs(R"({"model_type": "llama", "rope_theta": 500000.0})", f);
    std::fclose(f);
  }
  auto cfg = hf::load(path);
  REQUIRE(cfg);
  CHECK((*cfg)["rope_theta"] == 500000.0);
  // Reading a directory fails inside fread (EISDIR); it used to throw out of a noexcept load.
  auto d = hf::load(dir.string());
  REQUIRE_FALSE(d);
  CHECK(d.error().code() == errc::io_error);
  CHECK_THAT(d.error().message(), Contains("cannot read '" + dir.string() + "'"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("Llama-3.1: llama3 scaling, head_dim from hidden_size / heads", "[hf_config]") {
  auto c = rope_from(R"({"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
    "max_position_embeddings": 131072, "rope_theta": 500000.0,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  CHECK(c.head_dim == 128);
  CHECK(c.theta == 500000.0);
  CHECK(c.layout == rope_layout::half);
  auto s = std::get<llama3_scaling>(c.scaling);
  CHECK(s.factor == 8.0);
  CHECK(s.high_freq_factor == 4.0);
  CHECK(s.original_max_position_embeddings == 8192);
}

TEST_CASE("Phi-3: legacy 'type' longrope, top-level original length, factor absent", "[hf_config]") {
  auto c = rope_from(R"({"model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 32,
    "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
    "rope_theta": 10000.0, "rope_scaling": {"type": "su", "short_factor": [1, 2], "long_factor": [3, 4]}})");
  auto s = std::get<longrope_scaling>(c.scaling);
  CHECK(s.factor == 0.0);  // -> max_position_embeddings / original at construction
  CHECK(s.original_max_position_embeddings == 4096);
  CHECK(s.max_position_embeddings == 131072);
  CHECK(s.long_factor == std::vector<double>{3, 4});
}

TEST_CASE("Qwen2.5 with YaRN, DeepSeek-V3 mscale and layout", "[hf_config]") {
  auto q = rope_from(R"({"model_type": "qwen2", "hidden_size": 3584, "num_attention_heads": 28,
    "rope_theta": 1000000.0, "max_position_embeddings": 32768,
    "rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}})");
  CHECK(q.head_dim == 128);
  auto y = std::get<yarn_scaling>(q.scaling);
  CHECK(y.factor == 4.0);
  CHECK(y.original_max_position_embeddings == 32768);
  CHECK(y.beta_fast == 32.0);
  CHECK(y.truncate);
  auto d = rope_from(R"({"model_type": "deepseek_v3", "hidden_size": 7168, "num_attention_heads": 128,
    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "rope_theta": 10000,
    "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
      "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096, "type": "yarn"}})");
  CHECK(d.head_dim == 64);
  CHECK(d.layout == rope_layout::interleaved);
  CHECK(std::get<yarn_scaling>(d.scaling).mscale_all_dim == 1.0);
}

TEST_CASE("Pythia and GPT-J: rotary_pct / rotary_dim, base and layout by family", "[hf_config]") {
  auto p = rope_from(R"({"model_type": "gpt_neox", "hidden_size": 768, "num_attention_heads": 12,
    "rotary_pct": 0.25, "rotary_emb_base": 10000, "max_position_embeddings": 2048})");
  CHECK(p.head_dim == 64);
  CHECK(p.partial_rotary_factor == 0.25);
  CHECK(p.theta == 10000.0);
  CHECK(p.layout == rope_layout::half);
  auto neox_default = rope_from(R"({"model_type": "gpt_neox", "hidden_size": 512, "num_attention_heads": 8})");
  CHECK(neox_default.partial_rotary_factor == 0.25);
  auto j = rope_from(R"({"model_type": "gptj", "n_embd": 4096, "n_head": 16, "rotary_dim": 64, "n_positions": 2048})");
  CHECK(j.head_dim == 256);
  CHECK(j.rotary_dim == 64);
  CHECK(j.theta == 10000.0);
  CHECK(j.layout == rope_layout::interleaved);
  auto phi = rope_from(R"({"model_type": "phi", "hidden_size": 2560, "num_attention_heads": 32})");
  CHECK(phi.partial_rotary_factor == 0.5);
  auto override_layout = rope_from(R"({"model_type": "gptj", "n_embd": 64, "n_head": 1, "rope_layout": "half"})");
  CHECK(override_layout.layout == rope_layout::half);
}

TEST_CASE("YaRN without factor: max_position_embeddings / original (newest HF)", "[hf_config]") {
  auto c = rope_from(R"({"model_type": "qwen3", "hidden_size": 4096, "num_attention_heads": 32,
    "max_position_embeddings": 131072, "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000.0,
    "original_max_position_embeddings": 32768}})");
  CHECK(std::get<yarn_scaling>(c.scaling).factor == 4.0);
  CHECK(std::get<yarn_scaling>(c.scaling).original_max_position_embeddings == 32768);
  // Without the two lengths there is nothing to derive it from.
  CHECK_THAT(rope_error(R"({"hidden_size": 64, "num_attention_heads": 4,
    "rope_scaling": {"rope_type": "yarn", "original_max_position_embeddings": 4096}})").message(),
             Contains("rope_scaling (yarn) lacks 'factor'"));
}

TEST_CASE("Cohere, ChatGLM, Falcon and StarCoder configs as shipped", "[hf_config]") {
  // Cohere's modeling code interleaves (its rotate_half takes x[..., ::2] and x[..., 1::2]).
  for (const char* mt : {"cohere", "cohere2"}) {
    INFO(mt);
    const std::string text = std::string(R"({"model_type": ")") + mt +
                             R"(", "hidden_size": 8192, "num_attention_heads": 64, "rope_theta": 8000000.0})";
    auto c = rope_from(text.c_str());
    CHECK(c.head_dim == 128);
    CHECK(c.theta == 8000000.0);
    CHECK(c.layout == rope_layout::interleaved);
  }
  // ChatGLM2/3 and GLM-4's first release: head size kv_channels, the first half of each head
  // rotated in adjacent pairs, base 10000 * rope_ratio.
  auto glm = rope_from(R"({"model_type": "chatglm", "hidden_size": 4096, "num_attention_heads": 32,
    "kv_channels": 128, "multi_query_group_num": 2, "seq_length": 131072, "rope_ratio": 500})");
  CHECK(glm.head_dim == 128);
  CHECK(glm.partial_rotary_factor == 0.5);
  CHECK(glm.theta == 5000000.0);
  CHECK(glm.layout == rope_layout::interleaved);
  auto glm3 = rope_from(R"({"model_type": "chatglm", "hidden_size": 4096, "num_attention_heads": 32,
    "kv_channels": 128})");
  CHECK(glm3.theta == 10000.0);
  // Falcon: RoPE unless `alibi` is true (falcon-rw); the pre-transformers names too.
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "falcon", "alibi": false})")) == hf::encoding::rope);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "falcon"})")) == hf::encoding::rope);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "falcon", "alibi": true})")) == hf::encoding::alibi);
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "RefinedWebModel", "alibi": false})")) == hf::encoding::rope);
  CHECK(hf::detect_encoding(parse(R"({"model_type": "falcon", "alibi": "yes"})")).error().code() ==
        errc::invalid_config);
  auto falcon = rope_from(R"({"model_type": "falcon", "alibi": false, "hidden_size": 4544,
    "num_attention_heads": 71, "new_decoder_architecture": false, "rope_theta": 10000.0})");
  CHECK(falcon.head_dim == 64);
  CHECK(falcon.layout == rope_layout::half);
  // StarCoder (gpt_bigcode) has a learned table.
  CHECK(*hf::detect_encoding(parse(R"({"model_type": "gpt_bigcode"})")) == hf::encoding::learned);
}

TEST_CASE("transformers v5 rope_parameters, null keys and integer numbers", "[hf_config]") {
  auto c = rope_from(R"({"head_dim": 64, "rope_theta": null,
    "rope_parameters": {"rope_type": "linear", "factor": 2, "rope_theta": 50000}})");
  CHECK(c.theta == 50000.0);
  CHECK(std::get<linear_scaling>(c.scaling).factor == 2.0);
  auto d = rope_from(R"({"head_dim": 64, "rope_scaling": null, "rope_interleave": true})");
  CHECK(std::holds_alternative<default_scaling>(d.scaling));
  CHECK(d.layout == rope_layout::interleaved);
  auto dyn = rope_from(R"({"head_dim": 64, "max_position_embeddings": 2048, "rope_scaling": {"type": "dynamic", "factor": 2.0}})");
  CHECK(std::get<dynamic_scaling>(dyn.scaling).max_position_embeddings == 2048);
}

TEST_CASE("rope config errors name the key and value", "[hf_config][errors]") {
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": {"rope_type": "ntk-by-parts", "factor": 2}})").message(),
             Contains("unknown rope_type 'ntk-by-parts'"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}})").message(),
             Contains("mrope"));
  CHECK_THAT(rope_error(R"({"rope_theta": 10000})").message(), Contains("config lacks hidden_size or d_model"));
  CHECK_THAT(rope_error(R"({"hidden_size": 100, "num_attention_heads": 3})").message(),
             Contains("hidden size 100 is not divisible by the head count 3"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_theta": "10000"})").message(),
             Contains("'rope_theta' must be a number, got \"10000\""));
  CHECK_THAT(rope_error(R"({"head_dim": 64.5})").message(), Contains("'head_dim' must be an integer, got 64.5"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": {"rope_type": "linear"}})").message(),
             Contains("rope_scaling (linear) lacks 'factor'"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": {"rope_type": "llama3", "factor": 8}})").message(),
             Contains("needs original_max_position_embeddings"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_layout": "zigzag"})").message(), Contains("unknown rope_layout 'zigzag'"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": [1]})").message(), Contains("'rope_scaling' must be an object"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_interleave": "yes"})").message(),
             Contains("'rope_interleave' must be true or false"));
  CHECK_THAT(rope_error(R"({"head_dim": 64, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, "x"]}})").message(),
             Contains("'short_factor' must hold numbers only"));
  CHECK_THAT(rope_error(R"({"head_dim": 18446744073709551615})").message(), Contains("too large"));
}
