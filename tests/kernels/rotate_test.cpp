// Rotation kernels: every ISA this machine (or emulator) runs against the scalar reference,
// bit for bit, over pair counts 0..2N+1 (N = pairs per register block), unaligned pointers,
// strided and padded rows, partial rotary dims, both layouts and every storage type; and the
// scalar reference itself against a long-double rotation within its stated bound; rows and
// cos/sin that end at (or start after) an inaccessible page, so any access outside them
// faults. The two-level
// cos/sin composition kernels likewise match the scalar compose_cos_sin bit for bit, and the
// row-copy kernels of the bias fills copy exactly their rows' bytes.
#include <posenc/kernels/dispatch.hpp>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using posenc::bfloat16;
using posenc::float16;
using posenc::isa;
namespace kernels = posenc::kernels;

namespace {

template <class T>
T from_float(float v) {
  return kernels::narrow<T>(v);
}

template <class T>
std::uint16_t bits_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return 0;
  } else {
    return v.bits();
  }
}

// The instruction sets to compare with scalar: every one this CPU supports.
std::vector<isa> simd_isas() {
  std::vector<isa> out;
  for (isa i : {isa::avx2, isa::avx512, isa::neon}) {
    if (posenc::isa_supported(i)) out.push_back(i);
  }
  return out;
}

enum class layout { half, interleaved };

// A buffer of `rows` rows of `stride` elements (data plus padding), filled with values that
// exercise cancellation, large/small magnitudes and, for bf16/f16, values whose rotation lands
// in the subnormal range.
template <class T>
std::vector<T> make_rows(std::mt19937& gen, std::int64_t elems) {
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::uniform_int_distribution<int> kind(0, 19);
  std::vector<T> v(static_cast<std::size_t>(elems));
  for (auto& x : v) {
    float f = u(gen);
    switch (kind(gen)) {
      case 0: f *= 1e-38f; break;   // float-subnormal results (bf16 patch path)
      case 1: f *= 1e-6f; break;    // f16 subnormals
      case 2: f *= 3e4f; break;     // near f16 overflow
      case 3: f = 0.0f; break;
      default: break;
    }
    x = from_float<T>(f);
  }
  return v;
}

struct angles {
  std::vector<float> cos, sin;
};

angles make_angles(std::mt19937& gen, std::int64_t n, std::int64_t pad) {
  std::uniform_real_distribution<double> u(-10.0, 10.0);
  angles a;
  a.cos.resize(static_cast<std::size_t>(n + pad)), a.sin.resize(static_cast<std::size_t>(n + pad));
  for (std::int64_t k = 0; k < n + pad; ++k) {
    const double phi = u(gen);
    a.cos[k] = static_cast<float>(std::cos(phi) * 1.13);  // an attention factor != 1
    a.sin[k] = static_cast<float>(std::sin(phi) * 1.13);
  }
  return a;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class T>
std::string first_difference(const std::vector<T>& got, const std::vector<T>& want) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0) {
      return "index " + std::to_string(i) + ": got " + std::to_string(kernels::widen(got[i])) +
             " (bits " + std::to_string(bits_of(got[i])) + "), want " +
             std::to_string(kernels::widen(want[i])) + " (bits " +
             std::to_string(bits_of(want[i])) + ")";
    }
  }
  return "none";
}

// Runs one configuration through `table` and through scalar, on copies of the same buffers.
// q has q_rows rows, k has k_rows (0: single tensor); each row holds the rotary part of width
// `width` elements (2n for interleaved, 2 * partner for half) plus pass-through dims, starting
// `offset` elements into the buffer (misalignment) with row stride = width + extra.
template <class T>
void check_config(const kernels::rotate_table<T>& table, layout lay, std::int64_t n,
                  std::int64_t partner, std::int64_t q_rows, std::int64_t k_rows,
                  std::int64_t offset, std::int64_t extra, std::int64_t cs_offset,
                  std::mt19937& gen) {
  const std::int64_t width = lay == layout::half ? 2 * partner : 2 * n;
  const std::int64_t stride = width + extra;
  const std::int64_t q_elems = offset + q_rows * stride + 3;
  const std::int64_t k_elems = offset + k_rows * (stride + 5) + 3;
  const std::vector<T> q0 = make_rows<T>(gen, q_elems), k0 = make_rows<T>(gen, k_elems);
  const angles cs = make_angles(gen, n, cs_offset);

  auto run = [&](const kernels::rotate_table<T>& t, std::vector<T>& q, std::vector<T>& k) {
    kernels::row_block<T> qb{q.data() + offset, q_rows, stride};
    kernels::row_block<T> kb{k_rows ? k.data() + offset : nullptr, k_rows, stride + 5};
    const float* c = cs.cos.data() + cs_offset;
    const float* s = cs.sin.data() + cs_offset;
    if (lay == layout::half) {
      t.half(qb, kb, partner, c, s, n);
    } else {
      t.interleaved(qb, kb, c, s, n);
    }
  };
  std::vector<T> q = q0, k = k0, q_ref = q0, k_ref = k0;
  run(table, q, k);
  run(kernels::rotate_kernels<T>(isa::scalar), q_ref, k_ref);
  INFO("layout " << (lay == layout::half ? "half" : "interleaved") << ", n " << n << ", partner "
                 << partner << ", rows " << q_rows << "+" << k_rows << ", offset " << offset
                 << ", extra " << extra);
  INFO("q: " << first_difference(q, q_ref));
  INFO("k: " << first_difference(k, k_ref));
  REQUIRE(same_bits(q, q_ref));
  REQUIRE(same_bits(k, k_ref));
}

