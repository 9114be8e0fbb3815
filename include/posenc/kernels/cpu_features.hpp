// What the CPU running us can execute, detected once. On x86-64 this asks
// __builtin_cpu_supports, which also checks that the OS saves the AVX / AVX-512 register state
// (XCR0); on AArch64 NEON is part of the baseline; elsewhere everything reads false.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace posenc {

/// The instruction-set extensions posenc's kernels can use.
struct cpu_features {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512bf16 = false;  ///< vcvtneps2bf16: native float -> bfloat16 rounding
  bool avx512fp16 = false;  ///< reported for information; f32 compute needs only vcvtph2ps/ps2ph
  bool neon = false;
};

namespace detail {
inline cpu_features detect_cpu_features() noexcept {
  cpu_features f;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  // clang before 16 does not know "f16c" or "avx512fp16" in __builtin_cpu_supports: read
  // CPUID for those two, behind the avx2 / avx512f checks that cover the OS register state.
  unsigned a = 0, b = 0, c = 0, d = 0;
  f.f16c = f.avx2 && __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
  f.avx512fp16 = f.avx512f && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 23)) != 0;
#elif defined(__aarch64__) && defined(__ARM_NEON)
  f.neon = true;
#endif
  return f;
}
}  // namespace detail

/// The features of this CPU, detected on first use and cached.
inline const cpu_features& detected_cpu_features() noexcept {
  static const cpu_features features = detail::detect_cpu_features();
  return features;
}

}  // namespace posenc
