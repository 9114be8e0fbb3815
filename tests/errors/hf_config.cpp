// Rows of docs/errors.md for posenc/io/hf_config.hpp: JSON parsing, typed keys, encoding
// detection and the per-encoding config readers.
#include <posenc/io/hf_config.hpp>

#include <limits>
#include <string>

#include "rows.hpp"

namespace {

namespace hf = posenc::hf;
using posenc::errc;
using posenc::test::failed;
using posenc::test::outcome;

const std::string file = "posenc/io/hf_config.hpp";

// Parses `{keys}` as config.json and hands it to `read` (a *_config_from or detect_encoding).
template <class Read>
outcome from(Read read, const std::string& keys) {
  const auto j = hf::parse("{" + keys + "}", "config.json");
  if (!j) return failed(j);
  return failed(read(*j));
}

// A 64-wide, 4-head config: the base keys of the rope and fope rows.
const std::string heads4 = R"("hidden_size": 64, "num_attention_heads": 4, )";

outcome rope(const std::string& extra) { return from(hf::rope_config_from, heads4 + extra); }
outcome fope(const std::string& extra) { return from(hf::fope_config_from, heads4 + extra); }
// rope_config_from with the given rope_scaling object body.
outcome scaling(const std::string& body) { return rope(R"("rope_scaling": {)" + body + "}"); }
outcome detect(const std::string& keys) { return from(hf::detect_encoding, keys); }
outcome sinusoidal(const std::string& extra) {
  return from(hf::sinusoidal_config_from, R"("d_model": 8, )" + extra);
}
outcome learned(const std::string& keys) { return from(hf::learned_config_from, keys); }
outcome shaw(const std::string& extra) {
  return from(hf::shaw_config_from, R"("max_relative_position": 4, )" + extra);
}
outcome deberta(const std::string& extra) {
  return from(hf::deberta_config_from, R"("model_type": "deberta-v2", )" + extra);
}
outcome xlnet(const std::string& extra) { return from(hf::xlnet_config_from, R"("d_model": 8, )" + extra); }

// hf::parse on `text` named `what`.
outcome parsed(const std::string& text, const std::string& what) { return failed(hf::parse(text, what)); }

const posenc::test::rows hf_config_rows{
    {file, errc::parse_error, "<what>: JSON nested <depth> levels deep (at most <max_json_depth>)",
     "nested 65 levels", [] { return parsed(std::string(65, '[') + std::string(65, ']'), "deep.json"); }},
    {file, errc::parse_error,
     "<what>: malformed JSON (note: NaN and Infinity are not valid JSON numbers)", "nan.json",
     [] { return parsed(R"({"rope_theta": NaN})", "nan.json"); }},
    {file, errc::invalid_config, "<what>: the config is not a JSON object", "list.json",
     [] { return parsed("[1, 2]", "list.json"); }},

    // Typed keys, reached through rope_config_from.
    {file, errc::invalid_config, "config key '<key>' must be a number, got <detail::brief(*it)>",
     R"('rope_theta' must be a number, got "big")", [] { return rope(R"("rope_theta": "big")"); }},
    // JSON text cannot hold inf (parse() rejects 1e999 as malformed); a json built in code can.
    {file, errc::invalid_config, "config key '<key>' must be finite, got <v>",
     "'rope_theta' must be finite, got inf", [] {
       const hf::json cfg = {{"hidden_size", 64}, {"num_attention_heads", 4},
                             {"rope_theta", std::numeric_limits<double>::infinity()}};
       return failed(hf::rope_config_from(cfg));
     }},
    {file, errc::invalid_config, "config key '<key>' is too large: <detail::brief(*it)>",
     "'rotary_dim' is too large: 18446744073709551615",
     [] { return rope(R"("rotary_dim": 18446744073709551615)"); }},
    {file, errc::invalid_config, "config key '<key>' must be an integer, got <detail::brief(*it)>",
     "'rotary_dim' must be an integer, got 2.5", [] { return rope(R"("rotary_dim": 2.5)"); }},
    {file, errc::invalid_config, "config key '<key>' must be true or false, got <detail::brief(*it)>",
     R"('rope_interleave' must be true or false, got "yes")",
     [] { return rope(R"("rope_interleave": "yes")"); }},
    {file, errc::invalid_config, "config key '<key>' must be a string, got <detail::brief(*it)>",
     "'rope_layout' must be a string, got 7", [] { return rope(R"("rope_layout": 7)"); }},
    {file, errc::invalid_config, "<ctx>: config lacks <names>",
     "alibi: config lacks num_attention_heads or n_head",
     [] { return from(hf::alibi_config_from, R"("alibi_bias_max": 8)"); }},
    {file, errc::invalid_config, "config key '<key>' must be a list of numbers", "'short_factor'",
     [] { return scaling(R"("rope_type": "longrope", "short_factor": 3)"); }},
    {file, errc::invalid_config, "config key '<key>' must hold numbers only, got <detail::brief(v)>",
     R"('long_factor' must hold numbers only, got "x")",
     [] { return scaling(R"("rope_type": "longrope", "long_factor": [1, "x"])"); }},

    // Which encoding.
    {file, errc::unsupported,
     "unknown encoding '<enc>' (expected rope, fope, sinusoidal, learned, t5, alibi, shaw, deberta or "
     "xlnet)",
     "'rotary'", [] { return detect(R"("encoding": "rotary")"); }},
    {file, errc::invalid_config,
     "config has neither an 'encoding' key nor a 'model_type' to infer it from",
     "neither an 'encoding' key nor a 'model_type'", [] { return detect(R"("hidden_size": 8)"); }},
    {file, errc::unsupported,
     "position_embedding_type '<pet>' of model_type '<mt>' is not supported by posenc",
     "'relative_key' of model_type 'bert'",
     [] { return detect(R"("model_type": "bert", "position_embedding_type": "relative_key")"); }},
    {file, errc::unsupported,
     "unknown model_type '<mt>' and no 'encoding' key: say which encoding to use", "'mamba'",
     [] { return detect(R"("model_type": "mamba")"); }},

    // rope.
    {file, errc::invalid_config, "config key '<key>' must be an object, got <detail::brief(*it)>",
     "'rope_scaling' must be an object, got 5", [] { return rope(R"("rope_scaling": 5)"); }},
    {file, errc::unsupported, "multimodal rope (mrope_section, Qwen2-VL) is not supported by posenc",
     "mrope_section", [] { return scaling(R"("type": "mrope", "mrope_section": [16, 24, 24])"); }},
    {file, errc::invalid_config, "rope_scaling (<t>) lacks 'factor'", "rope_scaling (yarn)",
     [] { return scaling(R"("rope_type": "yarn")"); }},
    {file, errc::invalid_config, "rope_scaling (dynamic) needs max_position_embeddings", "(dynamic) needs",
     [] { return scaling(R"("rope_type": "dynamic", "factor": 2.0)"); }},
    {file, errc::invalid_config, "rope_scaling (longrope) needs original_max_position_embeddings",
     "(longrope) needs",
     [] { return scaling(R"("rope_type": "longrope", "short_factor": [1], "long_factor": [2])"); }},
    {file, errc::invalid_config, "rope_scaling (llama3) needs original_max_position_embeddings",
     "(llama3) needs", [] { return scaling(R"("rope_type": "llama3", "factor": 8.0)"); }},
    {file, errc::unsupported,
     "unknown rope_type '<t>' (expected default, linear, dynamic, yarn, longrope or llama3)", "'ntk'",
     [] { return scaling(R"("rope_type": "ntk", "factor": 2.0)"); }},
    {file, errc::invalid_config, "rope: hidden size <width> is not divisible by the head count <heads>",
     "hidden size 10 is not divisible by the head count 3",
     [] { return from(hf::rope_config_from, R"("hidden_size": 10, "num_attention_heads": 3)"); }},
    {file, errc::invalid_argument, "rope: rotary_dim must be positive, got <out.rotary_dim>", "got -4",
     [] { return rope(R"("rotary_dim": -4)"); }},
    {file, errc::invalid_config, "unknown rope_layout '<layout>' (expected half or interleaved)", "'pairs'",
     [] { return rope(R"("rope_layout": "pairs")"); }},

    // sinusoidal, learned.
    {file, errc::invalid_config, "unknown sinusoidal_layout '<layout>' (expected interleaved or concat)",
     "'stacked'", [] { return sinusoidal(R"("sinusoidal_layout": "stacked")"); }},
    {file, errc::invalid_config, "unknown sinusoidal_spacing '<spacing>' (expected paper or tensor2tensor)",
     "'t2t'", [] { return sinusoidal(R"("sinusoidal_spacing": "t2t")"); }},
    {file, errc::invalid_config,
     "learned (<model_type>): config lacks pad_token_id, which sets the position offset", "learned (roberta)",
     [] { return learned(R"("model_type": "roberta", "hidden_size": 8, "max_position_embeddings": 514)"); }},
    {file, errc::invalid_config,
     "learned: max positions must be positive and the position offset non-negative, got <positions> and "
     "<out.position_offset>",
     "got 0 and 0", [] { return learned(R"("hidden_size": 8, "max_position_embeddings": 0)"); }},
    // INT64_MAX: pad_token_id + 1 would overflow.
    {file, errc::invalid_config, "learned (<model_type>): pad_token_id must be in [0, 2^31), got <pad>",
     "learned (roberta): pad_token_id must be in [0, 2^31), got 9223372036854775807", [] {
       return learned(R"("model_type": "roberta", "hidden_size": 8, "max_position_embeddings": 514, )"
                      R"("pad_token_id": 9223372036854775807)");
     }},

    // t5.
    {file, errc::invalid_config, "t5: the head count must be positive, got <heads>", "got 0",
     [] { return from(hf::t5_config_from, R"("num_heads": 0)"); }},

    // shaw, deberta, xlnet.
    {file, errc::invalid_config, "<ctx>: hidden size <width> is not divisible by the head count <heads>",
     "shaw: hidden size 10 is not divisible by the head count 3",
     [] { return shaw(R"("hidden_size": 10, "num_attention_heads": 3)"); }},
    {file, errc::invalid_config, "shaw: config lacks head_dim", "lacks head_dim",
     [] { return shaw(R"("hidden_size": 64)"); }},
    {file, errc::invalid_config, "config key 'pos_att_type' must hold strings, got <detail::brief(e)>",
     "must hold strings, got 3", [] { return deberta(R"("pos_att_type": ["c2p", 3])"); }},
    {file, errc::invalid_config,
     "config key 'pos_att_type' must be a string or a list, got <detail::brief(*it)>", R"(got {"c2p":true})",
     [] { return deberta(R"("pos_att_type": {"c2p": true})"); }},
    {file, errc::invalid_config, "unknown pos_att_type entry '<t>' (expected c2p, p2c or p2p)", "'c2c'",
     [] { return deberta(R"("pos_att_type": "c2p|c2c")"); }},
    {file, errc::invalid_config, "unknown deberta_reference '<ref>' (expected hf or official)", "'paper'",
     [] { return deberta(R"("pos_att_type": "c2p", "deberta_reference": "paper")"); }},
    {file, errc::invalid_config, "unknown attn_type '<t>' (expected bi or uni)", "'causal'",
     [] { return xlnet(R"("attn_type": "causal")"); }},
    {file, errc::unsupported,
     "xlnet: bi_data true (two-stream pretraining batches) is not supported; set it to false", "bi_data true",
     [] { return xlnet(R"("bi_data": true)"); }},
    {file, errc::invalid_config, "unknown xlnet_clamp '<clamp>' (expected symmetric or upper)", "'lower'",
     [] { return xlnet(R"("xlnet_clamp": "lower")"); }},

    // fope.
    {file, errc::unsupported,
     "fope: rope_scaling type '<rope_type_name(r->scaling)>' is not defined for FoPE (only default)",
     "type 'linear'", [] { return fope(R"("rope_scaling": {"rope_type": "linear", "factor": 2.0})"); }},
    {file, errc::unsupported, "fope: rope_layout 'interleaved' is not defined for FoPE (half only)",
     "rope_layout 'interleaved'", [] { return fope(R"("rope_layout": "interleaved")"); }},
    {file, errc::unsupported,
     "fope: partial rotary (rotary_dim / partial_rotary_factor) is not defined for FoPE", "partial rotary",
     [] { return fope(R"("partial_rotary_factor": 0.5)"); }},
    {file, errc::invalid_config, "unknown fope_padding '<p>' (expected one or identity)", "'zero'",
     [] { return fope(R"("fope_padding": "zero")"); }},
};

}  // namespace
