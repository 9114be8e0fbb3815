// Rows of docs/errors.md for the posenc CLI: tools/posenc/*.cpp. Each runs the built binary on
// files in scratch() and expects exit status 2, one stderr line and no --out file.
#include <posenc/kernels/dispatch.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rows.hpp"

namespace {

using posenc::errc;
using posenc::test::outcome;
using posenc::test::scratch;

using strings = std::vector<std::string>;

// A config file with the given JSON text.
std::string config(const std::string& name, const std::string& json) { return scratch().text(name, json); }

// Runs `posenc op --config cfg rest... --out <scratch out>`.
outcome run(const std::string& op, const std::string& cfg, strings rest) {
  strings args{op, "--config", cfg};
  args.insert(args.end(), rest.begin(), rest.end());
  args.insert(args.end(), {"--out", scratch().out()});
  return posenc::test::run_cli(args);
}

// posenc bias (ALiBi, otherwise valid) with the environment variable POSENC_ISA set to `isa`.
outcome with_isa_env(const std::string& isa) {
  const auto cfg = config("alibi.json", R"({"encoding": "alibi", "num_heads": 2})");
  ::setenv("POSENC_ISA", isa.c_str(), 1);
  auto o = run("bias", cfg, {"--q-len", "2", "--k-len", "2"});
  ::unsetenv("POSENC_ISA");
  return o;
}
// An ISA this build or CPU cannot run (NEON on x86-64, AVX2 elsewhere).
std::string missing_isa() {
  for (posenc::isa i : {posenc::isa::neon, posenc::isa::avx2}) {
    if (!posenc::isa_supported(i)) return std::string(posenc::isa_name(i));
  }
  return "neon";
}

std::string rope8() { return config("rope8.json", R"({"encoding": "rope", "head_dim": 8})"); }
std::string t5() { return config("t5.json", R"({"encoding": "t5", "num_heads": 2})"); }
std::string xlnet() { return config("xlnet.json", R"({"encoding": "xlnet", "d_model": 8})"); }
std::string fope(const std::string& name, const std::string& extra) {
  return config(name, R"({"encoding": "fope", "head_dim": 8, "num_attention_heads": 2)" + extra + "}");
}
std::string positions(std::int64_t n) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  return scratch().ints("p" + std::to_string(n).append(".npy"), p);
}
// A float32 .npy named after its shape.
std::string floats(const std::vector<std::int64_t>& shape) {
  std::string name = "f";
  for (auto d : shape) name.append("_").append(std::to_string(d));
  return scratch().floats(name + ".npy", shape);
}

// posenc rope on the rope8 config with X of `in_shape` and `tokens` positions.
outcome rope(const std::vector<std::int64_t>& in_shape, std::int64_t tokens) {
  return run("rope", rope8(), {"--positions", positions(tokens), "--in", floats(in_shape)});
}
// posenc rope on a fope config with the given weights shape.
outcome fope_weights(const std::string& cfg, const std::vector<std::int64_t>& w_shape) {
  return run("rope", cfg,
             {"--positions", positions(3), "--in", floats({3, 2, 8}), "--weights", floats(w_shape)});
}
// posenc linear-attention on the rope8 config (plus `extra` keys) with Q, K, V shapes and positions.
outcome linear(const std::vector<std::int64_t>& q, const std::vector<std::int64_t>& k,
               const std::vector<std::int64_t>& v, std::int64_t tokens, const std::string& extra = "") {
  const auto cfg = config("la.json", R"({"encoding": "rope", "head_dim": 8)" + extra + "}");
  return run("linear-attention", cfg,
             {"--q", floats(q), "--k", floats(k), "--v", floats(v), "--positions", positions(tokens)});
}
outcome relpos_t5(const std::string& q_len, const std::string& k_len) {
  return run("relpos", t5(), {"--q-len", q_len, "--k-len", k_len});
}

const std::string cli_io = "tools/posenc/cli_io.cpp";
const std::string fope_op = "tools/posenc/op_fope.cpp";
const std::string la_op = "tools/posenc/op_linear_attention.cpp";
const std::string tour = "tools/posenc/op_tour.cpp";
const std::string tour_why =
    "a self-check of the library's own results on built-in configs; `posenc tour` takes no input. "
    "The passing tour runs as ctest tools/posenc_tour (tools/posenc/CMakeLists.txt)";

