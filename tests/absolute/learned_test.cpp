// Tests for absolute/learned.hpp: lookups with offsets (GPT-2/BERT 0, OPT 2, RoBERTa
// pad_token_id + 1), borrowed and owned tables, add_to, the config parser for real model
// configs, and every error path (message names the position and range; output untouched).
// Storage types: encode/add_to into float, double, float16 and bfloat16 against the test's own
// rounding (a search over every 16-bit value), and a 16-bit checkpoint's round trip.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <posenc/absolute/learned.hpp>
#include <posenc/io/hf_config.hpp>
#include <string>
#include <type_traits>
#include <vector>

using posenc::learned;
using posenc::learned_config;

static_assert(posenc::AbsoluteEncoder<learned>);

namespace {

// A table whose entry (r, c) is r + c / 1000, so a copied row says where it came from.
std::vector<float> make_table(std::int64_t rows, std::int64_t cols) {
  std::vector<float> t(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      t[static_cast<std::size_t>(r * cols + c)] = static_cast<float>(r) + static_cast<float>(c) / 1000.0f;
    }
  }
  return t;
}

// The value of the 16-bit pattern b of type T, widened by the test's own means (bfloat16: the
// top half of a float; float16: GCC's _Float16).
template <class T>
float value_of_bits(std::uint16_t b) {
  if constexpr (std::is_same_v<T, posenc::bfloat16>) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
  } else {
    return static_cast<float>(std::bit_cast<_Float16>(b));
  }
}

// f as T by the definition of round to nearest even: for 16-bit T, the finite pattern of f's
// sign whose value is nearest to f, the even pattern on a tie (f within T's finite range).
template <class T>
T nearest(float f) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return static_cast<T>(f);
  } else {
    const std::uint32_t sign = std::signbit(f) ? 0x8000u : 0u;
    std::uint16_t best = 0;
    double best_err = std::numeric_limits<double>::infinity();
    for (std::uint32_t m = 0; m < 0x8000u; ++m) {
      const auto b = static_cast<std::uint16_t>(sign | m);
      const float v = value_of_bits<T>(b);
      if (!std::isfinite(v)) continue;
      const double err = std::fabs(static_cast<double>(v) - static_cast<double>(f));
      if (err < best_err || (err == best_err && (b & 1u) == 0)) best = b, best_err = err;
    }
    return T::from_bits(best);
  }
}

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// A 12 x 7 table (offset 2: positions -2 .. 9) whose values round in 16 bits, with ties of
// bfloat16 (1 + 2^-8, 1 + 3 2^-8) and float16 (1 + 2^-11, -(1 + 3 2^-11)) and a float16
// subnormal among them.
constexpr std::int64_t tie_rows = 12, tie_cols = 7, tie_offset = 2;
std::vector<float> tie_table() {
  std::vector<float> t(static_cast<std::size_t>(tie_rows * tie_cols));
  for (std::size_t k = 0; k < t.size(); ++k) {
    t[k] = static_cast<float>(static_cast<double>(k) * 0.3719 - 11.0) +
           static_cast<float>(k % 3) / 3.0f;
  }
  const float specials[] = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-11f,
                            -(1.0f + 3 * 0x1p-11f), 3.0e-6f};
  for (std::size_t j = 0; j < std::size(specials); ++j) t[j * 17 % t.size()] = specials[j];
  return t;
}

// E[p + tie_offset][c] of tie_table().
float tie_value(const std::vector<float>& w, std::int64_t p, std::int64_t c) {
  return w[static_cast<std::size_t>((p + tie_offset) * tie_cols + c)];
}

}  // namespace

TEST_CASE("learned: Y[t] = W[P[t] + offset] for offsets 0 and 2", "[learned]") {
  const std::int64_t rows = 66, d = 5;
  const auto w = make_table(rows, d);
  for (std::int64_t offset : {0, 2}) {
    auto e = learned::make({.rows = rows, .hidden_size = d, .position_offset = offset},
                           posenc::matrix_view(w.data(), rows, d));
    REQUIRE(e.has_value());
    CHECK(e->min_position() == -offset);
    CHECK(e->end_position() == rows - offset);
    const std::vector<std::int64_t> p = {0, 1, 17, rows - offset - 1, -offset};
    std::vector<float> y(p.size() * d);
    REQUIRE(e->encode(p, posenc::matrix_view(y.data(), 5, d)).ok());
    for (std::size_t t = 0; t < p.size(); ++t) {
      for (std::int64_t c = 0; c < d; ++c) {
        REQUIRE(y[t * d + c] == w[static_cast<std::size_t>((p[t] + offset) * d + c)]);
      }
    }
  }
}

