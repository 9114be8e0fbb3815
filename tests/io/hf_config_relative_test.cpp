// shaw_config_from, deberta_config_from and xlnet_config_from on real and minimal configs.
#include <catch2/catch.hpp>
#include <posenc/io/hf_config.hpp>

using namespace posenc;

namespace {
hf::json parse(const char* text) {
  auto j = hf::parse(text, "test");
  REQUIRE(j);
  return *j;
}
}  // namespace

TEST_CASE("deberta-v3-base config.json: v2, 256 buckets, k = 512, c2p|p2c", "[hf_config]") {
  const auto j = parse(R"({"model_type": "deberta-v2", "hidden_size": 768, "num_attention_heads": 12,
    "max_position_embeddings": 512, "max_relative_positions": -1, "position_buckets": 256,
    "pos_att_type": ["p2c", "c2p"], "relative_attention": true, "share_att_key": true,
    "norm_rel_ebd": "layer_norm", "position_biased_input": false})");
  REQUIRE(hf::detect_encoding(j).value() == hf::encoding::deberta);
  auto c = hf::deberta_config_from(j);
  REQUIRE(c);
  CHECK(c->version == deberta_version::v2);
  CHECK(c->max_relative_positions == 512);
  CHECK(c->position_buckets == 256);
  CHECK(c->c2p);
  CHECK(c->p2c);
  CHECK_FALSE(c->p2p);
  CHECK(c->heads == 12);
  CHECK(c->head_dim == 64);
  CHECK(deberta_scale_factor(*c) == 3);
}

TEST_CASE("deberta v1 config: no buckets, pos_att_type string", "[hf_config]") {
  auto c = hf::deberta_config_from(parse(R"({"model_type": "deberta", "hidden_size": 1024,
    "num_attention_heads": 16, "max_position_embeddings": 512, "max_relative_positions": -1,
    "position_buckets": 256, "pos_att_type": "c2p|p2c"})"));
  REQUIRE(c);
  CHECK(c->version == deberta_version::v1);
  CHECK(c->position_buckets == 0);
  CHECK(c->max_relative_positions == 512);
  CHECK(c->head_dim == 64);
  auto bad = hf::deberta_config_from(parse(R"({"encoding": "deberta", "pos_att_type": "c2p|q2q"})"));
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("'q2q'"));
  bad = hf::deberta_config_from(parse(R"({"encoding": "deberta", "deberta_reference": "paper"})"));
  CHECK_THAT(bad.error().message(), Catch::Contains("'paper'"));
  auto off = hf::deberta_config_from(parse(R"({"encoding": "deberta", "deberta_reference": "official"})"));
  REQUIRE(off);
  CHECK(off->reference == deberta_reference::official);
}

TEST_CASE("deberta pos_att_type strings: [x.strip() for x in s.lower().split('|')]", "[hf_config]") {
  auto c = hf::deberta_config_from(parse(R"({"encoding": "deberta", "pos_att_type": "P2C | c2p "})"));
  REQUIRE(c);
  CHECK(c->p2c);
  CHECK(c->c2p);
  CHECK_FALSE(c->p2p);
  c = hf::deberta_config_from(parse(R"({"encoding": "deberta", "pos_att_type": "\tp2p|  c2p"})"));
  REQUIRE(c);
  CHECK(c->p2p);
  CHECK(c->c2p);
  CHECK_FALSE(c->p2c);
}

TEST_CASE("xlnet-base-cased config.json", "[hf_config]") {
  const auto j = parse(R"({"model_type": "xlnet", "d_model": 768, "n_head": 12, "d_head": 64,
    "attn_type": "bi", "bi_data": false, "clamp_len": -1, "mem_len": null, "untie_r": true})");
  REQUIRE(hf::detect_encoding(j).value() == hf::encoding::xlnet);
  auto c = hf::xlnet_config_from(j);
  REQUIRE(c);
  CHECK(c->d_model == 768);
  CHECK(c->heads == 12);
  CHECK(c->head_dim == 64);
  CHECK(c->attn_type == xlnet_attn_type::bi);
  CHECK(c->clamp_len == -1);
  auto bad = hf::xlnet_config_from(parse(R"({"encoding": "xlnet", "d_model": 8, "bi_data": true})"));
  CHECK(bad.error().code() == errc::unsupported);
  bad = hf::xlnet_config_from(parse(R"({"encoding": "xlnet", "d_model": 8, "attn_type": "tri"})"));
  CHECK_THAT(bad.error().message(), Catch::Contains("'tri'"));
  auto txl = hf::xlnet_config_from(parse(R"({"encoding": "xlnet", "d_model": 8, "xlnet_clamp": "upper"})"));
  REQUIRE(txl);
  CHECK(txl->clamp == xlnet_clamp::upper);
}

TEST_CASE("shaw config", "[hf_config]") {
  auto c = hf::shaw_config_from(parse(R"({"encoding": "shaw", "max_relative_position": 4,
    "hidden_size": 64, "num_attention_heads": 4})"));
  REQUIRE(c);
  CHECK(c->head_dim == 16);
  auto bad = hf::shaw_config_from(parse(R"({"encoding": "shaw", "head_dim": 4})"));
  CHECK_THAT(bad.error().message(), Catch::Contains("max_relative_position"));
  bad = hf::shaw_config_from(parse(R"({"encoding": "shaw", "max_relative_position": -3, "head_dim": 4})"));
  CHECK_THAT(bad.error().message(), Catch::Contains("got -3"));
}
