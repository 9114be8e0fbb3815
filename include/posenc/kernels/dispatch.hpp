// Run-time kernel selection. The instruction set is chosen once (the best the CPU reports,
// or the one named by the environment variable POSENC_ISA) and cached; force_isa() pins a
// path for tests and benches. Callers fetch the kernel table once per call, above their loops.
//
// x86-64: AVX-512 (F+BW+VL) > AVX2 (+FMA+F16C) > scalar, by __builtin_cpu_supports; within
// AVX-512, bfloat16 narrowing uses vcvtneps2bf16 where the CPU has AVX512_BF16. AArch64: NEON
// (compile time) > scalar. Every path gives the scalar reference's bits (kernels/scalar.hpp;
// a NaN result is NaN on every path, its sign and payload may differ).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../status.hpp"
#include "avx2.hpp"
#include "avx512.hpp"
#include "cpu_features.hpp"
#include "neon.hpp"
#include "scalar.hpp"

namespace posenc {

/// The instruction sets posenc has kernels for.
enum class isa : std::uint8_t { scalar, avx2, avx512, neon };

/// "scalar", "avx2", "avx512" or "neon".
constexpr std::string_view isa_name(isa i) noexcept {
  switch (i) {
    case isa::scalar: return "scalar";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
    case isa::neon: return "neon";
  }
  return "unknown";
}

/// Parses an isa_name(); an unknown name is an error naming it.
[[nodiscard]] inline result<isa> parse_isa(std::string_view name) noexcept {
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    if (isa_name(i) == name) return i;
  }
  return make_error(errc::invalid_argument, "unknown ISA '", name,
                    "' (expected scalar, avx2, avx512 or neon)");
}

/// True when this build has kernels for i and the CPU runs them.
inline bool isa_supported(isa i) noexcept {
  const cpu_features& f = detected_cpu_features();
  switch (i) {
    case isa::scalar: return true;
    case isa::avx2: return POSENC_ARCH_X86_64 && f.avx2 && f.fma && f.f16c;
    case isa::avx512: return POSENC_ARCH_X86_64 && f.avx512f && f.avx512bw && f.avx512vl;
    case isa::neon: return POSENC_ARCH_AARCH64 && f.neon;
  }
  return false;
}

/// The best supported instruction set.
inline isa best_isa() noexcept {
  for (isa i : {isa::avx512, isa::avx2, isa::neon}) {
    if (isa_supported(i)) return i;
  }
  return isa::scalar;
}

namespace detail {
// The first choice, made once: POSENC_ISA when set and supported, else the best the CPU has;
// `env` says why a set POSENC_ISA was not used.
struct isa_choice {
  isa chosen = isa::scalar;
  status env;
};
inline const isa_choice& initial_isa() noexcept {
  static const isa_choice choice = [] {
    const isa best = best_isa();
    const char* env = std::getenv("POSENC_ISA");
    if (env == nullptr) return isa_choice{best, {}};
    auto parsed = parse_isa(env);
    if (!parsed) {
      return isa_choice{best, make_error(errc::invalid_argument, "POSENC_ISA=", env,
                                         " names no ISA (expected scalar, avx2, avx512 or neon); "
                                         "the kernels use ", isa_name(best))};
    }
    if (!isa_supported(*parsed)) {
      return isa_choice{best, make_error(errc::unsupported, "POSENC_ISA=", env,
                                         " is not supported by this CPU or build; the kernels use ",
                                         isa_name(best))};
    }
    return isa_choice{*parsed, {}};
  }();
  return choice;
}
inline std::atomic<isa>& isa_slot() noexcept {
  static std::atomic<isa> slot{initial_isa().chosen};
  return slot;
}
}  // namespace detail

/// The instruction set the kernels currently use.
inline isa active_isa() noexcept { return detail::isa_slot().load(std::memory_order_relaxed); }

/// Whether the environment variable POSENC_ISA (read once, with the first kernel choice) was
/// honoured: ok when unset or naming a supported ISA; else an error naming its value and the
/// ISA used instead. Results do not depend on the ISA; programs can report this to the user.
[[nodiscard]] inline status isa_env_status() noexcept { return detail::initial_isa().env; }

/// Pins the kernels to i (for tests and benches); an unsupported ISA is an error.
[[nodiscard]] inline status force_isa(isa i) noexcept {
  if (!isa_supported(i)) {
    return make_error(errc::unsupported, "ISA '", isa_name(i),
                      "' is not supported by this CPU or build");
  }
  detail::isa_slot().store(i, std::memory_order_relaxed);
  return {};
}