const posenc::test::rows cli_rows{
    {cli_io, errc::invalid_argument, "missing required option --<flag>", "option --positions",
     [] { return run("table", config("sin.json", R"({"encoding": "sinusoidal", "d_model": 8})"), {}); }},
    {cli_io, errc::invalid_argument, "output shape <shape_string(shape)> has a negative extent",
     "(-1, 4)", [] { return relpos_t5("-1", "4"); }},
    {cli_io, errc::invalid_argument, "output shape <shape_string(shape)> has more than 2^30 elements",
     "(65536, 65536)", [] { return relpos_t5("65536", "65536"); }},
    {cli_io, errc::shape_mismatch,
     "--<flag>: expected a rank-1 array of positions, got shape <shape_string(arr->shape)>",
     "got shape (2, 3)",
     [] { return run("rope", rope8(), {"--positions", floats({2, 3}), "--in", floats({2, 1, 8})}); }},
    {cli_io, errc::shape_mismatch,
     "--<flag>: expected a rank-<rank> array, got shape <shape_string(arr->shape)>",
     "--in: expected a rank-3 array, got shape (3, 8)", [] { return rope({3, 8}, 3); }},
    {cli_io, errc::shape_mismatch, "--positions has <pos->size()> entries but --in has <x->shape[0]> tokens",
     "4 entries but --in has 3 tokens", [] { return rope({3, 2, 8}, 4); }},
    {cli_io, errc::shape_mismatch, "--in has head_dim <x->shape[2]> but the config gives <head_dim>",
     "head_dim 4 but the config gives 8", [] { return rope({3, 2, 4}, 3); }},

    {"tools/posenc/main.cpp", errc::unsupported,
     "operation '<a.op>' does not apply to encoding '<posenc::hf::encoding_name(a.enc)>'",
     "operation 'relpos' does not apply to encoding 'rope'",
     [] { return run("relpos", rope8(), {"--q-len", "2", "--k-len", "2"}); }},
    // ALiBi has no bucket table: --weights is refused before the file is looked at.
    {"tools/posenc/main.cpp", errc::invalid_argument,
     "<flag> does not apply to encoding '<posenc::hf::encoding_name(a.enc)>'",
     "--weights does not apply to encoding 'alibi'", [] {
       const auto cfg = config("alibi.json", R"({"encoding": "alibi", "num_heads": 2})");
       return run("bias", cfg, {"--q-len", "2", "--k-len", "2", "--weights", "/nonexistent/w.npy"});
     }},

    {"tools/posenc/op_absolute.cpp", errc::shape_mismatch,
     "--weights has shape <shape_string(w->shape)> but the config gives a table of (rows, hidden size) = "
     "(<cfg->rows>, <cfg->hidden_size>), position_offset <cfg->position_offset>",
     "(5, 8) but the config gives a table of (rows, hidden size) = (4, 8), position_offset 0", [] {
       const auto cfg = config("learned.json",
                               R"({"encoding": "learned", "max_position_embeddings": 4, "hidden_size": 8})");
       return run("table", cfg, {"--weights", floats({5, 8}), "--positions", positions(2)});
     }},

    {"tools/posenc/op_bench.cpp", errc::invalid_argument,
     "--tokens must be in [1, 8192], got <a.bench_tokens>",
     "got 8193", [] { return posenc::test::run_cli({"bench", "--tokens", "8193"}); }},

    {"tools/posenc/op_bias.cpp", errc::shape_mismatch,
     "--weights has shape <shape_string(w->shape)> but the config gives (num_buckets, heads) = "
     "(<cfg->num_buckets>, <cfg->num_heads>)",
     "--weights has shape (16, 2)",
     [] { return run("bias", t5(), {"--q-len", "2", "--k-len", "2", "--weights", floats({16, 2})}); }},

    {fope_op, errc::invalid_argument,
     "encoding fope needs --weights W.npy ([2, heads, M, N] or [2, M, N])", "needs --weights", [] {
       return run("rope", fope("fope.json", ""), {"--positions", positions(3), "--in", floats({3, 2, 8})});
     }},
    {fope_op, errc::shape_mismatch,
     "--weights: expected [2, heads, M, N] or [2, M, N], got shape <shape_string(ws)>",
     "got shape (3, 4, 5)",
     [] { return fope_weights(fope("fope.json", ""), {3, 4, 5}); }},
    {fope_op, errc::shape_mismatch,
     "--weights has shape <shape_string(ws)> but the config says fourier_separate_head = "
     "<cfg->separate_heads ? \"true\" : \"false\">",
     "(2, 2, 4, 4) but the config says fourier_separate_head = false",
     [] {
       return fope_weights(fope("fope_shared.json", R"(, "fourier_separate_head": false)"), {2, 2, 4, 4});
     }},

    {la_op, errc::invalid_config,
     "unknown feature_map '<name>' (expected elu1 or relu)", "'gelu'",
     [] { return linear({3, 2, 8}, {3, 2, 8}, {3, 2, 4}, 3, R"(, "feature_map": "gelu")"); }},
    {la_op, errc::shape_mismatch,
     "--q has shape <shape_string(q->shape)> but --k has shape <shape_string(k->shape)>",
     "(3, 2, 8) but --k has shape (3, 1, 8)", [] { return linear({3, 2, 8}, {3, 1, 8}, {3, 2, 4}, 3); }},
    {la_op, errc::shape_mismatch,
     "--v has shape <shape_string(v->shape)>, expected [tokens = <q->shape[0]>, heads = <q->shape[1]>, dv]",
     "--v has shape (2, 2, 4)", [] { return linear({3, 2, 8}, {3, 2, 8}, {2, 2, 4}, 3); }},
    {la_op, errc::shape_mismatch,
     "--positions has <pos->size()> entries but --q has <q->shape[0]> tokens",
     "5 entries but --q has 3 tokens",
     [] { return linear({3, 2, 8}, {3, 2, 8}, {3, 2, 4}, 5); }},
    {la_op, errc::shape_mismatch,
     "--q has head dim <q->shape[2]> but the config gives <cfg.rope.head_dim>",
     "head dim 6 but the config gives 8",
     [] { return linear({3, 2, 6}, {3, 2, 6}, {3, 2, 4}, 3); }},

    {tour, errc::invalid_argument,
     "tour: rotation check failed (norm error <norm_err>, scores <far> vs <near>)",
     "rotation check failed", {}, tour_why},
    {tour, errc::invalid_argument, "tour: cos/sin <ulps> ulp from exact", "ulp from exact", {}, tour_why},
    {tour, errc::invalid_argument, "tour: T5 bias does not match its buckets", "T5 bias", {}, tour_why},
    {tour, errc::invalid_argument, "tour: ALiBi bias is not slope * distance", "ALiBi bias", {}, tour_why},
    {tour, errc::invalid_argument, "tour: linear attention state differs from eq. 19 by <worst>",
     "differs from eq. 19", {}, tour_why},

    {"tools/posenc/op_xlnet.cpp", errc::invalid_argument, "<flag> is required", "--k-len is required",
     [] { return run("table", xlnet(), {"--q-len", "4"}); }},
    {"tools/posenc/op_xlnet.cpp", errc::invalid_argument,
     "xlnet: <flag> must be in [0, 2^51], got <len>", "--k-len must be in [0, 2^51], got 9223372036854775807",
     [] { return run("table", xlnet(), {"--q-len", "1", "--k-len", "9223372036854775807"}); }},
    {"tools/posenc/main.cpp", errc::invalid_argument,
     "<flag> does not apply to encoding '<posenc::hf::encoding_name(a.enc)>'",
     "--positions does not apply to encoding 'xlnet'",
     [] { return run("table", xlnet(), {"--q-len", "2", "--k-len", "2", "--positions", positions(2)}); }},
    {"posenc/kernels/dispatch.hpp", errc::invalid_argument,
     "POSENC_ISA=<env> names no ISA (expected scalar, avx2, avx512 or neon); the kernels use "
     "<isa_name(best)>",
     "POSENC_ISA=AVX2 names no ISA", [] { return with_isa_env("AVX2"); }},
    {"posenc/kernels/dispatch.hpp", errc::unsupported,
     "POSENC_ISA=<env> is not supported by this CPU or build; the kernels use <isa_name(best)>",
     "POSENC_ISA=" + missing_isa() + " is not supported", [] { return with_isa_env(missing_isa()); }},
};

}  // namespace
