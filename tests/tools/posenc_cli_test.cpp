// The posenc CLI's error contract (spec/cli.md): on bad input, exit status 2, one stderr line
// naming the problem and the value, and no output file. Plus a successful run for contrast.
#include <posenc/io/npy.hpp>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
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
  check_rejects(w, {"frobnicate"}, "posenc:");
}

TEST_CASE("posenc --help explains the commands", "[cli]") {
  workspace w;
  std::vector<std::string> args{POSENC_CLI_PATH, "--help"};
  CHECK(posenc::test::run_process(args, w.dir).exit_code == 0);
}
