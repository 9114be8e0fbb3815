// Dispatch: POSENC_ISA pins the path chosen on first use (and a value it cannot honour is
// reported), and the detected CPU features agree with what the kernel reports in
// /proc/cpuinfo. Its own executable, so nothing chose an ISA before.
#include <posenc/kernels/dispatch.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "../support/run_process.hpp"

using posenc::isa;

TEST_CASE("POSENC_ISA pins the instruction set chosen on first use", "[dispatch]") {
  // The most specific ISA this CPU supports other than the best one, when there is one.
  const isa want = posenc::isa_supported(isa::avx2) && posenc::best_isa() != isa::avx2
                       ? isa::avx2
                       : isa::scalar;
  REQUIRE(::setenv("POSENC_ISA", std::string(posenc::isa_name(want)).c_str(), 1) == 0);
  CHECK(posenc::active_isa() == want);
  CHECK(posenc::isa_env_status().ok());
  // force_isa still moves it afterwards; the kernels follow.
  REQUIRE(posenc::force_isa(posenc::best_isa()).ok());
  CHECK(posenc::active_isa() == posenc::best_isa());
}

// Run by the next test in a child process whose POSENC_ISA cannot be honoured; the parent
// passes the expected error code in POSENC_TEST_ISA_CODE.
TEST_CASE("a POSENC_ISA that cannot be honoured is reported, and the best ISA used", "[.isa_env]") {
  const char* env = std::getenv("POSENC_ISA");
  const char* code = std::getenv("POSENC_TEST_ISA_CODE");
  REQUIRE(env != nullptr);
  REQUIRE(code != nullptr);
  CHECK(posenc::active_isa() == posenc::best_isa());
  const posenc::status st = posenc::isa_env_status();
  REQUIRE_FALSE(st.ok());
  CHECK(posenc::errc_name(st.code()) == code);
  CHECK_THAT(st.message(), Catch::Matchers::StartsWith("POSENC_ISA=" + std::string(env)));
  CHECK_THAT(st.message(), Catch::Matchers::EndsWith(
                               "the kernels use " + std::string(posenc::isa_name(posenc::best_isa()))));
}

TEST_CASE("POSENC_ISA values that name no ISA, or one this CPU lacks, are reported", "[dispatch]") {
  // An ISA this build or CPU cannot run (NEON on x86-64, AVX2 elsewhere).
  isa missing = isa::scalar;
  for (isa i : {isa::neon, isa::avx2, isa::avx512}) {
    if (!posenc::isa_supported(i)) missing = i;
  }
  REQUIRE(missing != isa::scalar);
  const std::pair<std::string, std::string> cases[] = {
      {"AVX2", "invalid_argument"},  // names are lower case
      {"bogus", "invalid_argument"},
      {"", "invalid_argument"},
      {std::string(posenc::isa_name(missing)), "unsupported"},
  };
  // The child's stderr goes through a file in dir: one directory per process.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("posenc-dispatch-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [value, code] : cases) {
    INFO("POSENC_ISA=" << value);
    REQUIRE(::setenv("POSENC_ISA", value.c_str(), 1) == 0);
    REQUIRE(::setenv("POSENC_TEST_ISA_CODE", code.c_str(), 1) == 0);
    const auto r = posenc::test::run_process(
        {std::filesystem::read_symlink("/proc/self/exe").string(), "[.isa_env]"}, dir);
    CHECK(r.exit_code == 0);
  }
  ::unsetenv("POSENC_TEST_ISA_CODE");
  std::filesystem::remove_all(dir);
}

TEST_CASE("detected CPU features agree with the kernel's /proc/cpuinfo flags", "[dispatch]") {
  const posenc::cpu_features& f = posenc::detected_cpu_features();
#if POSENC_ARCH_X86_64
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  if (flags.empty()) {
    WARN("no /proc/cpuinfo flags to compare with");
    return;
  }
  CHECK(f.avx2 == flags.count("avx2"));
  CHECK(f.fma == flags.count("fma"));
  CHECK(f.f16c == (f.avx2 && flags.count("f16c")));
  CHECK(f.avx512f == flags.count("avx512f"));
  CHECK(f.avx512bw == flags.count("avx512bw"));
  CHECK(f.avx512vl == flags.count("avx512vl"));
  CHECK(f.avx512bf16 == flags.count("avx512_bf16"));
  CHECK(f.avx512fp16 == flags.count("avx512_fp16"));
  CHECK_FALSE(f.neon);
#elif POSENC_ARCH_AARCH64
  CHECK(f.neon);
  CHECK(posenc::isa_supported(isa::neon));
#endif
  CHECK(posenc::isa_supported(posenc::best_isa()));
}
