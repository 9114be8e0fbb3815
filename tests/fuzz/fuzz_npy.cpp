// libFuzzer target: the .npy reader (npy::parse, to_float, to_int64) on arbitrary bytes.
// Properties: no crash, UB or over-read; an error has a non-empty message; an accepted array's
// element count matches its bytes; a float array survives serialize → parse with its shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <posenc/io/npy.hpp>

namespace npy = posenc::npy;

#define FUZZ_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "fuzz_npy: check failed: %s\n", #cond);       \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto a = npy::parse(std::span<const unsigned char>(data, size), "fuzz.npy");
  if (!a) {
    FUZZ_CHECK(!a.error().message().empty());
    FUZZ_CHECK(a.error().code() == posenc::errc::parse_error ||
               a.error().code() == posenc::errc::unsupported);
    return 0;
  }
  const std::int64_t n = a->size();
  FUZZ_CHECK(n >= 0);
  FUZZ_CHECK(static_cast<std::uint64_t>(n) * npy::dtype_size(a->type) == a->bytes.size());
  if (npy::is_floating(a->type)) {
    auto f = npy::to_float(*a, "x");
    FUZZ_CHECK(f && static_cast<std::int64_t>(f->size()) == n);
    FUZZ_CHECK(!npy::to_int64(*a, "x"));
    // The round trip writes <f4: an empty <f2 array whose other extents fit int64 bytes at 2
    // bytes each may not at 4, and is then (rightly) refused on the way back.
    std::int64_t f4_bytes = 4;
    bool fits = true;
    for (auto d : a->shape) fits = fits && (d == 0 || !__builtin_mul_overflow(f4_bytes, d, &f4_bytes));
    const auto bytes = npy::serialize<float>(*f, a->shape);
    auto back = npy::parse(bytes, "round trip");
    FUZZ_CHECK(!fits || (back && back->shape == a->shape && back->type == npy::dtype::f4));
  } else {
    auto i = npy::to_int64(*a, "x");
    FUZZ_CHECK(i && static_cast<std::int64_t>(i->size()) == n);
    FUZZ_CHECK(!npy::to_float(*a, "x"));
  }
  return 0;
}