template <class T>
void check_isa(const kernels::rotate_table<T>& table) {
  std::mt19937 gen(1234);
  // 2N+1 with N = the largest register block (AVX-512 half: 4 vectors x 16 pairs).
  constexpr std::int64_t max_n = 2 * 64 + 1;
  for (std::int64_t n = 0; n <= max_n; ++n) {
    for (layout lay : {layout::half, layout::interleaved}) {
      // Full rotary width, and a partial call (the chunked path: partner beyond n).
      check_config<T>(table, lay, n, n, 3, 2, 1, 3, 1, gen);
      check_config<T>(table, lay, n, n + 7, 2, 0, 0, 0, 0, gen);
    }
  }
  // More rows than one pass group when a row spans several register blocks (the kernels go
  // through kernels::rows_per_pass rows at a time, AVX2's interleaved kernel 12): q and k
  // of different counts, partial last groups, groups with q rows only.
  for (std::int64_t n : {40, 64, 100, 129}) {
    for (layout lay : {layout::half, layout::interleaved}) {
      check_config<T>(table, lay, n, n, 27, 13, 1, 2, 0, gen);
    }
  }
  // Head shapes engines use, fused q and k with GQA head counts and odd strides.
  for (std::int64_t head_dim : {64, 80, 96, 128, 256}) {
    for (layout lay : {layout::half, layout::interleaved}) {
      const std::int64_t n = head_dim / 2;
      check_config<T>(table, lay, n, n, 8, 2, 3, 5, 2, gen);
      // Partial rotary: a quarter of the head rotated (GPT-NeoX), rest passes through.
      check_config<T>(table, lay, n / 4, n / 4, 4, 4, 1, head_dim - n / 2, 0, gen);
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("SIMD rotation kernels match the scalar reference bit for bit", "[kernels]",
                   float, float16, bfloat16) {
  const auto isas = simd_isas();
  if (isas.empty()) WARN("no SIMD instruction set on this machine; only scalar runs");
  for (isa i : isas) {
    INFO("isa " << posenc::isa_name(i));
    check_isa<TestType>(kernels::rotate_kernels<TestType>(i));
  }
}

#if POSENC_ARCH_X86_64
TEST_CASE("AVX-512 bfloat16 with integer rounding matches too", "[kernels]") {
  // Where the CPU has AVX512_BF16 the dispatched path narrows natively; this covers the other.
  if (!posenc::isa_supported(isa::avx512)) return;
  using io = kernels::avx512::detail::io_bf16<false>;
  check_isa<bfloat16>({&kernels::avx512::rotate_half<io>, &kernels::avx512::rotate_interleaved<io>});
}
#endif

// Memory next to an inaccessible page: `bytes` bytes that end where the page starts (`after`)
// or start where it ends; touching one byte outside them faults.
class fenced {
 public:
  fenced(std::size_t bytes, bool after) : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
    const std::size_t data_pages = (bytes + page_ - 1) / page_ + 1;
    len_ = (data_pages + 1) * page_;
    void* m = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED);
    base_ = static_cast<unsigned char*>(m);
    unsigned char* fence = after ? base_ + data_pages * page_ : base_;
    REQUIRE(::mprotect(fence, page_, PROT_NONE) == 0);
    data_ = after ? fence - bytes : fence + page_;
  }
  ~fenced() { ::munmap(base_, len_); }
  fenced(const fenced&) = delete;
  fenced& operator=(const fenced&) = delete;
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(data_);
  }

 private:
  std::size_t page_, len_ = 0;
  unsigned char* base_ = nullptr;
  unsigned char* data_ = nullptr;
};

