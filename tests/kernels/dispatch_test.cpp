// Dispatch: POSENC_ISA pins the path chosen on first use, and the detected CPU features agree
// with what isa_supported() reports. Its own executable, so nothing chose an ISA before.
#include <posenc/kernels/dispatch.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

using posenc::isa;

TEST_CASE("POSENC_ISA pins the instruction set chosen on first use", "[dispatch]") {
  // The most specific ISA this CPU supports other than the best one, when there is one.
  const isa want = posenc::isa_supported(isa::avx2) && posenc::best_isa() != isa::avx2
                       ? isa::avx2
                       : isa::scalar;
  REQUIRE(::setenv("POSENC_ISA", std::string(posenc::isa_name(want)).c_str(), 1) == 0);
  CHECK(posenc::active_isa() == want);
  // force_isa still moves it afterwards; the kernels follow.
  REQUIRE(posenc::force_isa(posenc::best_isa()).ok());
  CHECK(posenc::active_isa() == posenc::best_isa());
}

TEST_CASE("CPU features and supported ISAs agree", "[dispatch]") {
  const posenc::cpu_features& f = posenc::detected_cpu_features();
#if POSENC_ARCH_X86_64
  CHECK(posenc::isa_supported(isa::avx2) == (f.avx2 && f.fma && f.f16c));
  CHECK(posenc::isa_supported(isa::avx512) == (f.avx512f && f.avx512bw && f.avx512vl));
  CHECK_FALSE(f.neon);
#elif POSENC_ARCH_AARCH64
  CHECK(f.neon);
  CHECK(posenc::isa_supported(isa::neon));
#endif
  const isa best = posenc::best_isa();
  CHECK(posenc::isa_supported(best));
  // The best ISA's kernels are what rotate_kernels() hands out for every storage type.
  CHECK(posenc::kernels::rotate_kernels<float>(best).half != nullptr);
  CHECK(posenc::kernels::rotate_kernels<posenc::float16>(best).interleaved != nullptr);
  CHECK(posenc::kernels::rotate_kernels<posenc::bfloat16>(best).half != nullptr);
}
