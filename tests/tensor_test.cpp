// tensor.hpp: views, their validation (extents, strides, overlap) and the Eigen adaptors.
#include <posenc/tensor.hpp>

#include <catch2/catch.hpp>
#include <numeric>
#include <random>
#include <vector>

using namespace posenc;
using Catch::Matchers::Contains;

TEST_CASE("heads_view and row addressing", "[tensor]") {
  std::vector<float> buf(2 * 3 * 4);
  std::iota(buf.begin(), buf.end(), 0.0f);
  auto v = heads_view(buf.data(), 2, 3, 4);
  CHECK(v.s0 == 12);
  CHECK(v.s1 == 4);
  CHECK(*v.row(1, 2) == 20.0f);
  auto s = slice0(v, 1, 2);
  CHECK(s.n0 == 1);
  CHECK(*s.row(0, 0) == 12.0f);
  CHECK(validate(v, "x").ok());
}

TEST_CASE("validate accepts any non-overlapping stride order", "[tensor]") {
  std::vector<float> buf(64);
  // [tokens, heads, dim] over a [heads, tokens, dim] buffer
  CHECK(validate(view3<float>{buf.data(), 4, 2, 8, 8, 32}, "k").ok());
  // padded rows
  CHECK(validate(view3<float>{buf.data(), 2, 2, 8, 32, 10}, "k").ok());
  // single entries need no stride
  CHECK(validate(view3<float>{buf.data(), 1, 1, 8, 0, 0}, "k").ok());
  // empty views need no data
  CHECK(validate(view3<float>{nullptr, 0, 4, 8, 0, 0}, "k").ok());
}

TEST_CASE("validate rejects overlap, negative strides and extents, null data", "[tensor][errors]") {
  std::vector<float> buf(64);
  auto msg = [](status s) { return s.message(); };
  CHECK_THAT(msg(validate(view3<float>{buf.data(), 2, 2, 8, 8, 4}, "q")), Contains("q: strides (8, 4)"));
  CHECK_THAT(msg(validate(view3<float>{buf.data(), 2, 2, 8, 8, 8}, "q")), Contains("overlap"));
  CHECK_THAT(msg(validate(view3<float>{buf.data(), 2, 2, 8, -16, 8}, "q")), Contains("negative stride (-16, 8)"));
  CHECK_THAT(msg(validate(view3<float>{buf.data(), -1, 2, 8, 16, 8}, "q")), Contains("negative extent [-1, 2, 8]"));
  CHECK_THAT(msg(validate(view3<float>{nullptr, 1, 2, 8, 16, 8}, "q")), Contains("null data pointer"));
  CHECK_THAT(msg(validate(view3<float>{buf.data(), 3, 2, 8, std::int64_t{1} << 62, 8}, "q")), Contains("overflow"));
  CHECK_THAT(msg(validate(view2<float>{buf.data(), 2, 8, 4}, "w")), Contains("row stride 4 is smaller than the row length 8"));
  CHECK(validate(view3<float>{buf.data(), 2, 2, 8, 8, 4}, "q").code() == errc::shape_mismatch);
}

// Whether some row of a shares an element with some row of b, by visiting every pair of rows.
bool rows_meet(const view3<float>& a, const view3<float>& b) {
  for (std::int64_t t = 0; t < a.n0; ++t)
    for (std::int64_t h = 0; h < a.n1; ++h)
      for (std::int64_t t2 = 0; t2 < b.n0; ++t2)
        for (std::int64_t h2 = 0; h2 < b.n1; ++h2) {
          const float* x = a.row(t, h);
          const float* y = b.row(t2, h2);
          if (x < y + b.n2 && y < x + a.n2) return true;
        }
  return false;
}