TEMPLATE_TEST_CASE("kernels touch nothing outside the rows and cos/sin", "[kernels]", float,
                   float16, bfloat16) {
  // q has 3 rows, k 2, each exactly its pairs wide and back to back, in fenced memory as are
  // cos and sin (n floats each): every ISA, both layouts, n = 0..2N+1 pairs, the memory ending
  // at the fence and starting after it. Results must still equal the scalar reference.
  using T = TestType;
  std::mt19937 gen(77);
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    if (!posenc::isa_supported(i)) continue;
    for (std::int64_t n = 0; n <= 2 * 64 + 1; ++n) {
      for (layout lay : {layout::half, layout::interleaved}) {
        for (bool after : {true, false}) {
          INFO("isa " << posenc::isa_name(i) << ", n " << n << ", "
                      << (lay == layout::half ? "half" : "interleaved") << ", fence "
                      << (after ? "after" : "before"));
          const std::int64_t width = 2 * n;
          const std::vector<T> q0 = make_rows<T>(gen, 3 * width), k0 = make_rows<T>(gen, 2 * width);
          const angles cs = make_angles(gen, n, 0);
          const auto bytes = [](std::int64_t elems, std::size_t size) {
            return static_cast<std::size_t>(elems) * size;
          };
          fenced q(bytes(3 * width, sizeof(T)), after), k(bytes(2 * width, sizeof(T)), after);
          fenced c(bytes(n, sizeof(float)), after), s(bytes(n, sizeof(float)), after);
          std::copy(q0.begin(), q0.end(), q.as<T>());
          std::copy(k0.begin(), k0.end(), k.as<T>());
          std::copy(cs.cos.begin(), cs.cos.end(), c.as<float>());
          std::copy(cs.sin.begin(), cs.sin.end(), s.as<float>());
          std::vector<T> q_ref = q0, k_ref = k0;
          auto run = [&](const kernels::rotate_table<T>& t, T* qp, T* kp) {
            const kernels::row_block<T> qb{qp, 3, width}, kb{kp, 2, width};
            if (lay == layout::half) {
              t.half(qb, kb, n, c.as<float>(), s.as<float>(), n);
            } else {
              t.interleaved(qb, kb, c.as<float>(), s.as<float>(), n);
            }
          };
          run(kernels::rotate_kernels<T>(i), q.as<T>(), k.as<T>());
          run(kernels::rotate_kernels<T>(isa::scalar), q_ref.data(), k_ref.data());
          if (width == 0) continue;  // nothing to compare (and no data pointer for memcmp)
          CHECK(std::memcmp(q.as<T>(), q_ref.data(), bytes(3 * width, sizeof(T))) == 0);
          CHECK(std::memcmp(k.as<T>(), k_ref.data(), bytes(2 * width, sizeof(T))) == 0);
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("the scalar reference is within its stated bound of exact rotation",
                   "[kernels]", float, float16, bfloat16) {
  // kernels/scalar.hpp's bound: a' = fma(a, c, -(b s)) rounds b s and then the sum, so
  // |a' - exact| <= 2^-24 (|a c| + 2 |b s|) (b' likewise with a and b swapped), up to second-order
  // terms (the factor 1 + 2^-22), then u_T |exact| for the storage rounding (u_T its unit
  // roundoff, 0 for float) and e_T, half its smallest subnormal (results may cancel).
  const double u_t = std::is_same_v<TestType, float>      ? 0.0
                     : std::is_same_v<TestType, float16> ? 0x1p-11
                                                         : 0x1p-8;
  const double e_t = std::is_same_v<TestType, float>      ? 0x1p-150
                     : std::is_same_v<TestType, float16> ? 0x1p-25
                                                         : 0x1p-134;
  std::mt19937 gen(99);
  std::uniform_real_distribution<double> mag(-3.0, 3.0), phi(-50.0, 50.0);
  std::bernoulli_distribution neg(0.5);
  auto value = [&] {
    const double v = std::pow(10.0, mag(gen));
    return from_float<TestType>(static_cast<float>(neg(gen) ? -v : v));
  };
  constexpr std::int64_t n = 37;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<TestType> x(2 * n);
    for (auto& e : x) e = value();
    std::vector<float> c(n), s(n);
    for (std::int64_t k = 0; k < n; ++k) {
      const double p = phi(gen);
      c[k] = static_cast<float>(std::cos(p)), s[k] = static_cast<float>(std::sin(p));
    }
    const std::vector<TestType> x0 = x;
    kernels::scalar::rotate_interleaved<TestType>({x.data(), 1, 2 * n}, {}, c.data(), s.data(), n);
    for (std::int64_t k = 0; k < n; ++k) {
      const long double a = kernels::widen(x0[2 * k]), b = kernels::widen(x0[2 * k + 1]);
      const long double ck = c[k], sk = s[k];
      const long double want[2] = {a * ck - b * sk, b * ck + a * sk};
      const long double terms[2] = {std::fabs(a * ck) + 2 * std::fabs(b * sk),
                                    std::fabs(b * ck) + 2 * std::fabs(a * sk)};
      for (int j = 0; j < 2; ++j) {
        const long double got = kernels::widen(x[2 * k + j]);
        const long double bound =
            u_t * std::fabs(want[j]) + (1 + u_t) * (1 + 0x1p-22L) * 0x1p-24L * terms[j] + e_t;
        INFO("pair " << k << " component " << j);
        REQUIRE(std::fabs(got - want[j]) <= bound);
      }
    }
  }
}

TEMPLATE_TEST_CASE("NaN and inf propagate through every ISA", "[kernels]", float, float16,
                   bfloat16) {
  // Rows with NaN and inf sprinkled in: every result equals the scalar reference's bits, except
  // that a NaN result only has to be NaN (its sign and payload are open; kernels/scalar.hpp).
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            -std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> pick(0, 15);
  constexpr std::int64_t n = 37, width = 2 * n;
  std::vector<TestType> x0 = make_rows<TestType>(gen, 4 * width);
  for (auto& e : x0) {
    if (const int r = pick(gen); r < 4) e = from_float<TestType>(specials[r]);
  }
  const angles cs = make_angles(gen, n, 0);
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    if (!posenc::isa_supported(i)) continue;
    for (layout lay : {layout::half, layout::interleaved}) {
      INFO("isa " << posenc::isa_name(i) << ", " << (lay == layout::half ? "half" : "interleaved"));
      std::vector<TestType> x = x0, ref = x0;
      auto run = [&](const kernels::rotate_table<TestType>& t, std::vector<TestType>& v) {
        const kernels::row_block<TestType> b{v.data(), 4, width};
        if (lay == layout::half) {
          t.half(b, {}, n, cs.cos.data(), cs.sin.data(), n);
        } else {
          t.interleaved(b, {}, cs.cos.data(), cs.sin.data(), n);
        }
      };
      run(kernels::rotate_kernels<TestType>(i), x);
      run(kernels::rotate_kernels<TestType>(isa::scalar), ref);
      int nans = 0, infs = 0;
      for (std::size_t e = 0; e < x.size(); ++e) {
        INFO("element " << e);
        const float want = kernels::widen(ref[e]);
        if (std::isnan(want)) {
          CHECK(std::isnan(kernels::widen(x[e])));
          ++nans;
        } else {
          CHECK(std::memcmp(&x[e], &ref[e], sizeof(TestType)) == 0);
          infs += std::isinf(want);
        }
      }
      CHECK(nans > 20);  // the mix really exercises both kinds
      CHECK(infs > 0);
    }
  }
}

TEST_CASE("isa names parse and unsupported ISAs are refused", "[dispatch]") {
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    auto parsed = posenc::parse_isa(posenc::isa_name(i));
    REQUIRE(parsed);
    CHECK(*parsed == i);
  }
  auto bad = posenc::parse_isa("sse9");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == posenc::errc::invalid_argument);
  CHECK(bad.error().message().find("sse9") != std::string::npos);

  CHECK(posenc::isa_supported(isa::scalar));
  CHECK(posenc::isa_supported(posenc::best_isa()));
#if POSENC_ARCH_X86_64
  CHECK_FALSE(posenc::isa_supported(isa::neon));
  const auto st = posenc::force_isa(isa::neon);
  CHECK(st.code() == posenc::errc::unsupported);
  CHECK(st.message().find("neon") != std::string::npos);
#endif
#if POSENC_ARCH_AARCH64
  CHECK(posenc::best_isa() == isa::neon);
  CHECK_FALSE(posenc::isa_supported(isa::avx2));
#endif
  const isa before = posenc::active_isa();
  REQUIRE(posenc::force_isa(isa::scalar).ok());
  CHECK(posenc::active_isa() == isa::scalar);
  REQUIRE(posenc::force_isa(before).ok());
  CHECK(posenc::active_isa() == before);
}