TEST_CASE("learned: owned and borrowed tables agree; copies own their table", "[learned]") {
  const std::int64_t rows = 10, d = 3;
  const auto w = make_table(rows, d);
  learned::matrix m(rows, d);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < d; ++c) m(r, c) = w[static_cast<std::size_t>(r * d + c)];
  }
  const learned_config cfg{.rows = rows, .hidden_size = d, .position_offset = 1};
  auto borrowed = learned::make(cfg, posenc::matrix_view(w.data(), rows, d));
  REQUIRE(borrowed.has_value());
  std::optional<learned> copy;
  {
    auto owned = learned::make(cfg, m);
    REQUIRE(owned.has_value());
    copy = *owned;  // the original goes out of scope here
  }
  const std::vector<std::int64_t> p = {-1, 0, 4, 8};
  std::vector<float> a(12), b(12);
  REQUIRE(borrowed->encode(p, posenc::matrix_view(a.data(), 4, d)).ok());
  REQUIRE(copy->encode(p, posenc::matrix_view(b.data(), 4, d)).ok());
  CHECK(a == b);
  CHECK(a[0] == 0.0f);  // position -1 with offset 1 is row 0 (the pad row in RoBERTa)
}

TEST_CASE("learned: add_to adds the rows into strided x", "[learned]") {
  const std::int64_t rows = 8, d = 4, stride = 6;
  const auto w = make_table(rows, d);
  auto e = learned::make({.rows = rows, .hidden_size = d}, posenc::matrix_view(w.data(), rows, d));
  REQUIRE(e.has_value());
  std::vector<float> x(3 * stride, 0.5f);
  const std::vector<std::int64_t> p = {7, 0, 3};
  REQUIRE(e->add_to({x.data(), 3, d, stride}, p).ok());
  for (std::size_t t = 0; t < 3; ++t) {
    for (std::int64_t c = 0; c < stride; ++c) {
      const float want = c < d ? 0.5f + w[static_cast<std::size_t>(p[t] * d + c)] : 0.5f;
      REQUIRE(x[t * stride + c] == want);
    }
  }
}

TEST_CASE("learned: errors name the value and leave the output untouched", "[learned]") {
  const std::int64_t rows = 514, d = 2;
  const auto w = make_table(rows, d);
  const auto table = posenc::matrix_view(w.data(), rows, d);
  auto e = learned::make({.rows = rows, .hidden_size = d, .position_offset = 2}, table);
  REQUIRE(e.has_value());
  std::vector<float> y(6, -7.0f);
  const auto sentinel = y;
  for (std::int64_t bad : {std::int64_t{512}, std::int64_t{-3}, INT64_MAX, INT64_MIN}) {
    const std::vector<std::int64_t> p = {0, 1, bad};
    auto st = e->encode(p, posenc::matrix_view(y.data(), 3, d));
    CHECK(st.code() == posenc::errc::out_of_range);
    CHECK_THAT(st.message(), Catch::Contains("position " + std::to_string(bad)));
    CHECK_THAT(st.message(), Catch::Contains("[-2, 512)"));
    st = e->add_to(posenc::matrix_view(y.data(), 3, d), p);
    CHECK(st.code() == posenc::errc::out_of_range);
  }
  const std::vector<std::int64_t> ok = {0, 1, 2};
  CHECK(e->encode(ok, posenc::matrix_view(y.data(), 3, 1)).code() == posenc::errc::shape_mismatch);
  CHECK(e->encode(ok, posenc::matrix_view(y.data(), 2, d)).code() == posenc::errc::shape_mismatch);
  CHECK(y == sentinel);

  // Construction: shape disagreements, offsets outside the table, empty tables.
  auto bad = learned::make({.rows = 512, .hidden_size = d, .position_offset = 2}, table);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == posenc::errc::shape_mismatch);
  CHECK_THAT(bad.error().message(), Catch::Contains("[514, 2]"));
  bad = learned::make({.rows = rows, .hidden_size = d, .position_offset = -1}, table);
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("-1"));
  bad = learned::make({.rows = rows, .hidden_size = d, .position_offset = rows}, table);
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("514"));
  bad = learned::make({.rows = 0, .hidden_size = d}, posenc::view2<const float>{});
  REQUIRE_FALSE(bad.has_value());
  bad = learned::make({.rows = 2, .hidden_size = 2}, posenc::view2<const float>{nullptr, 2, 2, 2});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == posenc::errc::invalid_argument);
}

