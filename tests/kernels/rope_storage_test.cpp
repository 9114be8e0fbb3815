// rope over float16 / bfloat16 storage and K-cache re-rotation (rope::shift).
//
// Expected values come from properties and a long-double formula, never from stored output:
//  * rotating 16-bit q/k equals rotating their exact float widening and rounding once
//    (the storage contract), on every ISA, table and on-the-fly (chunked) paths alike;
//  * shift(rotate(k, p), d) is within the stated bound of the exact rotation by (p + d) w_k
//    with the attention factor applied once, so it also agrees with rotate(k, p + d);
//  * shift by 0 is the identity; the one-delta overload equals the per-token one.
#include <posenc/posenc.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

using posenc::bfloat16;
using posenc::float16;
using posenc::heads_view;
using posenc::isa;
using posenc::rope;
using posenc::rope_layout;

namespace {

rope make(std::int64_t head_dim, rope_layout layout, std::int64_t max_positions,
          posenc::rope_scaling scaling = posenc::default_scaling{}, std::int64_t rotary_dim = 0) {
  auto r = rope::make({.head_dim = head_dim, .rotary_dim = rotary_dim, .theta = 10000.0,
                       .scaling = std::move(scaling), .layout = layout,
                       .max_positions = max_positions});
  REQUIRE(r);
  return std::move(*r);
}

template <class T>
std::vector<T> random_values(std::size_t n, std::uint32_t seed, float lo = -4.0f, float hi = 4.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = posenc::kernels::narrow<T>(u(gen));
  return v;
}

posenc::yarn_scaling yarn(double factor, std::int64_t original) {
  posenc::yarn_scaling y;
  y.factor = factor;
  y.original_max_position_embeddings = original;
  return y;
}

std::vector<isa> all_isas() {
  std::vector<isa> out;
  for (isa i : {isa::scalar, isa::avx2, isa::avx512, isa::neon}) {
    if (posenc::isa_supported(i)) out.push_back(i);
  }
  return out;
}

// Restores the active ISA when a test section ends.
struct isa_guard {
  isa saved = posenc::active_isa();
  ~isa_guard() { (void)posenc::force_isa(saved); }
};

constexpr double unit_roundoff(const float*) { return 0.0; }
constexpr double unit_roundoff(const float16*) { return 0x1p-11; }
constexpr double unit_roundoff(const bfloat16*) { return 0x1p-8; }

}  // namespace

TEMPLATE_TEST_CASE("16-bit q/k rotate as their float widening, rounded once", "[rope][storage]",
                   float16, bfloat16) {
  isa_guard guard;
  // head_dim 320 has 160 pairs: positions off the table are computed in two chunks.
  for (std::int64_t head_dim : {64, 128, 320}) {
    for (rope_layout layout : {rope_layout::half, rope_layout::interleaved}) {
      const rope r = make(head_dim, layout, 64, yarn(4, 4096));
      const std::int64_t tokens = 5, q_heads = 4, k_heads = 2;
      const std::vector<std::int64_t> pos = {0, 3, 63, 64, 100000};  // table, then on the fly
      const auto q0 = random_values<TestType>(static_cast<std::size_t>(tokens * q_heads * head_dim), 1);
      const auto k0 = random_values<TestType>(static_cast<std::size_t>(tokens * k_heads * head_dim), 2);
      // Expected: rotate the exact float values, round each element once.
      std::vector<float> qf(q0.begin(), q0.end()), kf(k0.begin(), k0.end());
      REQUIRE(posenc::force_isa(isa::scalar).ok());
      REQUIRE(r.rotate(heads_view(qf.data(), tokens, q_heads, head_dim),
                       heads_view(kf.data(), tokens, k_heads, head_dim), pos).ok());
      for (isa i : all_isas()) {
        INFO("isa " << posenc::isa_name(i) << ", head_dim " << head_dim << ", "
                    << posenc::rope_layout_name(layout));
        REQUIRE(posenc::force_isa(i).ok());
        auto q = q0, k = k0;
        REQUIRE(r.rotate(heads_view(q.data(), tokens, q_heads, head_dim),
                         heads_view(k.data(), tokens, k_heads, head_dim), pos).ok());
        for (std::size_t e = 0; e < q.size(); ++e) REQUIRE(q[e].bits() == TestType(qf[e]).bits());
        for (std::size_t e = 0; e < k.size(); ++e) REQUIRE(k[e].bits() == TestType(kf[e]).bits());
        // Single-tensor rotate gives the same bits as the fused call.
        auto q1 = q0;
        REQUIRE(r.rotate(heads_view(q1.data(), tokens, q_heads, head_dim), pos).ok());
        REQUIRE(std::memcmp(q1.data(), q.data(), q.size() * sizeof(TestType)) == 0);
      }
    }
  }
}