TEST_CASE("check_disjoint finds shared rows exactly for equal token strides", "[tensor]") {
  // Random pairs of valid views into one buffer: the answer must equal visiting every pair
  // of rows whenever the token strides agree or a view has one token; otherwise an error is
  // allowed only where the address ranges meet.
  std::vector<float> buf(4096);
  std::mt19937 gen(7);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen);
  };
  auto random_view = [&](std::int64_t s0) {
    for (;;) {
      view3<float> v{buf.data() + pick(0, 1000), pick(0, 4), pick(1, 4), pick(1, 12), s0, pick(1, 40)};
      if (s0 == 0) v.s0 = pick(1, 200);
      const std::int64_t span = v.n0 == 0 ? 0 : (v.n0 - 1) * v.s0 + (v.n1 - 1) * v.s1 + v.n2;
      if (span <= 1000 && validate(v, "v").ok()) return v;
    }
  };
  int exact = 0, met = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const std::int64_t s0 = trial % 4 == 3 ? 0 : pick(1, 200);  // 0: independent strides
    const auto a = random_view(s0), b = random_view(s0);
    const status st = check_disjoint("test", "a", a, "b", b);
    const bool meet = rows_meet(a, b);
    if (a.s0 == b.s0 || a.n0 <= 1 || b.n0 <= 1) {
      INFO(trial);
      CHECK(st.ok() == !meet);
      if (meet) CHECK_THAT(st.message(), Contains("a and b overlap in memory"));
      ++exact, met += meet;
    } else if (meet) {
      CHECK_FALSE(st.ok());
    }
  }
  CHECK(exact > 10000);
  CHECK(met > 1000);  // both answers occur often
  CHECK(exact - met > 1000);
}

TEST_CASE("check_disjoint accepts slices of a packed QKV buffer and names a shared row", "[tensor]") {
  // [tokens 3, 8 heads, 16]: q = heads 0-3, k = heads 4-5, v = heads 6-7 (fused projection),
  // and GPT-NeoX's per-head [q | k | v] of 3 x 16 as q and k views with head stride 48.
  std::vector<float> buf(3 * 8 * 16);
  const view3<float> q{buf.data(), 3, 4, 16, 128, 16}, k{buf.data() + 64, 3, 2, 16, 128, 16};
  const view3<float> v{buf.data() + 96, 3, 2, 16, 128, 16};
  CHECK(check_disjoint("t", "q", q, "k", k).ok());
  CHECK(check_disjoint("t", "k", k, "v", v).ok());
  CHECK(check_disjoint("t", "v", v, "q", q).ok());
  const view3<float> nq{buf.data(), 3, 2, 16, 96, 48}, nk{buf.data() + 16, 3, 2, 16, 96, 48};
  CHECK(check_disjoint("t", "q", nq, "k", nk).ok());
  // k shifted into q's last head: q[0, 3] is k[0, 0]'s memory.
  const view3<float> bad{buf.data() + 48, 3, 2, 16, 128, 16};
  CHECK_THAT(check_disjoint("t", "q", q, "k", bad).message(),
             Contains("t: q and k overlap in memory: q[0, 3] and k[0, 0] share elements"));
  // one element in common: k's last row ends one element into q's first
  const view3<float> tail{buf.data() + 128 * 2 + 1, 1, 1, 16, 0, 16};
  const view3<float> front{buf.data() + 128 * 2 - 14, 2, 1, 16, 128, 16};
  CHECK_THAT(check_disjoint("t", "a", tail, "b", front).message(), Contains("a[0, 0] and b[0, 0]"));
}

TEST_CASE("Eigen adaptors map user memory without copies", "[tensor]") {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  auto m = as_eigen(view2<float>{buf.data(), 3, 3, 4});  // 3x3 with a padded row stride
  CHECK(m(2, 1) == 9.0f);
  m(0, 0) = 100.0f;
  CHECK(buf[0] == 100.0f);
  auto head = as_eigen(heads_view(buf.data(), 2, 2, 3), 1);  // token 1: [heads, dim]
  CHECK(head.rows() == 2);
  CHECK(head(1, 2) == 11.0f);
  row_major_matrix<float> owned(2, 5);
  owned.setZero();
  auto v = to_view(owned);
  CHECK(v.rows == 2);
  CHECK(v.stride == 5);
  *v.row(1) = 3.0f;
  CHECK(owned(1, 0) == 3.0f);
}
