// Thread safety (DESIGN.md "Threads and memory"): an encoder is immutable after construction,
// so one object serves many threads at once. Each test runs the same const calls from several
// threads on their own buffers — the rope cos/sin table and the exact on-the-fly path, fused
// q+k, shift, T5 and ALiBi biases, sinusoidal and learned tables — and checks every thread got
// the single-threaded result bit for bit. Under the tsan preset (cmake --workflow --preset
// tsan) ThreadSanitizer also checks that no call writes shared state, including the
// first-call kernel dispatch, which all threads race to initialise here.
#include <catch2/catch.hpp>
#include <cstdint>
#include <posenc/posenc.hpp>
#include <thread>
#include <vector>

namespace {

constexpr int threads = 4;

// Runs body(t) on `threads` threads at once and joins them.
template <class Body>
void run_threads(Body&& body) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&body, t] { body(t); });
  for (auto& th : pool) th.join();
}

std::vector<float> ramp(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(i % 97) - 1.0f;
  return v;
}

}  // namespace

TEST_CASE("one rope encoder rotates from several threads at once", "[threads]") {
  const std::int64_t tokens = 64, q_heads = 4, k_heads = 2, d = 64;
  // max_positions 48: tokens below use the table, tokens above the exact on-the-fly path.
  auto made = posenc::rope::make({.head_dim = d, .theta = 500000.0,
                                  .scaling = posenc::yarn_scaling{.factor = 4.0,
                                             .original_max_position_embeddings = 32},
                                  .max_positions = 48});
  REQUIRE(made);
  const posenc::rope& rope = *made;
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = t * 3 % 101;  // repeats, some past 48
  const auto q0 = ramp(static_cast<std::size_t>(tokens * q_heads * d), 0.01f);
  const auto k0 = ramp(static_cast<std::size_t>(tokens * k_heads * d), 0.02f);
  auto q_ref = q0, k_ref = k0, s_ref = k0;
  REQUIRE(rope.rotate(posenc::heads_view(q_ref.data(), tokens, q_heads, d),
                      posenc::heads_view(k_ref.data(), tokens, k_heads, d), pos).ok());
  REQUIRE(rope.shift(posenc::heads_view(s_ref.data(), tokens, k_heads, d), std::int64_t{70}).ok());

  std::vector<std::vector<float>> q(threads, q0), k(threads, k0), s(threads, k0);
  std::vector<int> ok(threads, 0);
  run_threads([&](int t) {
    bool good = true;
    for (int rep = 0; rep < 20; ++rep) {
      q[t] = q0, k[t] = k0, s[t] = k0;
      good = good && rope.rotate(posenc::heads_view(q[t].data(), tokens, q_heads, d),
                                 posenc::heads_view(k[t].data(), tokens, k_heads, d), pos).ok();
      good = good && rope.shift(posenc::heads_view(s[t].data(), tokens, k_heads, d),
                                std::int64_t{70}).ok();
    }
    ok[t] = good;
  });
  for (int t = 0; t < threads; ++t) {
    CHECK(ok[t]);
    CHECK(q[t] == q_ref);
    CHECK(k[t] == k_ref);
    CHECK(s[t] == s_ref);
  }
}

TEST_CASE("one T5 and one ALiBi encoder fill biases from several threads at once", "[threads]") {
  const std::int64_t heads = 4, buckets = 32, q_len = 24, k_len = 40;
  const auto table = ramp(static_cast<std::size_t>(buckets * heads), 0.1f);
  auto t5 = posenc::t5::make({.num_buckets = buckets, .max_distance = 128, .num_heads = heads},
                             posenc::matrix_view(table.data(), buckets, heads));
  auto alibi = posenc::alibi::make({.num_heads = heads});
  REQUIRE(t5);
  REQUIRE(alibi);
  const std::size_t n = static_cast<std::size_t>(heads * q_len * k_len);
  std::vector<float> t5_ref(n), alibi_ref(n);
  REQUIRE(t5->bias(q_len, k_len, 16, posenc::tensor_view(t5_ref.data(), heads, q_len, k_len)).ok());
  REQUIRE(alibi->bias(q_len, k_len, 16, posenc::tensor_view(alibi_ref.data(), heads, q_len, k_len)).ok());

  std::vector<std::vector<float>> tb(threads, std::vector<float>(n)), ab = tb;
  std::vector<int> ok(threads, 0);
  run_threads([&](int t) {
    bool good = true;
    for (int rep = 0; rep < 20; ++rep) {
      good = good && t5->bias(q_len, k_len, 16, posenc::tensor_view(tb[t].data(), heads, q_len, k_len)).ok();
      good = good && alibi->bias(q_len, k_len, 16, posenc::tensor_view(ab[t].data(), heads, q_len, k_len)).ok();
    }
    ok[t] = good;
  });
  for (int t = 0; t < threads; ++t) {
    CHECK(ok[t]);
    CHECK(tb[t] == t5_ref);
    CHECK(ab[t] == alibi_ref);
  }
}

TEST_CASE("one sinusoidal and one learned encoder fill tables from several threads at once",
          "[threads]") {
  const std::int64_t d = 32, rows = 16, tokens = 12;
  auto sin_enc = posenc::sinusoidal::make({.d_model = d});
  const auto w = ramp(static_cast<std::size_t>(rows * d), 0.05f);
  auto learned = posenc::learned::make({.rows = rows, .hidden_size = d, .position_offset = 2},
                                       posenc::matrix_view(w.data(), rows, d));
  REQUIRE(sin_enc);
  REQUIRE(learned);
  std::vector<std::int64_t> pos(tokens);
  for (std::int64_t t = 0; t < tokens; ++t) pos[t] = t - 2;  // learned covers [-2, 14)
  const std::size_t n = static_cast<std::size_t>(tokens * d);
  std::vector<float> s_ref(n), l_ref(n);
  REQUIRE(sin_enc->encode(pos, posenc::matrix_view(s_ref.data(), tokens, d)).ok());
  REQUIRE(learned->encode(pos, posenc::matrix_view(l_ref.data(), tokens, d)).ok());

  std::vector<std::vector<float>> sv(threads, std::vector<float>(n)), lv = sv;
  std::vector<int> ok(threads, 0);
  run_threads([&](int t) {
    bool good = true;
    for (int rep = 0; rep < 20; ++rep) {
      good = good && sin_enc->encode(pos, posenc::matrix_view(sv[t].data(), tokens, d)).ok();
      good = good && learned->encode(pos, posenc::matrix_view(lv[t].data(), tokens, d)).ok();
    }
    ok[t] = good;
  });
  for (int t = 0; t < threads; ++t) {
    CHECK(ok[t]);
    CHECK(sv[t] == s_ref);
    CHECK(lv[t] == l_ref);
  }
}