namespace kernels {

/// The rotation kernels of one ISA for storage type T (signatures as in kernels/scalar.hpp).
template <class T>
struct rotate_table {
  void (*half)(row_block<T> a, row_block<T> b, std::int64_t partner, const float* cos,
               const float* sin, std::int64_t n) noexcept;
  void (*interleaved)(row_block<T> a, row_block<T> b, const float* cos, const float* sin,
                      std::int64_t n) noexcept;
};

namespace detail {
template <class T, class Io512, class Io2, class IoNeon>
rotate_table<T> table_for(isa i) noexcept {
  POSENC_ASSERT(isa_supported(i), "rotate_kernels: ISA not supported on this CPU");
  switch (i) {
#if POSENC_ARCH_X86_64
    case isa::avx512:
      return {&avx512::rotate_half<Io512>, &avx512::rotate_interleaved<Io512>};
    case isa::avx2:
      return {&avx2::rotate_half<Io2>, &avx2::rotate_interleaved<Io2>};
#endif
#if POSENC_ARCH_AARCH64
    case isa::neon:
      return {&neon::rotate_half<IoNeon>, &neon::rotate_interleaved<IoNeon>};
#endif
    default:
      return {&scalar::rotate_half<T>, &scalar::rotate_interleaved<T>};
  }
}
}  // namespace detail

/// The kernels of instruction set i (which must be supported) for storage type T.
template <class T = float>
inline rotate_table<T> rotate_kernels(isa i = active_isa()) noexcept {
  static_assert(is_storage_type_v<T>, "rotate kernels exist for float, float16 and bfloat16");
#if POSENC_ARCH_X86_64
  using avx512_f32 = avx512::detail::io_f32;
  using avx512_f16 = avx512::detail::io_f16;
  using avx512_bf16 = avx512::detail::io_bf16<false>;
  using avx512_bf16_native = avx512::detail::io_bf16<true>;
  using avx2_f32 = avx2::detail::io_f32;
  using avx2_f16 = avx2::detail::io_f16;
  using avx2_bf16 = avx2::detail::io_bf16;
#else
  using avx512_f32 = void; using avx512_f16 = void; using avx512_bf16 = void;
  using avx512_bf16_native = void; using avx2_f32 = void; using avx2_f16 = void;
  using avx2_bf16 = void;
#endif
#if POSENC_ARCH_AARCH64
  using neon_f32 = neon::detail::io_f32;
  using neon_f16 = neon::detail::io_f16;
  using neon_bf16 = neon::detail::io_bf16;
#else
  using neon_f32 = void; using neon_f16 = void; using neon_bf16 = void;
#endif
  if constexpr (std::is_same_v<T, float>) {
    return detail::table_for<T, avx512_f32, avx2_f32, neon_f32>(i);
  } else if constexpr (std::is_same_v<T, float16>) {
    return detail::table_for<T, avx512_f16, avx2_f16, neon_f16>(i);
  } else {
    if (i == isa::avx512 && detected_cpu_features().avx512bf16) {
      return detail::table_for<T, avx512_bf16_native, avx2_bf16, neon_bf16>(i);
    }
    return detail::table_for<T, avx512_bf16, avx2_bf16, neon_bf16>(i);
  }
}

/// A two-level cos/sin composition kernel (signature of kernels/scalar.hpp's compose_cos_sin).
using compose_fn = void (*)(const double* c_hi, const double* s_hi, const double* c_lo,
                            const double* s_lo, double cos_scale, double sin_scale, float* cos,
                            float* sin, std::int64_t n) noexcept;

/// The two-level composition kernel of instruction set i (which must be supported); NEON and
/// scalar use the scalar reference (its std::fma is one instruction on AArch64).
inline compose_fn compose_kernel(isa i = active_isa()) noexcept {
  POSENC_ASSERT(isa_supported(i), "compose_kernel: ISA not supported on this CPU");
#if POSENC_ARCH_X86_64
  if (i == isa::avx512) return &avx512::compose_cos_sin;
  if (i == isa::avx2) return &avx2::compose_cos_sin;
#endif
  (void)i;
  return &scalar::compose_cos_sin;
}

/// A row-copy kernel (signature of kernels/scalar.hpp's copy_rows).
using copy_rows_fn = void (*)(unsigned char* dst, std::int64_t dst_stride,
                              const unsigned char* src, std::int64_t src_step, std::int64_t rows,
                              std::int64_t bytes) noexcept;

/// The row-copy kernel of instruction set i (which must be supported): AVX-512's, else the
/// scalar one (memcpy per row, which is vectorized by the C library).
inline copy_rows_fn copy_rows_kernel(isa i = active_isa()) noexcept {
  POSENC_ASSERT(isa_supported(i), "copy_rows_kernel: ISA not supported on this CPU");
#if POSENC_ARCH_X86_64
  if (i == isa::avx512) return &avx512::copy_rows;
#endif
  (void)i;
  return &scalar::copy_rows;
}

}  // namespace kernels
}  // namespace posenc
