// Run-time kernel selection. The instruction set is chosen once (the best the CPU reports,
// or the one named by the environment variable POSENC_ISA) and cached; force_isa() pins a
// path for tests and benches. Callers fetch the kernel table once per call, above their loops.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../status.hpp"
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
inline bool isa_supported(isa i) noexcept { return i == isa::scalar; }

/// The best supported instruction set.
inline isa best_isa() noexcept { return isa::scalar; }

namespace detail {
inline std::atomic<isa>& isa_slot() noexcept {
  // Chosen once: POSENC_ISA when set and supported, else the best the CPU has.
  static std::atomic<isa> slot{[] {
    if (const char* env = std::getenv("POSENC_ISA")) {
      auto parsed = parse_isa(env);
      if (parsed && isa_supported(*parsed)) return *parsed;
    }
    return best_isa();
  }()};
  return slot;
}
}  // namespace detail

/// The instruction set the kernels currently use.
inline isa active_isa() noexcept { return detail::isa_slot().load(std::memory_order_relaxed); }

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

/// The rotation kernels of one ISA (signatures as in kernels/scalar.hpp).
struct rotate_table {
  void (*half)(float*, std::int64_t, std::int64_t, std::int64_t, const float*, const float*,
               std::int64_t) noexcept;
  void (*interleaved)(float*, std::int64_t, std::int64_t, const float*, const float*,
                      std::int64_t) noexcept;
};

/// The kernels of the active ISA.
inline rotate_table rotate_kernels() noexcept {
  switch (active_isa()) {
    default: return {&scalar::rotate_half, &scalar::rotate_interleaved};
  }
}

}  // namespace kernels
}  // namespace posenc
