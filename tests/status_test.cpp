// status.hpp: the error model (status, result<T>, make_error, POSENC_TRY).
#include <posenc/status.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>

using namespace posenc;

namespace {
status check_positive(int v) {
  if (v <= 0) return make_error(errc::invalid_argument, "value must be positive, got ", v);
  return {};
}
result<int> doubled(int v) {
  POSENC_TRY(check_positive(v));
  return 2 * v;
}
}  // namespace

TEST_CASE("status is ok by default and carries code and message otherwise", "[status]") {
  status ok;
  CHECK(ok.ok());
  CHECK(static_cast<bool>(ok));
  CHECK(ok.code() == errc::ok);
  CHECK(ok.message().empty());
  status bad = make_error(errc::out_of_range, "position ", std::int64_t{-3}, " outside [0, ", 8, ")");
  CHECK_FALSE(bad.ok());
  CHECK(bad.code() == errc::out_of_range);
  CHECK(bad.message() == "position -3 outside [0, 8)");
  CHECK(errc_name(bad.code()) == "out_of_range");
}

TEST_CASE("make_error prints numbers so a user can read them", "[status]") {
  CHECK(make_error(errc::invalid_argument, "theta ", std::nan("")).message() == "theta nan");
  CHECK(make_error(errc::invalid_argument, "f ", 0.1).message() == "f 0.1");
  CHECK(make_error(errc::invalid_argument, "f ", 1.1386294361119891).message() == "f 1.13862944");
  CHECK(make_error(errc::invalid_argument, "n ", std::int64_t{1} << 40).message() == "n 1099511627776");
}

TEST_CASE("make_error keeps a message on one line: control characters are escaped", "[status]") {
  // A config string such as "llama\nFAKE" is echoed into messages; the CLI prints one line.
  const std::string name = std::string("llama\nFAKE\r\t") + '\x01' + '\x7f' + "\xc3\xa9";
  CHECK(make_error(errc::unsupported, "unknown model_type '", name, "'").message() ==
        "unknown model_type 'llama\\nFAKE\\r\\t\\x01\\x7f\xc3\xa9'");
}

TEST_CASE("result holds a value or the error; POSENC_TRY propagates", "[status]") {
  auto good = doubled(21);
  REQUIRE(good);
  CHECK(*good == 42);
  CHECK(good.error().ok());
  auto bad = doubled(-1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::invalid_argument);
  CHECK(bad.error().message() == "value must be positive, got -1");
  // move-only values
  result<std::unique_ptr<int>> p(std::make_unique<int>(7));
  CHECK(**p == 7);
  auto taken = std::move(p).value();
  CHECK(*taken == 7);
}