TEMPLATE_TEST_CASE("learned: encode into each storage type, with an offset", "[learned]", float,
                   double, posenc::float16, posenc::bfloat16) {
  // Each float table value as T: exact for float and double, rounded once for 16 bits.
  using T = TestType;
  const auto w = tie_table();
  auto e = learned::make({.rows = tie_rows, .hidden_size = tie_cols, .position_offset = tie_offset},
                         posenc::matrix_view(w.data(), tie_rows, tie_cols));
  REQUIRE(e.has_value());
  const std::vector<std::int64_t> p = {-2, -1, 0, 4, 9, 9, -2, 7, 1, 3, 5, 6, 8, 2};
  const auto tokens = static_cast<std::int64_t>(p.size());
  const std::int64_t stride = tie_cols + 2;
  const T pad = nearest<T>(-7.0f);
  std::vector<T> out(static_cast<std::size_t>(tokens * stride), pad);
  REQUIRE(e->encode(p, posenc::view2<T>{out.data(), tokens, tie_cols, stride}).ok());
  std::int64_t wrong = 0;
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t c = 0; c < stride; ++c) {
      const T want = c < tie_cols ? nearest<T>(tie_value(w, p[static_cast<std::size_t>(t)], c)) : pad;
      wrong += !same_bits(out[static_cast<std::size_t>(t * stride + c)], want);
    }
  }
  CHECK(wrong == 0);
}

TEMPLATE_TEST_CASE("learned: add_to in each storage type", "[learned]", float, double,
                   posenc::float16, posenc::bfloat16) {
  // double: x + E in double; otherwise x widened exactly, plus E in float, rounded once to T.
  using T = TestType;
  const auto w = tie_table();
  auto e = learned::make({.rows = tie_rows, .hidden_size = tie_cols, .position_offset = tie_offset},
                         posenc::matrix_view(w.data(), tie_rows, tie_cols));
  REQUIRE(e.has_value());
  const std::vector<std::int64_t> p = {9, -2, 0, 3, -1, 6, 1, 2, 4, 5, 7, 8};
  const auto tokens = static_cast<std::int64_t>(p.size());
  const std::int64_t stride = tie_cols + 3;
  // x: values exact in every type (multiples of 1/64 in [-0.75, 1.75], and 288).
  auto x_value = [](std::size_t k) {
    if (k % 5 == 4) return 288.0f;
    return static_cast<float>(static_cast<int>(k % 97) - 48) / 64.0f + (k % 2 ? 1.0f : 0.0f);
  };
  std::vector<T> x(static_cast<std::size_t>(tokens * stride));
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = nearest<T>(x_value(k));
  REQUIRE(e->add_to(posenc::view2<T>{x.data(), tokens, tie_cols, stride}, p).ok());
  std::int64_t wrong = 0;
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t c = 0; c < stride; ++c) {
      const auto at = static_cast<std::size_t>(t * stride + c);
      const float xv = x_value(at);
      T want = nearest<T>(xv);  // padding: untouched
      if (c < tie_cols) {
        const float ev = tie_value(w, p[static_cast<std::size_t>(t)], c);
        if constexpr (std::is_same_v<T, double>) {
          want = static_cast<double>(xv) + static_cast<double>(ev);
        } else {
          want = nearest<T>(xv + ev);
        }
      }
      wrong += !same_bits(x[at], want);
    }
  }
  CHECK(wrong == 0);
}

TEMPLATE_TEST_CASE("learned: a 16-bit checkpoint widened to float encodes back to its own bits",
                   "[learned]", posenc::float16, posenc::bfloat16) {
  // Every finite 16-bit value (subnormals and -0 included) as a checkpoint table [rows, 8]: widen
  // once into an owned float table, then encode<T> returns the checkpoint's bits and
  // encode<double> its exact values.
  using T = TestType;
  std::vector<std::uint16_t> bits;
  for (std::uint32_t b = 0; b < 0x10000u; ++b) {
    const auto pattern = static_cast<std::uint16_t>(b);
    if (std::isfinite(value_of_bits<T>(pattern))) bits.push_back(pattern);
  }
  while (bits.size() % 8 != 0) bits.push_back(0);
  const std::int64_t d = 8, rows = static_cast<std::int64_t>(bits.size()) / d;
  learned::matrix table(rows, d);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < d; ++c) {
      table(r, c) = value_of_bits<T>(bits[static_cast<std::size_t>(r * d + c)]);  // exact
    }
  }
  auto e = learned::make({.rows = rows, .hidden_size = d, .position_offset = 1}, std::move(table));
  REQUIRE(e.has_value());
  std::vector<std::int64_t> p(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) p[static_cast<std::size_t>(r)] = r - 1;
  std::vector<T> out(bits.size());
  std::vector<double> wide(bits.size());
  REQUIRE(e->encode(p, posenc::matrix_view(out.data(), rows, d)).ok());
  REQUIRE(e->encode(p, posenc::matrix_view(wide.data(), rows, d)).ok());
  std::int64_t wrong = 0;
  for (std::size_t k = 0; k < bits.size(); ++k) {
    wrong += out[k].bits() != bits[k];
    wrong += !same_bits(wide[k], static_cast<double>(value_of_bits<T>(bits[k])));
  }
  CHECK(bits.size() > 60000);
  CHECK(wrong == 0);
}