TEST_CASE("SIMD compose_cos_sin kernels match the scalar reference bit for bit", "[kernels]") {
  // Four slices of one array of cos/sin values of random angles (the slices pair values of
  // different angles: bitwise agreement needs no unit pairs), read from unaligned offsets;
  // outputs written at an unaligned offset inside a guarded buffer, for n = 0 .. 2 * 16 + 1.
  std::mt19937 gen(29);
  std::uniform_real_distribution<double> angle(-3.2, 3.2);
  constexpr std::int64_t max_n = 33;
  std::vector<double> rows(4 * (max_n + 3));
  for (std::size_t i = 0; i + 1 < rows.size(); i += 2) {
    const double a = angle(gen);
    rows[i] = std::cos(a), rows[i + 1] = std::sin(a);
  }
  const std::vector<isa> isas = simd_isas();
  for (std::int64_t n = 0; n <= max_n; ++n) {
    for (std::int64_t off : {0, 1, 3}) {
      const double* ch = rows.data() + off;
      const double* sh = ch + (max_n + 3);
      const double* cl = sh + (max_n + 3);
      const double* sl = cl + (max_n + 3);
      for (auto [fc, fs] : {std::pair{1.0, 1.0}, std::pair{1.1386294361119891, -1.1386294361119891}}) {
        std::vector<float> want(2 * (max_n + 8), -7.0f);
        kernels::scalar::compose_cos_sin(ch, sh, cl, sl, fc, fs, want.data() + 1,
                                         want.data() + max_n + 5, n);
        for (isa i : isas) {
          INFO("isa " << posenc::isa_name(i) << ", n " << n << ", offset " << off);
          std::vector<float> got(2 * (max_n + 8), -7.0f);
          kernels::compose_kernel(i)(ch, sh, cl, sl, fc, fs, got.data() + 1,
                                     got.data() + max_n + 5, n);
          CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("copy_rows kernels copy each row's bytes and touch nothing else", "[kernels]") {
  // rows of `bytes` bytes, `gap` bytes apart, copied from a line whose row i starts at
  // i * step (step < 0: the Toeplitz fills' shifted rows). The destination and the line sit in
  // fenced memory, ending at the fence or starting after it; the gaps must keep their bytes.
  // Expected bytes come from an explicit loop, for bytes = 0..2 * 64 + 1 and a few long rows.
  std::vector<std::int64_t> sizes;
  for (std::int64_t b = 0; b <= 2 * 64 + 1; ++b) sizes.push_back(b);
  for (std::int64_t b : {255, 256, 1000, 2052}) sizes.push_back(b);
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    if (!posenc::isa_supported(i)) continue;
    const kernels::copy_rows_fn copy = kernels::copy_rows_kernel(i);
    for (std::int64_t bytes : sizes) {
      for (std::int64_t rows : {1, 3}) {
        for (std::int64_t step : {-4, -2, 3}) {
          for (std::int64_t gap : {0, 5}) {
            for (bool after : {true, false}) {
              INFO("isa " << posenc::isa_name(i) << ", bytes " << bytes << ", rows " << rows
                          << ", step " << step << ", gap " << gap << ", fence "
                          << (after ? "after" : "before"));
              const std::int64_t stride = bytes + gap, line_len = bytes + (rows - 1) * std::abs(step);
              const std::int64_t dst_len = (rows - 1) * stride + bytes;
              if (dst_len == 0) continue;  // nothing to place in fenced memory
              fenced dst(static_cast<std::size_t>(dst_len), after);
              fenced line(static_cast<std::size_t>(line_len), after);
              unsigned char* d = dst.as<unsigned char>();
              unsigned char* l = line.as<unsigned char>();
              for (std::int64_t k = 0; k < line_len; ++k) l[k] = static_cast<unsigned char>(k * 7 + 1);
              std::memset(d, 0xEE, static_cast<std::size_t>(dst_len));
              const unsigned char* src = step < 0 ? l + (rows - 1) * -step : l;
              copy(d, stride, src, step, rows, bytes);
              std::int64_t wrong = 0;
              for (std::int64_t r = 0; r < rows; ++r) {
                for (std::int64_t k = 0; k < stride && r * stride + k < dst_len; ++k) {
                  const unsigned char want = k < bytes ? src[r * step + k] : 0xEE;
                  wrong += d[r * stride + k] != want;
                }
              }
              CHECK(wrong == 0);
            }
          }
        }
      }
    }
  }
}
