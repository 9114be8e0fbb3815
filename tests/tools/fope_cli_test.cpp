// `posenc rope` with "encoding": "fope" and --weights, run as a process on .npy files, against
// posenc::fope called directly (same coefficients, both weight layouts), plus its error exits.
#include <posenc/io/npy.hpp>
#include <posenc/rotary/fope.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#ifdef POSENC_CLI_PATH

namespace {

// Scratch files live in the test's working directory (the build tree).
const std::string dir = [] {
  const std::string d = "fope_cli_test_files";
  const int rc = std::system(("mkdir -p " + d).c_str());
  return rc == 0 ? d + "/" : std::string();
}();

int run(const std::string& args) {
  const std::string cmd = std::string(POSENC_CLI_PATH) + " rope " + args + " 2>" + dir + "stderr.txt";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("posenc rope with encoding fope equals the library", "[fope][cli]") {
  const bool per_head = GENERATE(true, false);
  const std::int64_t tokens = 6, heads = 4, d = 64;
  posenc::fope_config cfg;
  cfg.head_dim = d;
  cfg.heads = heads;
  cfg.theta = 10000;
  cfg.max_sequence_length = 1024;  // M = 18, N = 16
  cfg.separate_heads = per_head;
  auto coef = posenc::fope::init_coefficients(cfg, 3, 0.4);
  REQUIRE(coef);
  std::vector<float> w(coef->sin);
  w.insert(w.end(), coef->cos.begin(), coef->cos.end());
  std::vector<std::int64_t> wshape = per_head ? std::vector<std::int64_t>{2, heads, 18, 16}
                                              : std::vector<std::int64_t>{2, 18, 16};
  std::mt19937 gen(8);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(static_cast<std::size_t>(tokens * heads * d));
  for (auto& e : x) e = u(gen);
  const std::vector<std::int64_t> pos = {0, 1, 2, 900, 1500, 40000};
  const std::vector<std::int64_t> xshape = {tokens, heads, d};
  REQUIRE(posenc::npy::save(dir + "x.npy", std::span<const float>(x), xshape));
  REQUIRE(posenc::npy::save(dir + "w.npy", std::span<const float>(w), wshape));
  REQUIRE(posenc::npy::save(dir + "p.npy", std::span<const std::int64_t>(pos),
                            std::vector<std::int64_t>{tokens}));
  write_text(dir + "c.json",
             R"({"encoding": "fope", "head_dim": 64, "num_attention_heads": 4, "rope_theta": 10000,
                 "max_sequence_length": 1024, "fourier_ignore_zero": true})");
  std::remove((dir + "y.npy").c_str());
  REQUIRE(run("--config " + dir + "c.json --positions " + dir + "p.npy --in " + dir + "x.npy --weights " +
              dir + "w.npy --out " + dir + "y.npy") == 0);
  auto y = posenc::npy::load(dir + "y.npy");
  REQUIRE(y);
  CHECK(y->shape == xshape);
  auto got = posenc::npy::to_float(*y, "y");
  REQUIRE(got);

  auto enc = posenc::fope::make(cfg, *coef);
  REQUIRE(enc);
  auto want = x;
  REQUIRE(enc->rotate(posenc::heads_view(want.data(), tokens, heads, d), pos));
  CHECK(*got == want);
}

TEST_CASE("posenc rope with encoding fope rejects bad input with exit status 2", "[fope][cli]") {
  const std::int64_t tokens = 2, heads = 2, d = 16;
  std::vector<float> x(static_cast<std::size_t>(tokens * heads * d), 0.5f);
  REQUIRE(posenc::npy::save(dir + "x2.npy", std::span<const float>(x),
                            std::vector<std::int64_t>{tokens, heads, d}));
  REQUIRE(posenc::npy::save(dir + "p2.npy", std::span<const std::int64_t>(std::vector<std::int64_t>{0, 1}),
                            std::vector<std::int64_t>{tokens}));
  // D = 16, no floor: M = 8, N = 4. A [2, 8, 3] W has the wrong N.
  std::vector<float> bad(2 * 8 * 3, 0.0f);
  REQUIRE(posenc::npy::save(dir + "bad.npy", std::span<const float>(bad), std::vector<std::int64_t>{2, 8, 3}));
  write_text(dir + "c2.json", R"({"encoding": "fope", "head_dim": 16})");
  const std::string base = "--config " + dir + "c2.json --positions " + dir + "p2.npy --in " + dir + "x2.npy ";
  std::remove((dir + "y2.npy").c_str());
  CHECK(run(base + "--out " + dir + "y2.npy") == 2);                                  // no --weights
  CHECK(run(base + "--weights " + dir + "bad.npy --out " + dir + "y2.npy") == 2);      // wrong N
  write_text(dir + "c3.json", R"({"encoding": "fope", "head_dim": 16, "rope_layout": "interleaved"})");
  CHECK(run("--config " + dir + "c3.json --positions " + dir + "p2.npy --in " + dir + "x2.npy --weights " +
            dir + "bad.npy --out " + dir + "y2.npy") == 2);
  CHECK(std::fopen((dir + "y2.npy").c_str(), "rb") == nullptr);
}

#else
TEST_CASE("posenc CLI not built: FoPE CLI test skipped", "[fope][cli]") { SUCCEED(); }
#endif
