// The bad-input table of docs/errors.md, library side: each row's input gives the documented
// errc and a message naming the offending value, allocates nothing large (a size of 2^40
// fails before any allocation), and leaves the caller's output buffer untouched. Also: .npy
// files that are truncated, oversized, big-endian, Fortran-order, object-dtype or of a huge
// shape; JSON with wrong types, NaN/Inf, negative and absurd numbers; positions at the INT64
// extremes; and NaN/Inf inside tensors, which propagate without a crash.
// The CLI side of the table is tests/tools/posenc_cli_test.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <posenc/io/hf_config.hpp>
#include <posenc/io/npy.hpp>
#include <posenc/posenc.hpp>
#include <string>
#include <vector>

#include "support/npy_bytes.hpp"

using Catch::Matchers::Contains;
using posenc::test::npy_bytes;
using posenc::errc;

// ---- the largest single allocation, to show that absurd sizes are refused before allocating.
namespace {
std::size_t largest_allocation = 0;
}  // namespace
// Every replaceable form, so that all of them pair malloc with free (ASan checks the pairing).
// GCC sees the malloc inlined into these replacements and takes delete's free for a mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (n > largest_allocation) largest_allocation = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (n > largest_allocation) largest_allocation = n;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

constexpr std::int64_t two40 = std::int64_t{1} << 40;
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::size_t small_allocation = std::size_t{1} << 20;  // 1 MiB

// Checks a failed result/status: its code, that its message contains `named`, and that no
// allocation above 1 MiB happened while `call` ran.
template <class Call>
void check_error(Call&& call, errc code, const std::string& named) {
  largest_allocation = 0;
  const auto r = call();
  const std::size_t largest = largest_allocation;
  posenc::status st;
  if constexpr (std::is_same_v<std::decay_t<decltype(r)>, posenc::status>) {
    st = r;
  } else {
    REQUIRE_FALSE(r.has_value());
    st = r.error();
  }
  INFO(st.message());
  CHECK_FALSE(st.ok());
  CHECK(posenc::errc_name(st.code()) == posenc::errc_name(code));
  CHECK_THAT(st.message(), Contains(named));
  CHECK(largest < small_allocation);
}


posenc::result<posenc::hf::json> config(const std::string& text) {
  return posenc::hf::parse(text, "config.json");
}

}  // namespace

