// io/npy.hpp: files as NumPy writes them (bytes spelled out here), round trips, and every
// malformed-input error.
#include <posenc/io/npy.hpp>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/npy_bytes.hpp"

using namespace posenc;
using Catch::Matchers::Contains;

namespace {

using posenc::test::npy_bytes;

status parse_error(const std::vector<unsigned char>& b) {
  auto r = npy::parse(b, "x.npy");
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("reads the files NumPy writes", "[npy]") {
  const float f[6] = {1, 2, 3, 4, 5, 6.5f};
  auto a = npy::parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f), "a");
  REQUIRE(a);
  CHECK(a->type == npy::dtype::f4);
  CHECK(a->shape == std::vector<std::int64_t>{2, 3});
  CHECK(*npy::to_float(*a, "a") == std::vector<float>(f, f + 6));

  const std::int32_t i[3] = {-1, 0, 7};
  auto b = npy::parse(npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i, sizeof i), "b");
  CHECK(*npy::to_int64(*b, "b") == std::vector<std::int64_t>{-1, 0, 7});

  const double d[2] = {0.1, -2.5};
  auto c = npy::parse(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", d, sizeof d, 2), "c");
  REQUIRE(c);
  CHECK(*npy::to_float(*c, "c") == std::vector<float>{0.1f, -2.5f});

  const std::uint16_t h[3] = {0x3c00, 0xc000, 0x0001};  // 1, -2, smallest subnormal 2^-24
  auto e = npy::parse(npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", h, sizeof h), "e");
  CHECK(*npy::to_float(*e, "e") == std::vector<float>{1.0f, -2.0f, 0x1p-24f});

  const float s = 3.0f;  // rank 0
  auto z = npy::parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &s, 4), "z");
  REQUIRE(z);
  CHECK(z->shape.empty());
  CHECK(z->size() == 1);

  auto empty = npy::parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", nullptr, 0), "y");
  REQUIRE(empty);
  CHECK(empty->size() == 0);
  // (4, 0): the 0 may come last (this used to be rejected as "needs more data bytes").
  auto empty_last = npy::parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 0), }", nullptr, 0), "y");
  REQUIRE(empty_last);
  CHECK(empty_last->size() == 0);
}