TEMPLATE_TEST_CASE("shift(rotate(k, p), d) is the exact rotation by p + d, factor applied once",
                   "[rope][shift]", float, float16, bfloat16) {
  // Bound, per component of a rotary pair x = (a, b) with norm rho and attention factor f:
  //   |shift(rotate(x, p), d) - f R((p + d) w) x| <= (2^-20 + 2.5 u_T) f rho
  // (each rotation: cos/sin within 1 float ulp, the fma arithmetic 2^-23 (|ac| + |bs|); the
  // first rotation's error is carried along by the second, which is norm-preserving; u_T is
  // the storage unit roundoff, rounded after each rotation). tests print the worst ratio.
  const double u_t = unit_roundoff(static_cast<const TestType*>(nullptr));
  isa_guard guard;
  for (auto scaling : {posenc::rope_scaling{posenc::default_scaling{}},
                       posenc::rope_scaling{yarn(8, 2048)}}) {
    for (rope_layout layout : {rope_layout::half, rope_layout::interleaved}) {
      const std::int64_t head_dim = 96, rotary = 64, heads = 3, tokens = 6;
      const rope r = make(head_dim, layout, 4096, scaling, rotary);
      const double f = r.attention_factor();
      const std::vector<std::int64_t> p = {0, 17, 4000, 4095, 9000, 123456};
      const std::vector<std::int64_t> d = {5, -17, 95, 10000, -8999, 1 << 20};
      std::vector<std::int64_t> sum(p.size());
      for (std::size_t t = 0; t < p.size(); ++t) sum[t] = p[t] + d[t];
      const auto k0 = random_values<TestType>(static_cast<std::size_t>(tokens * heads * head_dim), 3,
                                              0.1f, 10.0f);
      for (isa i : all_isas()) {
        REQUIRE(posenc::force_isa(i).ok());
        auto k = k0, direct = k0;
        const auto view = heads_view(k.data(), tokens, heads, head_dim);
        REQUIRE(r.rotate(view, p).ok());
        REQUIRE(r.shift(view, d).ok());
        REQUIRE(r.rotate(heads_view(direct.data(), tokens, heads, head_dim), sum).ok());
        double worst = 0.0;
        for (std::int64_t t = 0; t < tokens; ++t) {
          for (std::int64_t h = 0; h < heads; ++h) {
            const std::int64_t base = (t * heads + h) * head_dim;
            for (std::int64_t j = 0; j < rotary / 2; ++j) {
              const std::int64_t ia = base + (layout == rope_layout::half ? j : 2 * j);
              const std::int64_t ib = base + (layout == rope_layout::half ? j + rotary / 2 : 2 * j + 1);
              const long double a = posenc::kernels::widen(k0[ia]);
              const long double b = posenc::kernels::widen(k0[ib]);
              const long double phi = static_cast<long double>(sum[t]) * r.inv_freq()[j];
              const long double c = std::cos(phi) * f, s = std::sin(phi) * f;
              const long double want_a = a * c - b * s, want_b = b * c + a * s;
              const double bound = (0x1p-20 + 2.5 * u_t) * f * std::sqrt(static_cast<double>(a * a + b * b));
              INFO("isa " << posenc::isa_name(i) << ", token " << t << ", pair " << j);
              for (auto [got, want] : {std::pair{k[ia], want_a}, std::pair{k[ib], want_b}}) {
                const double err = static_cast<double>(std::fabs(posenc::kernels::widen(got) - want));
                REQUIRE(err <= bound);
                worst = std::max(worst, err / bound);
              }
              // The direct rotation is within the one-rotation part of the same bound.
              for (auto [got, want] : {std::pair{direct[ia], want_a}, std::pair{direct[ib], want_b}}) {
                REQUIRE(std::fabs(posenc::kernels::widen(got) - want) <= bound);
              }
            }
            // Pass-through dims are untouched by both calls.
            for (std::int64_t e = rotary; e < head_dim; ++e) {
              REQUIRE(std::memcmp(&k[base + e], &k0[base + e], sizeof(TestType)) == 0);
            }
          }
        }
        UNSCOPED_INFO("worst error / bound: " << worst);
      }
    }
  }
}

TEMPLATE_TEST_CASE("shift by zero is the identity; the one-delta overload matches", "[rope][shift]",
                   float, float16, bfloat16) {
  const rope r = make(128, rope_layout::half, 256, yarn(4, 1024));
  const std::int64_t tokens = 4, heads = 2;
  const auto k0 = random_values<TestType>(static_cast<std::size_t>(tokens * heads * 128), 4, 0.5f, 2.0f);
  auto k = k0;
  const std::vector<std::int64_t> zeros(tokens, 0);
  REQUIRE(r.shift(heads_view(k.data(), tokens, heads, 128), zeros).ok());
  REQUIRE(std::memcmp(k.data(), k0.data(), k.size() * sizeof(TestType)) == 0);
  for (std::int64_t delta : {7, -300, 200, 5000000}) {
    auto a = k0, b = k0;
    const std::vector<std::int64_t> d(tokens, delta);
    REQUIRE(r.shift(heads_view(a.data(), tokens, heads, 128), d).ok());
    REQUIRE(r.shift(heads_view(b.data(), tokens, heads, 128), delta).ok());
    REQUIRE(std::memcmp(a.data(), b.data(), a.size() * sizeof(TestType)) == 0);
  }
}

TEST_CASE("shift checks shapes and deltas", "[rope][shift][errors]") {
  const rope r = make(64, rope_layout::half, 16);
  std::vector<float> k(4 * 2 * 64, 1.0f);
  const std::vector<std::int64_t> three = {1, 2, 3};
  auto st = r.shift(heads_view(k.data(), 4, 2, 64), three);
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK(st.message().find("3 positions for 4 tokens of k") != std::string::npos);
  st = r.shift(heads_view(k.data(), 4, 2, 64), std::int64_t{1} << 53);
  CHECK(st.code() == posenc::errc::out_of_range);
  st = r.shift(heads_view(k.data(), 2, 2, 128), 1);
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK(std::all_of(k.begin(), k.end(), [](float v) { return v == 1.0f; }));
  CHECK(r.shift(heads_view(k.data(), 0, 2, 64), 5).ok());
}
