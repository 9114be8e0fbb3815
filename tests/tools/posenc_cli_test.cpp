// The posenc CLI's error contract (spec/cli.md): on bad input, exit status 2, one stderr line
// naming the problem and the value, and no output file. Plus a successful run for contrast.
#include <posenc/io/npy.hpp>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/run_process.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct workspace {
  fs::path dir = fs::temp_directory_path() / ("posenc-cli-test-" + std::to_string(::getpid()));
  workspace() { fs::create_directories(dir); }
  ~workspace() { fs::remove_all(dir); }

  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string floats(const std::string& name, std::vector<std::int64_t> shape) const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
    REQUIRE(posenc::npy::save<float>((dir / name).string(), v, shape).ok());
    return (dir / name).string();
  }
  std::string ints(const std::string& name, std::vector<std::int64_t> values) const {
    const std::vector<std::int64_t> shape{static_cast<std::int64_t>(values.size())};
    REQUIRE(posenc::npy::save<std::int64_t>((dir / name).string(), values, shape).ok());
    return (dir / name).string();
  }
  std::string out() const { return (dir / "out.npy").string(); }
};

posenc::test::process_result posenc_cli(const workspace& w, std::vector<std::string> args) {
  args.insert(args.begin(), POSENC_CLI_PATH);
  return posenc::test::run_process(args, w.dir);
}

// Exit 2, exactly one stderr line containing `text`, no output file.
void check_rejects(const workspace& w, const std::vector<std::string>& args, const std::string& text) {
  INFO("posenc " << args[0]);
  const auto r = posenc_cli(w, args);
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains(text));
  CHECK_FALSE(fs::exists(w.out()));
  fs::remove(w.out());
}

// The int64 array an operation wrote at w.out(), and its shape; the file is removed.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> read_ints(const workspace& w) {
  auto arr = posenc::npy::load(w.out());
  REQUIRE(arr);
  auto values = posenc::npy::to_int64(*arr, "out");
  REQUIRE(values);
  fs::remove(w.out());
  return {*values, arr->shape};
}

}  // namespace