TEST_CASE("serialize writes what parse reads, in NumPy's format", "[npy]") {
  const std::vector<float> f{1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  const std::vector<std::int64_t> shape{3, 2};
  const auto bytes = npy::serialize<float>(f, shape);
  CHECK(bytes == npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f.data(), 24));
  const std::vector<std::int64_t> ints{4, -5, 6};
  const std::vector<std::int64_t> one{3};
  const auto ib = npy::serialize<std::int64_t>(ints, one);
  CHECK(ib == npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", ints.data(), 24));
  CHECK(*npy::to_int64(*npy::parse(ib, "i"), "i") == ints);
  // A header past 1.0's 16-bit length (rank 30000) is written as format 2.0, not truncated.
  const std::vector<std::int64_t> deep(30000, 1);
  const std::vector<float> one_value{7.0f};
  const auto db = npy::serialize<float>(one_value, deep);
  CHECK(db[6] == 2);
  CHECK((db.size() - 1 * 4) % 64 == 0);
  auto back = npy::parse(db, "deep");
  REQUIRE(back);
  CHECK(back->shape == deep);
  CHECK(*npy::to_float(*back, "deep") == one_value);
}

TEST_CASE("save writes atomically and leaves nothing on failure", "[npy]") {
  // Per process: the release and sanitizer suites may run at the same time.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("posenc-npy-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.npy").string();
  const std::vector<float> f{1, 2, 3};
  const std::vector<std::int64_t> shape{3};
  REQUIRE(npy::save<float>(path, f, shape).ok());
  CHECK(*npy::to_float(*npy::load(path), "out") == f);
  std::filesystem::remove(path);

  const std::vector<std::int64_t> wrong{4};
  auto st = npy::save<float>(path, f, wrong);
  CHECK(st.code() == errc::shape_mismatch);
  CHECK_FALSE(std::filesystem::exists(path));

  const std::string bad = (dir / "no-such-dir" / "out.npy").string();
  st = npy::save<float>(bad, f, shape);
  CHECK(st.code() == errc::io_error);
  CHECK_THAT(st.message(), Contains("no-such-dir"));
  CHECK(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST_CASE("malformed files are errors that name the problem", "[npy][errors]") {
  const float f[4] = {1, 2, 3, 4};
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
  auto good = npy_bytes(ok_dict, f, sizeof f);

  auto bad_magic = good;
  bad_magic[1] = 'X';
  CHECK_THAT(parse_error(bad_magic).message(), Contains("bad magic"));
  CHECK_THAT(parse_error({0x93, 'N'}).message(), Contains("bad magic"));
  // The whole magic but not the version and length bytes after it: a truncated file.
  for (std::size_t n : {6, 7, 8, 9}) {
    INFO(n << " bytes");
    CHECK_THAT(parse_error(std::vector<unsigned char>(good.begin(), good.begin() + n)).message(),
               Contains("truncated .npy header"));
  }

  auto v3 = good;
  v3[6] = 3;
  CHECK(parse_error(v3).code() == errc::unsupported);
  CHECK_THAT(parse_error(v3).message(), Contains("version 3.0"));

  auto truncated_header = std::vector<unsigned char>(good.begin(), good.begin() + 40);
  CHECK_THAT(parse_error(truncated_header).message(), Contains("truncated .npy header"));

  auto truncated_data = std::vector<unsigned char>(good.begin(), good.end() - 3);
  CHECK_THAT(parse_error(truncated_data).message(), Contains("needs 16 data bytes, the file has 13"));
  auto trailing = good;
  trailing.push_back(0);
  CHECK_THAT(parse_error(trailing).message(), Contains("the file has 17"));

  CHECK_THAT(parse_error(npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", f, 16)).message(),
             Contains("big-endian .npy dtype '>f4'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", f, 16)).message(),
             Contains("unsupported .npy dtype '|O'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (8,), }", f, 16)).message(),
             Contains("'<u2'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f, 16)).message(),
             Contains("Fortran-order"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", f, 16)).message(),
             Contains("non-negative integer"));
  // A huge shape must fail on the size check without allocating.
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", f, 16)).message(),
             Contains("shape (4611686018427387904,4,) is too large"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }", f, 16)).message(),
             Contains("needs 17592186044416 data bytes, the file has 16"));
  // An empty array may have any other extents, as long as they cannot overflow.
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4, 0), }", f, 0)).message(),
             Contains("is too large"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", f, 16)).message(),
             Contains("overflows"));
  // INT64_MAX itself is an int64 (its byte count is then too large); one more is not.
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (9223372036854775807,), }", f, 16)).message(),
             Contains("shape (9223372036854775807,) is too large"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (9223372036854775808,), }", f, 16)).message(),
             Contains("shape entry overflows int64"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'shape': (4,), }", f, 16)).message(),
             Contains("lacks one of descr, fortran_order, shape"));
  CHECK_THAT(parse_error(npy_bytes("[1, 2]", f, 16)).message(), Contains("does not start with '{'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", f, 16)).message(),
             Contains("unexpected key 'x'"));
  // NumPy keeps the last of duplicate keys and rejects text after the dict; a reader that did
  // otherwise would see a different array than NumPy does.
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (4,), }", f, 16)).message(),
             Contains("duplicate key 'shape'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f, 16)).message(),
             Contains("duplicate key 'descr'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'fortran_order': False, 'shape': (4,), }", f, 16)).message(),
             Contains("duplicate key 'fortran_order'"));
  CHECK_THAT(parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }, 'shape': (9,)", f, 16)).message(),
             Contains("text after the closing '}'"));
  CHECK(parse_error(bad_magic).code() == errc::parse_error);
}

TEST_CASE("dtype conversions refuse the wrong kind", "[npy][errors]") {
  const std::int64_t i[2] = {1, 2};
  auto a = npy::parse(npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i, 16), "p");
  auto f = npy::to_float(*a, "--in");
  REQUIRE_FALSE(f);
  CHECK_THAT(f.error().message(), Contains("--in: expected a floating array, got dtype <i8"));
  const float x[2] = {1, 2};
  auto b = npy::parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", x, 8), "p");
  auto n = npy::to_int64(*b, "--positions");
  REQUIRE_FALSE(n);
  CHECK_THAT(n.error().message(), Contains("--positions: expected an integer array, got dtype <f4"));
  auto missing = npy::load("/nonexistent/posenc.npy");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == errc::io_error);
  CHECK_THAT(missing.error().message(), Contains("/nonexistent/posenc.npy"));
}
