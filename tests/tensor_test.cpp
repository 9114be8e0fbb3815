// tensor.hpp: views, their validation (extents, strides, overlap) and the Eigen adaptors.
#include <posenc/tensor.hpp>

#include <catch2/catch.hpp>
#include <numeric>
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