TEST_CASE("bad .npy files: code, named value, nothing allocated", "[errors][npy]") {
  using posenc::npy::parse;
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  auto good = npy_bytes(f4, nullptr, 24);
  REQUIRE(parse(good, "x.npy"));
  SECTION("truncated") {
    auto header_cut = good;
    header_cut.resize(40);
    check_error([&] { return parse(header_cut, "x.npy"); }, errc::parse_error, "header bytes announced, 30 present");
    auto data_cut = good;
    data_cut.resize(data_cut.size() - 1);
    check_error([&] { return parse(data_cut, "x.npy"); }, errc::parse_error, "needs 24 data bytes, the file has 23");
    check_error([&] { return parse(std::span(good.data(), 7), "x.npy"); }, errc::parse_error, "x.npy: truncated .npy header");
  }
  SECTION("oversized: trailing bytes") {
    auto extra = good;
    extra.push_back(0);
    check_error([&] { return parse(extra, "x.npy"); }, errc::parse_error, "needs 24 data bytes, the file has 25");
  }
  SECTION("wrong endian, Fortran order, object dtype, other versions") {
    check_error([&] { return parse(npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", nullptr, 24), "x.npy"); },
                errc::unsupported, "big-endian .npy dtype '>f4'");
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", nullptr, 24), "x.npy"); },
                errc::unsupported, "Fortran-order");
    check_error([&] { return parse(npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", nullptr, 24), "x.npy"); },
                errc::unsupported, "unsupported .npy dtype '|O'");
    auto v3 = good;
    v3[6] = 3;
    check_error([&] { return parse(v3, "x.npy"); }, errc::unsupported, "format version 3.0");
  }
  SECTION("huge shapes fail on the size check without allocating") {
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", nullptr, 16), "x.npy"); },
                errc::parse_error, "(1099511627776,1099511627776,) is too large");
    check_error([&] { return parse(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", nullptr, 16), "x.npy"); },
                errc::parse_error, "needs 8796093022208 data bytes, the file has 16");
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", nullptr, 16), "x.npy"); },
                errc::parse_error, "overflows int64");
  }
  SECTION("malformed headers") {
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'shape': (2, 3), }", nullptr, 24), "x.npy"); },
                errc::parse_error, "lacks one of descr, fortran_order, shape");
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", nullptr, 24), "x.npy"); },
                errc::parse_error, "shape entry is not a non-negative integer");
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }", nullptr, 24), "x.npy"); },
                errc::parse_error, "fortran_order is not True or False");
    check_error([&] { return parse(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", nullptr, 24), "x.npy"); },
                errc::parse_error, "unexpected key 'x'");
  }
  SECTION("dtype conversions") {
    auto a = parse(good, "x.npy");
    check_error([&] { return posenc::npy::to_int64(*a, "--positions"); }, errc::invalid_argument,
                "--positions: expected an integer array, got dtype <f4");
    auto i = parse(npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", nullptr, 16), "p.npy");
    check_error([&] { return posenc::npy::to_float(*i, "--in"); }, errc::invalid_argument,
                "--in: expected a floating array, got dtype <i8");
  }
  SECTION("missing files") {
    check_error([] { return posenc::npy::load("/nonexistent/x.npy"); }, errc::io_error, "cannot open '/nonexistent/x.npy'");
    const std::vector<float> v{1.0f};
    const std::vector<std::int64_t> shape{1};
    check_error([&] { return posenc::npy::save<float>("/nonexistent/y.npy", v, shape); }, errc::io_error,
                "cannot write '/nonexistent/y.npy'");
    const std::vector<std::int64_t> wrong{2};
    check_error([&] { return posenc::npy::save<float>("/tmp/y.npy", v, wrong); }, errc::shape_mismatch,
                "1 elements do not match the shape's 2");
  }
}

TEST_CASE("bad JSON configs: wrong types, NaN/Inf, negative and absurd numbers", "[errors][json]") {
  using namespace posenc::hf;
  SECTION("malformed, NaN, Infinity, too deep, not an object") {
    check_error([] { return config(R"({"head_dim": NaN})"); }, errc::parse_error, "NaN and Infinity are not valid JSON");
    check_error([] { return config(R"({"head_dim": Infinity})"); }, errc::parse_error, "malformed JSON");
    check_error([] { return config(R"({"head_dim": 64)"); }, errc::parse_error, "config.json: malformed JSON");
    check_error([] { return config(std::string(100, '[') + std::string(100, ']')); }, errc::parse_error,
                "nested 100 levels deep (at most 64)");
    check_error([] { return config("[1, 2]"); }, errc::invalid_config, "not a JSON object");
    check_error([] { return load("/nonexistent/config.json"); }, errc::io_error, "cannot open '/nonexistent/config.json'");
  }
  SECTION("numbers that overflow double are refused by the JSON parser") {
    check_error([] { return config(R"({"encoding": "rope", "head_dim": 64, "rope_theta": 1e400})"); },
                errc::parse_error, "malformed JSON");
  }
  SECTION("wrong types name the key and the value") {
    auto check_config = [](const std::string& text, const std::string& named) {
      auto j = config(text);
      REQUIRE(j);
      check_error([&] { return rope_config_from(*j); }, errc::invalid_config, named);
    };
    check_config(R"({"head_dim": "64"})", "'head_dim' must be an integer, got \"64\"");
    check_config(R"({"head_dim": 64, "rope_theta": [1]})", "'rope_theta' must be a number, got [1]");
    check_config(R"({"head_dim": 64, "rope_interleave": 1})", "'rope_interleave' must be true or false, got 1");
    check_config(R"({"head_dim": 64, "rope_layout": 2})", "'rope_layout' must be a string, got 2");
    check_config(R"({"head_dim": 64, "rope_scaling": "yarn"})", "'rope_scaling' must be an object, got \"yarn\"");
    check_config(R"({"head_dim": 18446744073709551615})", "'head_dim' is too large: 18446744073709551615");
    check_config(R"({"head_dim": 64, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, "x"]}})",
                 "'short_factor' must hold numbers only, got \"x\"");
    // Long values are cut in messages.
    check_config(R"({"head_dim": ")" + std::string(500, 'a') + "\"}", "...");
  }
  SECTION("negative and absurd sizes fail in make() without allocating") {
    check_error([] { return posenc::rope::make({.head_dim = two40}); }, errc::invalid_argument, "got 1099511627776");
    check_error([] { return posenc::rope::make({.head_dim = -64}); }, errc::invalid_argument, "got -64");
    check_error([] { return posenc::rope::make({.head_dim = 128, .max_positions = two40}); }, errc::invalid_argument,
                "got 1099511627776");
    check_error([] { return posenc::rope::make({.head_dim = 128, .theta = -1.0}); }, errc::invalid_argument, "-1");
    check_error([] { return posenc::rope::make({.head_dim = 128, .theta = std::nan("")}); }, errc::invalid_argument, "nan");
    check_error([] { return posenc::sinusoidal::make({.d_model = two40}); }, errc::invalid_argument, "got 1099511627776");
    check_error([] { return posenc::alibi::make({.num_heads = two40}); }, errc::invalid_argument, "got 1099511627776");
    check_error([] { return posenc::alibi::make({.num_heads = 8, .bias_max = INFINITY}); }, errc::invalid_argument, "inf");
    check_error([] { return posenc::t5_buckets::make({.num_buckets = two40, .num_heads = 8}); }, errc::invalid_argument,
                "got 1099511627776");
    const float tiny[4] = {};
    check_error([&] { return posenc::t5::make({.num_buckets = 32, .num_heads = two40}, posenc::matrix_view(tiny, 2, 2)); },
                errc::shape_mismatch, "1099511627776");
    check_error([&] { return posenc::learned::make({.rows = two40, .hidden_size = two40}, posenc::matrix_view(tiny, 2, 2)); },
                errc::shape_mismatch, "1099511627776");
    check_error([] { return posenc::fope::init_coefficients({.head_dim = 64, .heads = two40}, 1); }, errc::invalid_argument,
                "got 1099511627776");
    check_error([&] {
      return posenc::xlnet::make({.d_model = 8, .heads = two40, .head_dim = two40, .max_distance = 8},
                                 {posenc::matrix_view(tiny, 2, 2), posenc::matrix_view(tiny, 2, 2),
                                  posenc::matrix_view(tiny, 2, 2)});
    }, errc::invalid_argument, "1099511627776 * 1099511627776");
    check_error([&] {
      return posenc::deberta::make({.max_relative_positions = 8, .heads = two40, .head_dim = two40},
                                   {posenc::matrix_view(tiny, 2, 2), posenc::matrix_view(tiny, 2, 2), {},
                                    posenc::matrix_view(tiny, 2, 2), {}});
    }, errc::invalid_argument, "1099511627776 * 1099511627776");
    check_error([] { return posenc::deberta_relative_positions({.max_relative_positions = two40}, 1, 1, 0, {}); },
                errc::invalid_argument, "got 1099511627776");
  }
  SECTION("absurd sizes from a config.json") {
    auto j = config(R"({"model_type": "t5", "num_heads": 8, "relative_attention_num_buckets": 1099511627776})");
    REQUIRE(j);
    auto cfg = t5_config_from(*j);
    REQUIRE(cfg);
    check_error([&] { return posenc::t5_buckets::make(*cfg); }, errc::invalid_argument, "got 1099511627776");
    auto k = config(R"({"model_type": "llama", "hidden_size": 4096, "num_attention_heads": -32})");
    REQUIRE(k);
    check_error([&] { return rope_config_from(*k); }, errc::invalid_config, "head count -32");
  }
}

