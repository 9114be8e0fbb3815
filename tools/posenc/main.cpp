// posenc: run any positional encoder on .npy files (contract: spec/cli.md; guide: docs/cli.md).
// Exit status 0 on success; on bad input one stderr line naming the problem and value, no
// output file, exit status 2.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <posenc/kernels/dispatch.hpp>
#include <posenc/version.hpp>
#include <string>

#include "cli.hpp"

namespace {

using posenc::cli::args;
using posenc::hf::encoding;

struct route {
  std::string_view op;
  encoding enc;
  posenc::cli::handler fn;
  std::string_view takes;  ///< the options it reads besides --config and --out
};

// Which handler serves each (operation, encoding), and the options it reads.
constexpr route routes[] = {
    {"rope", encoding::rope, &posenc::cli::rope_op, "--positions --in"},
    {"rope", encoding::fope, &posenc::cli::fope_op, "--positions --in --weights"},
    {"linear-attention", encoding::rope, &posenc::cli::linear_attention_op,
     "--q --k --v --positions --causal"},
    {"table", encoding::sinusoidal, &posenc::cli::table_sinusoidal_op, "--positions"},
    {"table", encoding::learned, &posenc::cli::table_learned_op, "--positions --weights"},
    {"relpos", encoding::t5, &posenc::cli::relpos_t5_op, "--q-len --k-len --query-offset"},
    {"bias", encoding::t5, &posenc::cli::bias_t5_op, "--q-len --k-len --query-offset --weights"},
    {"bias", encoding::alibi, &posenc::cli::bias_alibi_op, "--q-len --k-len --query-offset"},
    {"relpos", encoding::shaw, &posenc::cli::relpos_shaw_op, "--q-len --k-len --query-offset"},
    {"relpos", encoding::deberta, &posenc::cli::relpos_deberta_op, "--q-len --k-len --query-offset"},
    {"table", encoding::xlnet, &posenc::cli::table_xlnet_op, "--q-len --k-len"},
};

// Whether `flag` is one of the space-separated flags in `list`.
bool lists(std::string_view list, std::string_view flag) {
  while (!list.empty()) {
    const std::size_t end = std::min(list.find(' '), list.size());
    if (list.substr(0, end) == flag) return true;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return false;
}

// Runs the route for `a`; `given` are the options on the command line, each of which must be
// one the route reads (an option that does not apply is an error, not silently ignored).
posenc::status dispatch(args& a, const std::vector<std::string>& given) {
  auto cfg = posenc::hf::load(a.config_path);
  if (!cfg) return cfg.error();
  a.config = std::move(*cfg);
  auto enc = posenc::hf::detect_encoding(a.config);
  if (!enc) return enc.error();
  a.enc = *enc;
  for (const auto& r : routes) {
    if (r.op != a.op || r.enc != a.enc) continue;
    for (const auto& flag : given) {
      if (flag != "--config" && flag != "--out" && !lists(r.takes, flag)) {
        return posenc::make_error(posenc::errc::invalid_argument, flag, " does not apply to encoding '",
                                  posenc::hf::encoding_name(a.enc), "'");
      }
    }
    return r.fn(a);
  }
  return posenc::make_error(posenc::errc::unsupported, "operation '", a.op,
                            "' does not apply to encoding '", posenc::hf::encoding_name(a.enc),
                            "'");
}

// CLI11 reads integers with strtoll, which clamps out-of-range text to INT64_MAX and reads
// "010" as octal; integer options pass through this first, so the value used is the text given.
std::string decimal_int64(std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return "'" + text + "' is outside the 64-bit integer range";
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return "expected a decimal integer, got '" + text + "'";
  }
  text = std::to_string(v);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "posenc " POSENC_VERSION_STRING
      ": transformer positional encodings on NumPy .npy files.\n"
      "The config is a JSON object with Hugging Face config.json key names; a model's own\n"
      "config.json works as it is (the encoding is inferred from model_type).\n"
      "Example:\n"
      "  posenc rope --config llama-3.1-8b/config.json --positions pos.npy --in q.npy --out q_rot.npy\n"
      "On bad input posenc prints one line naming the problem and exits with status 2."};
  app.set_version_flag("--version", std::string(POSENC_VERSION_STRING));
  app.require_subcommand(1);
  args a;
  const CLI::Validator integer(decimal_int64, "INTEGER");

  auto* rope = app.add_subcommand("rope", "rotate X [tokens, heads, head_dim] at each token's position");
  rope->add_option("--config", a.config_path, "config JSON (rope or fope keys)")->required();
  rope->add_option("--positions", a.positions, "P.npy: [tokens] integer positions")->required();
  rope->add_option("--in", a.in, "X.npy: [tokens, heads, head_dim] floats")->required();
  rope->add_option("--weights", a.weights, "W.npy: FoPE coefficients [2, heads, M, N] or [2, M, N]");
  rope->add_option("--out", a.out, "Y.npy to write (float32, same shape as X)")->required();