TEMPLATE_TEST_CASE("learned: errors for each storage type leave the output untouched", "[learned]",
                   float, double, posenc::float16, posenc::bfloat16) {
  using T = TestType;
  const auto w = tie_table();
  auto e = learned::make({.rows = tie_rows, .hidden_size = tie_cols, .position_offset = tie_offset},
                         posenc::matrix_view(w.data(), tie_rows, tie_cols));
  REQUIRE(e.has_value());
  std::vector<T> y(3 * tie_cols, nearest<T>(42.0f));
  const auto sentinel = y;
  for (std::int64_t bad : {std::int64_t{10}, std::int64_t{-3}}) {
    const std::vector<std::int64_t> p = {0, 1, bad};  // rows 0 and 1 are valid, not written
    auto st = e->encode(p, posenc::matrix_view(y.data(), 3, tie_cols));
    CHECK(st.code() == posenc::errc::out_of_range);
    CHECK_THAT(st.message(), Catch::Contains("learned: position " + std::to_string(bad) +
                                             " is outside the table's range [-2, 10) (12 rows, position_offset 2)"));
    st = e->add_to(posenc::matrix_view(y.data(), 3, tie_cols), p);
    CHECK(st.code() == posenc::errc::out_of_range);
  }
  const std::vector<std::int64_t> ok = {0, 1, 2};
  auto st = e->encode(ok, posenc::matrix_view(y.data(), 3, 6));
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("learned: out has shape [3, 6], expected [3, 7]"));
  st = e->add_to(posenc::matrix_view(y.data(), 2, tie_cols), ok);
  CHECK(st.code() == posenc::errc::shape_mismatch);
  CHECK_THAT(st.message(), Catch::Contains("learned: x has shape [2, 7], expected [3, 7]"));
  CHECK(std::memcmp(y.data(), sentinel.data(), y.size() * sizeof(T)) == 0);
}

TEST_CASE("learned: real model configs give the checkpoint's table shape", "[learned][hf]") {
  using posenc::hf::json;
  auto from = [](const char* text) { return posenc::hf::learned_config_from(json::parse(text)); };
  // OPT: W has max_position_embeddings + 2 rows, offset 2.
  auto c = from(R"({"model_type": "opt", "max_position_embeddings": 2048, "hidden_size": 768,
                    "pad_token_id": 1})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 2050 && c->hidden_size == 768 && c->position_offset == 2));
  // RoBERTa / XLM-R: max_position_embeddings already counts pad_token_id + 1.
  c = from(R"({"model_type": "roberta", "max_position_embeddings": 514, "hidden_size": 768,
               "pad_token_id": 1})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 514 && c->position_offset == 2));
  c = from(R"({"model_type": "xlm-roberta", "max_position_embeddings": 64, "hidden_size": 256,
               "d_model": 64, "pad_token_id": 1})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 64 && c->hidden_size == 256 && c->position_offset == 2));
  // GPT-2: n_positions and n_embd; BERT: offset 0.
  c = from(R"({"model_type": "gpt2", "n_positions": 1024, "n_ctx": 1024, "n_embd": 768})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 1024 && c->hidden_size == 768 && c->position_offset == 0));
  c = from(R"({"model_type": "bert", "max_position_embeddings": 512, "hidden_size": 16,
               "pad_token_id": 0})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 512 && c->position_offset == 0));
  // An explicit position_offset (OPT-shaped table).
  c = from(R"({"encoding": "learned", "max_position_embeddings": 64, "hidden_size": 32,
               "position_offset": 2})");
  REQUIRE(c.has_value());
  CHECK((c->rows == 66 && c->position_offset == 2));
  // Missing keys name what is missing.
  c = from(R"({"model_type": "roberta", "max_position_embeddings": 514, "hidden_size": 8})");
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("pad_token_id"));
  // pad_token_id is a token id: [0, 2^31); INT64_MAX + 1 would overflow.
  for (const char* pad : {"-1", "2147483648", "9223372036854775807"}) {
    c = from((R"({"model_type": "roberta", "max_position_embeddings": 514, "hidden_size": 8, "pad_token_id": )" +
              std::string(pad) + "}").c_str());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code() == posenc::errc::invalid_config);
    CHECK_THAT(c.error().message(), Catch::Contains(std::string("pad_token_id must be in [0, 2^31), got ") + pad));
  }
  c = from(R"({"model_type": "camembert", "max_position_embeddings": 514, "hidden_size": 8,
               "pad_token_id": 2147483647})");
  REQUIRE(c.has_value());
  CHECK(c->position_offset == 2147483648);
  c = from(R"({"model_type": "gpt2", "n_embd": 8})");
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("n_positions"));
  c = from(R"({"encoding": "learned", "max_position_embeddings": 8, "hidden_size": 8,
               "position_offset": -1})");
  REQUIRE_FALSE(c.has_value());
}