TEST_CASE("positions at the INT64 extremes are refused and leave the buffer untouched", "[errors][positions]") {
  auto rope = posenc::rope::make({.head_dim = 8, .max_positions = 16});
  REQUIRE(rope);
  for (std::int64_t bad : {i64_max, i64_min, std::int64_t{1} << 53, -(std::int64_t{1} << 53)}) {
    std::vector<float> x(16, 0.5f);
    const auto before = x;
    const std::int64_t pos[2] = {3, bad};  // the bad position is second: nothing may be written
    check_error([&] { return rope->rotate(posenc::heads_view(x.data(), 2, 1, 8), pos); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);
    check_error([&] { return rope->shift(posenc::heads_view(x.data(), 2, 1, 8), bad); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);

    auto sin_enc = posenc::sinusoidal::make({.d_model = 8});
    REQUIRE(sin_enc);
    check_error([&] { return sin_enc->encode(pos, posenc::matrix_view(x.data(), 2, 8)); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);

    const std::vector<float> table(32, 1.0f);
    auto learned = posenc::learned::make({.rows = 4, .hidden_size = 8, .position_offset = 2},
                                         posenc::matrix_view(table.data(), 4, 8));
    REQUIRE(learned);
    const std::int64_t lpos[2] = {0, bad};
    check_error([&] { return learned->encode(lpos, posenc::matrix_view(x.data(), 2, 8)); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);

    auto alibi = posenc::alibi::make({.num_heads = 2});
    REQUIRE(alibi);
    check_error([&] { return alibi->bias(2, 4, bad, posenc::tensor_view(x.data(), 2, 2, 4)); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);
    auto t5 = posenc::t5::make({.num_buckets = 8, .max_distance = 16, .num_heads = 2},
                               posenc::matrix_view(table.data(), 8, 2));
    REQUIRE(t5);
    check_error([&] { return t5->bias(2, 4, bad, posenc::tensor_view(x.data(), 2, 2, 4)); }, errc::out_of_range,
                std::to_string(bad));
    CHECK(x == before);
  }
  SECTION("absurd q_len / k_len with a small buffer") {
    auto alibi = posenc::alibi::make({.num_heads = 2});
    REQUIRE(alibi);
    std::vector<float> x(16, 0.5f);
    const auto before = x;
    check_error([&] { return alibi->bias(two40, two40, 0, posenc::tensor_view(x.data(), 2, 2, 4)); },
                errc::shape_mismatch, "expected [heads, Q, K] = [2, 1099511627776, 1099511627776]");
    check_error([&] { return alibi->bias(i64_max, 4, 0, posenc::tensor_view(x.data(), 2, 2, 4)); },
                errc::invalid_argument, std::to_string(i64_max));
    CHECK(x == before);
  }
  SECTION("overlapping and mis-shaped views") {
    std::vector<float> x(16, 0.5f);
    const auto before = x;
    const std::int64_t pos[2] = {0, 1};
    check_error([&] { return rope->rotate(posenc::view3<float>{x.data(), 2, 1, 8, 4, 8}, pos); },
                errc::shape_mismatch, "overlap");
    check_error([&] { return rope->rotate(posenc::heads_view(x.data(), 1, 1, 16), pos); }, errc::shape_mismatch,
                "head_dim 16");
    check_error([&] { return rope->rotate(posenc::heads_view(x.data(), 1, 1, 8), pos); }, errc::shape_mismatch,
                "2 positions for 1 tokens");
    check_error([&] {
      return rope->rotate(posenc::heads_view(x.data(), 1, 1, 8), posenc::heads_view(x.data(), 1, 1, 8),
                          std::span(pos, 1));
    }, errc::invalid_argument, "q and k overlap");
    CHECK(x == before);
  }
}

TEST_CASE("NaN and Inf inside tensors propagate and never crash", "[errors][nan]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  auto rope = posenc::rope::make({.head_dim = 8, .max_positions = 4});
  REQUIRE(rope);
  std::vector<float> x(16, 0.5f);
  x[1] = nan;  // half layout: pairs (k, k + 4); (1, 5) gets the NaN, other pairs stay finite
  x[8 + 2] = inf;
  const std::int64_t pos[2] = {3, 1000};  // table and on-the-fly paths
  REQUIRE(rope->rotate(posenc::heads_view(x.data(), 2, 1, 8), pos).ok());
  CHECK(std::isnan(x[1]));
  CHECK(std::isnan(x[5]));
  for (int i : {0, 2, 3, 4, 6, 7}) CHECK(std::isfinite(x[i]));
  CHECK_FALSE(std::isfinite(x[8 + 2]));
  CHECK_FALSE(std::isfinite(x[8 + 6]));
  for (int i : {0, 1, 3, 4, 5, 7}) CHECK(std::isfinite(x[8 + i]));

  std::vector<float> table(16, 1.0f);
  table[3] = nan;  // bucket 1, head 1
  auto t5 = posenc::t5::make({.num_buckets = 8, .max_distance = 16, .num_heads = 2},
                             posenc::matrix_view(table.data(), 8, 2));
  REQUIRE(t5);
  std::vector<float> b(2 * 4 * 4);
  REQUIRE(t5->bias(4, 4, 0, posenc::tensor_view(b.data(), 2, 4, 4)).ok());
  int nans = 0;
  for (float v : b) nans += std::isnan(v);
  CHECK(nans > 0);
  for (int i = 0; i < 16; ++i) CHECK(std::isfinite(b[i]));  // head 0 is clean

  auto sin_enc = posenc::sinusoidal::make({.d_model = 8});
  REQUIRE(sin_enc);
  std::vector<float> y(8, 0.0f);
  y[3] = inf;
  const std::int64_t p1[1] = {5};
  REQUIRE(sin_enc->add_to(posenc::matrix_view(y.data(), 1, 8), p1).ok());
  CHECK(std::isinf(y[3]));
  CHECK(std::isfinite(y[2]));
}