  auto* table = app.add_subcommand(
      "table", "absolute encodings: Y [tokens, d] for positions (sinusoidal, learned), or the\n"
               "XLNet relative sinusoid table for --q-len/--k-len");
  table->add_option("--config", a.config_path, "config JSON")->required();
  table->add_option("--positions", a.positions, "P.npy: [tokens] integer positions");
  table->add_option("--weights", a.weights, "W.npy: learned table [rows, hidden]");
  table->add_option("--q-len", a.q_len, "query length (xlnet)")->transform(integer);
  table->add_option("--k-len", a.k_len, "key length (xlnet)")->transform(integer);
  table->add_option("--out", a.out, "Y.npy to write (float32)")->required();

  auto* relpos = app.add_subcommand(
      "relpos", "relative position ids R [Q, K] (t5 buckets, deberta, shaw); query i at O + i");
  relpos->add_option("--config", a.config_path, "config JSON")->required();
  relpos->add_option("--q-len", a.q_len, "query length Q")->transform(integer)->required();
  relpos->add_option("--k-len", a.k_len, "key length K")->transform(integer)->required();
  relpos->add_option("--query-offset", a.query_offset, "position O of the first query (default 0)")
      ->transform(integer);
  relpos->add_option("--out", a.out, "R.npy to write (int64)")->required();

  auto* bias = app.add_subcommand("bias", "additive logit bias B [heads, Q, K] (t5, alibi)");
  bias->add_option("--config", a.config_path, "config JSON")->required();
  bias->add_option("--q-len", a.q_len, "query length Q")->transform(integer)->required();
  bias->add_option("--k-len", a.k_len, "key length K")->transform(integer)->required();
  bias->add_option("--query-offset", a.query_offset, "position O of the first query (default 0)")
      ->transform(integer);
  bias->add_option("--weights", a.weights, "W.npy: T5 bucket table [num_buckets, heads]");
  bias->add_option("--out", a.out, "B.npy to write (float32)")->required();

  auto* linear = app.add_subcommand(
      "linear-attention", "RoPE linear attention (RoFormer eq. 19): O [tokens, heads, dv]");
  linear->add_option("--config", a.config_path, "rope config plus feature_map (elu1 or relu)")->required();
  linear->add_option("--q", a.q, "Q.npy: [tokens, heads, d]")->required();
  linear->add_option("--k", a.k, "K.npy: [tokens, heads, d]")->required();
  linear->add_option("--v", a.v, "V.npy: [tokens, heads, dv]")->required();
  linear->add_option("--positions", a.positions, "P.npy: [tokens] integer positions")->required();
  linear->add_flag("--causal", a.causal, "token n attends to tokens m <= n only");
  linear->add_option("--out", a.out, "O.npy to write (float32)")->required();

  app.add_subcommand("tour", "a guided run of the library over real model configs");

  auto* bench = app.add_subcommand("bench", "a timing table of every encoder on this machine");
  bench->add_flag("--json", a.json, "print machine-readable JSON instead of the table");
  bench->add_option("--tokens", a.bench_tokens, "sequence length of every shape (default 512)")
      ->transform(integer);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    // CLI11 only says a subcommand is required; name the operation it did not know.
    if (argc > 1 && argv[1][0] != '-' &&
        app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == argv[1]; }).empty()) {
      msg = "unknown operation '" + std::string(argv[1]) +
            "' (expected rope, table, relpos, bias, linear-attention, tour or bench)";
    }
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "posenc: %s (run 'posenc --help')\n", msg.c_str());
    return 2;
  }
  std::vector<std::string> given;
  for (const auto* sub : app.get_subcommands()) {
    a.op = sub->get_name();
    for (const auto* opt : sub->get_options()) {
      if (opt->count() > 0) given.push_back(opt->get_name());
    }
  }
  // A POSENC_ISA the library cannot honour is bad input here too (results would not change,
  // but a run meant to time one ISA would silently time another).
  const posenc::status st = !posenc::isa_env_status().ok() ? posenc::isa_env_status()
                            : a.op == "tour"                ? posenc::cli::tour(a)
                            : a.op == "bench"               ? posenc::cli::bench(a)
                                                            : dispatch(a, given);
  if (!st.ok()) {
    std::fprintf(stderr, "posenc %s: %s\n", a.op.c_str(), st.message().c_str());
    return 2;
  }
  return 0;
}