TEST_CASE("posenc rope succeeds on a good input and writes float32 of the input's shape", "[cli]") {
  workspace w;
  const auto cfg = w.file("c.json", R"({"model_type": "llama", "hidden_size": 256, "num_attention_heads": 4})");
  const auto r = posenc_cli(w, {"rope", "--config", cfg, "--positions", w.ints("p.npy", {0, 7, 3}),
                                "--in", w.floats("x.npy", {3, 4, 64}), "--out", w.out()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  auto y = posenc::npy::load(w.out());
  REQUIRE(y);
  CHECK(y->type == posenc::npy::dtype::f4);
  CHECK(y->shape == std::vector<std::int64_t>{3, 4, 64});
}

TEST_CASE("posenc rope rejects bad input with one line, exit 2 and no file", "[cli][errors]") {
  workspace w;
  const auto good_cfg = w.file("good.json", R"({"encoding": "rope", "head_dim": 64})");
  const auto x = w.floats("x.npy", {3, 2, 64});
  const auto p = w.ints("p.npy", {0, 1, 2});
  auto rope = [&](const std::string& cfg, const std::string& in, const std::string& pos) {
    return std::vector<std::string>{"rope", "--config", cfg, "--positions", pos, "--in", in, "--out", w.out()};
  };
  check_rejects(w, rope(w.file("c1.json", R"({"encoding": "rope", "head_dim": 64, "rotary_dim": 63})"), x, p), "got 63");
  check_rejects(w, rope(w.file("c2.json", R"({"head_dim": 64, "encoding": "rope", "rope_scaling": {"rope_type": "ntk"}})"), x, p),
                "unknown rope_type 'ntk'");
  check_rejects(w, rope(w.file("c3.json", R"({"encoding": "rope", "rope_theta": 10000})"), x, p),
                "config lacks hidden_size");
  check_rejects(w, rope(w.file("c4.json", R"({"encoding": "rope", "head_dim": 64, "rope_theta": NaN})"), x, p),
                "malformed JSON");
  check_rejects(w, rope(w.file("c5.json", R"({"encoding": "rope", "head_dim": 64, "rope_theta": -1})"), x, p),
                "rope_theta must be a finite positive number, got -1");
  check_rejects(w, rope(good_cfg, w.ints("xi.npy", {1, 2, 3}), p), "--in: expected a rank-3 array, got shape (3,)");
  check_rejects(w, rope(good_cfg, w.floats("x2.npy", {3, 128}), p), "got shape (3, 128)");
  check_rejects(w, rope(good_cfg, x, w.floats("pf.npy", {3})), "--positions: expected an integer array, got dtype <f4");
  check_rejects(w, rope(good_cfg, x, w.ints("p4.npy", {0, 1, 2, 3})), "--positions has 4 entries but --in has 3 tokens");
  check_rejects(w, rope(good_cfg, w.floats("x3.npy", {3, 2, 32}), p), "--in has head_dim 32 but the config gives 64");
  check_rejects(w, rope(good_cfg, (w.dir / "missing.npy").string(), p), "missing.npy");
  check_rejects(w, rope(good_cfg, w.file("junk.npy", "not numpy"), p), "bad magic");
  check_rejects(w, rope((w.dir / "nope.json").string(), x, p), "nope.json");
  check_rejects(w, rope(w.file("c6.json", R"({"model_type": "mamba"})"), x, p), "unknown model_type 'mamba'");
  check_rejects(w, rope(good_cfg, x, w.ints("pbig.npy", {0, 1, INT64_MAX})), "position 9223372036854775807");
  check_rejects(w, rope(w.file("c7.json", R"({"encoding": "t5"})"), x, p), "operation 'rope' does not apply to encoding 't5'");
  check_rejects(w, {"rope", "--config", good_cfg, "--in", x, "--out", w.out()}, "--positions is required");
  check_rejects(w, {"frobnicate"}, "unknown operation 'frobnicate'");
  // A directory as the config is a read error, not an abort from an uncaught exception.
  check_rejects(w, rope(w.dir.string(), x, p), "cannot read '" + w.dir.string() + "'");
  // A config string with a newline is echoed escaped: the message stays one line.
  check_rejects(w, rope(w.file("c8.json", R"({"model_type": "llama\nFAKE"})"), x, p),
                "unknown model_type 'llama\\nFAKE'");
}

// docs/errors.md, CLI side: bad .npy files, absurd sizes and INT64 extremes, each with exit 2,
// one line naming the value and no output file.
TEST_CASE("posenc rejects bad .npy files, absurd sizes and extreme positions", "[cli][errors]") {
  workspace w;
  const auto rope_cfg = w.file("rope.json", R"({"encoding": "rope", "head_dim": 8})");
  const auto p = w.ints("p.npy", {0, 1});
  // A .npy file with the given header dict and data bytes.
  auto npy_file = [&](const std::string& name, std::string dict, std::size_t data_bytes) {
    while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    std::string b = "\x93NUMPY";
    b += '\x01';
    b += '\x00';
    b += static_cast<char>(dict.size() & 0xff);
    b += static_cast<char>(dict.size() >> 8);
    b += dict + std::string(data_bytes, '\0');
    return w.file(name, b);
  };
  auto rope = [&](const std::string& in, const std::string& pos) {
    return std::vector<std::string>{"rope", "--config", rope_cfg, "--positions", pos, "--in", in, "--out", w.out()};
  };
  const std::string shape = "'shape': (2, 1, 8), }";
  check_rejects(w, rope(npy_file("trunc.npy", "{'descr': '<f4', 'fortran_order': False, " + shape, 63), p),
                "needs 64 data bytes, the file has 63");
  check_rejects(w, rope(npy_file("over.npy", "{'descr': '<f4', 'fortran_order': False, " + shape, 65), p),
                "needs 64 data bytes, the file has 65");
  check_rejects(w, rope(npy_file("be.npy", "{'descr': '>f4', 'fortran_order': False, " + shape, 64), p),
                "big-endian .npy dtype '>f4'");
  check_rejects(w, rope(npy_file("fortran.npy", "{'descr': '<f4', 'fortran_order': True, " + shape, 64), p),
                "Fortran-order");
  check_rejects(w, rope(npy_file("object.npy", "{'descr': '|O', 'fortran_order': False, " + shape, 128), p),
                "unsupported .npy dtype '|O'");
  check_rejects(w, rope(npy_file("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 8), }", 64), p),
                "is too large");
  check_rejects(w, rope(npy_file("huge2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1099511627776, 8), }", 64), p),
                "needs 70368744177664 data bytes, the file has 64");
  check_rejects(w, rope(w.floats("x.npy", {2, 1, 8}), w.ints("pmin.npy", {0, INT64_MIN})), "position -9223372036854775808");
  check_rejects(w, {"rope", "--config", w.file("hd.json", R"({"encoding": "rope", "head_dim": 1099511627776})"),
                     "--positions", p, "--in", w.floats("x.npy", {2, 1, 8}), "--out", w.out()},
                "1099511627776");
  const auto alibi = w.file("alibi.json", R"({"encoding": "alibi", "num_heads": 4})");
  const std::string big = "1099511627776";
  check_rejects(w, {"bias", "--config", alibi, "--q-len", big, "--k-len", big, "--out", w.out()},
                "(4, 1099511627776, 1099511627776) has more than 2^30 elements");
  check_rejects(w, {"bias", "--config", alibi, "--q-len", "-1", "--k-len", "4", "--out", w.out()},
                "negative extent");
  check_rejects(w, {"bias", "--config", w.file("a2.json", R"({"encoding": "alibi", "num_heads": 1099511627776})"),
                     "--q-len", "2", "--k-len", "2", "--out", w.out()},
                "got 1099511627776");
  check_rejects(w, {"relpos", "--config", w.file("t5.json", R"({"encoding": "t5", "num_heads": 2, "relative_attention_num_buckets": 1099511627776})"),
                     "--q-len", "2", "--k-len", "2", "--out", w.out()},
                "got 1099511627776");
  check_rejects(w, {"bias", "--config", alibi, "--q-len", "2", "--k-len", "2", "--query-offset", "-9223372036854775808",
                     "--out", w.out()},
                "got -9223372036854775808");
}

TEST_CASE("posenc refuses an option that does not apply to the config's encoding", "[cli][errors]") {
  workspace w;
  const auto alibi = w.file("alibi.json", R"({"encoding": "alibi", "num_heads": 2})");
  const auto sin = w.file("sin.json", R"({"encoding": "sinusoidal", "d_model": 8})");
  const auto rope = w.file("rope.json", R"({"encoding": "rope", "head_dim": 8})");
  const auto p = w.ints("p.npy", {0, 1});
  const auto x = w.floats("x.npy", {2, 1, 8});
  const std::vector<std::string> bias{"bias", "--config", alibi, "--q-len", "2", "--k-len", "2", "--out", w.out()};
  const std::vector<std::string> table{"table", "--config", sin, "--positions", p, "--out", w.out()};
  const std::vector<std::string> rotate{"rope", "--config", rope, "--positions", p, "--in", x, "--out", w.out()};
  // The same commands without the extra option succeed.
  for (const auto& args : {bias, table, rotate}) {
    INFO("posenc " << args[0]);
    CHECK(posenc_cli(w, args).exit_code == 0);
    fs::remove(w.out());
  }
  auto with = [](std::vector<std::string> args, std::vector<std::string> extra) {
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // ALiBi has no table: even a missing --weights file is refused as not applying.
  check_rejects(w, with(bias, {"--weights", "/nonexistent.npy"}), "--weights does not apply to encoding 'alibi'");
  check_rejects(w, with(table, {"--weights", w.floats("w.npy", {4, 8})}),
                "--weights does not apply to encoding 'sinusoidal'");
  check_rejects(w, with(table, {"--q-len", "2"}), "--q-len does not apply to encoding 'sinusoidal'");
  check_rejects(w, with(table, {"--k-len", "2"}), "--k-len does not apply to encoding 'sinusoidal'");
  check_rejects(w, with(rotate, {"--weights", w.floats("w.npy", {4, 8})}), "--weights does not apply to encoding 'rope'");
}

TEST_CASE("posenc relpos for T5 needs no head count; bias does", "[cli]") {
  workspace w;
  auto relpos = [&](const std::string& cfg) {
    return std::vector<std::string>{"relpos", "--config", cfg, "--q-len", "2", "--k-len", "3", "--out", w.out()};
  };
  REQUIRE(posenc_cli(w, relpos(w.file("t5.json", R"({"encoding": "t5"})"))).exit_code == 0);
  // rel = j - i: [[0, 1, 2], [-1, 0, 1]]; spec/encodings.md §4, 32 buckets: rel 0 -> 0, -1 -> 1,
  // +1 -> 16 + 1, +2 -> 16 + 2.
  const auto [r, shape] = read_ints(w);
  CHECK(shape == std::vector<std::int64_t>{2, 3});
  CHECK(r == std::vector<std::int64_t>{0, 17, 18, 1, 0, 17});
  check_rejects(w, relpos(w.file("t5h0.json", R"({"encoding": "t5", "num_heads": 0})")),
                "t5: the head count must be positive, got 0");
  check_rejects(w, {"bias", "--config", w.file("t5b.json", R"({"encoding": "t5"})"), "--q-len", "2", "--k-len", "3",
                    "--weights", w.floats("w.npy", {32, 2}), "--out", w.out()},
                "t5 bias: config lacks num_attention_heads");
}

TEST_CASE("posenc integer options take decimal text and name text out of range", "[cli][errors]") {
  workspace w;
  const auto t5 = w.file("t5.json", R"({"encoding": "t5", "num_heads": 2})");
  auto relpos = [&](const std::string& q_len, const std::string& offset) {
    return std::vector<std::string>{"relpos", "--config", t5, "--q-len", q_len, "--k-len", "3",
                                    "--query-offset", offset, "--out", w.out()};
  };
  // strtoll would clamp this to 9223372036854775807, a value the user never gave.
  check_rejects(w, relpos("99999999999999999999", "0"), "--q-len: '99999999999999999999' is outside the 64-bit integer range");
  check_rejects(w, relpos("2", "-99999999999999999999"), "'-99999999999999999999' is outside the 64-bit integer range");
  check_rejects(w, relpos("0x10", "0"), "--q-len: expected a decimal integer, got '0x10'");
  check_rejects(w, relpos("2", "1.5"), "--query-offset: expected a decimal integer, got '1.5'");
  // "010" is ten (strtoll's base 0 would read octal 8).
  REQUIRE(posenc_cli(w, relpos("010", "0")).exit_code == 0);
  CHECK(read_ints(w).second == std::vector<std::int64_t>{10, 3});
}

TEST_CASE("posenc table learned: the table-shape error gives the family's rows and offset", "[cli][errors]") {
  workspace w;
  const auto p = w.ints("p.npy", {0, 1});
  auto table = [&](const std::string& cfg) {
    return std::vector<std::string>{"table", "--config", cfg, "--positions", p, "--weights",
                                    w.floats("w.npy", {5, 8}), "--out", w.out()};
  };
  // RoBERTa: rows = max_position_embeddings (it counts the offset pad_token_id + 1 = 2).
  check_rejects(w, table(w.file("roberta.json", R"({"model_type": "roberta", "hidden_size": 8,
                                                     "max_position_embeddings": 6, "pad_token_id": 1})")),
                "(rows, hidden size) = (6, 8), position_offset 2");
  // OPT: rows = max_position_embeddings + 2.
  check_rejects(w, table(w.file("opt.json", R"({"model_type": "opt", "hidden_size": 8,
                                                 "max_position_embeddings": 6})")),
                "(rows, hidden size) = (8, 8), position_offset 2");
  // pad_token_id + 1 would overflow int64: refused, naming the value given.
  check_rejects(w, table(w.file("pad.json", R"({"model_type": "roberta", "hidden_size": 8,
                                                 "max_position_embeddings": 6, "pad_token_id": 9223372036854775807})")),
                "pad_token_id must be in [0, 2^31), got 9223372036854775807");
}

TEST_CASE("posenc --help explains the commands", "[cli]") {
  workspace w;
  std::vector<std::string> args{POSENC_CLI_PATH, "--help"};
  CHECK(posenc::test::run_process(args, w.dir).exit_code == 0);
}
