// Tests for absolute/learned.hpp: lookups with offsets (GPT-2/BERT 0, OPT 2, RoBERTa
// pad_token_id + 1), borrowed and owned tables, add_to, the config parser for real model
// configs, and every error path (message names the position and range; output untouched).
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <posenc/absolute/learned.hpp>
#include <posenc/io/hf_config.hpp>
#include <string>
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
