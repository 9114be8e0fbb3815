// libFuzzer target: config → encoder construction → a small call. The input is a JSON config;
// every *_config_from that accepts it feeds its encoder's make() (with tables sized from the
// config when they are small, else a tiny honest view that make() must reject), then one call
// on a tiny buffer at the positions and offsets below, including INT64 extremes. The keys
// "fuzz_position", "fuzz_offset", "fuzz_q_len" and "fuzz_k_len" let the fuzzer pick more.
// Properties: no crash, UB, leak or huge allocation; failures are statuses with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <posenc/io/hf_config.hpp>
#include <posenc/posenc.hpp>
#include <string_view>
#include <vector>

namespace hf = posenc::hf;
using posenc::matrix_view;
using posenc::tensor_view;

namespace {

// Buffers the harness allocates stay below this many floats.
constexpr std::int64_t small = std::int64_t{1} << 14;

void expect_message(const posenc::status& st) {
  if (!st.ok() && st.message().empty()) {
    std::fprintf(stderr, "fuzz_encoders: error without a message\n");
    std::abort();
  }
}
template <class R>
void expect_message(const R& r) {
  if (!r) expect_message(r.error());
}

bool fits(std::int64_t a, std::int64_t b, std::int64_t c = 1) {
  if (a < 0 || b < 0 || c < 0) return false;
  std::int64_t ab = 0, abc = 0;
  return !__builtin_mul_overflow(a, b, &ab) && !__builtin_mul_overflow(ab, c, &abc) && abc <= small;
}

struct probe {
  std::vector<std::int64_t> positions;  // one call per entry
  std::int64_t offset = 0, q_len = 3, k_len = 4;
};

void run_rope(const hf::json& j, const probe& pr) {
  auto cfg = hf::rope_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  cfg->max_positions = 8;  // the table must cover some positions and not others
  auto enc = posenc::rope::make(*cfg);
  expect_message(enc);
  if (!enc || !fits(2, cfg->head_dim)) return;
  for (std::int64_t p : pr.positions) {
    auto seq = enc->for_sequence_length(p < 0 ? 0 : p);
    expect_message(seq);
    std::vector<float> x(static_cast<std::size_t>(2 * cfg->head_dim), 1.0f);
    const std::int64_t pos[1] = {p};
    expect_message(enc->rotate(posenc::heads_view(x.data(), 1, 1, cfg->head_dim), pos));
    expect_message(enc->rotate(posenc::heads_view(x.data(), 1, 1, cfg->head_dim),
                               posenc::heads_view(x.data() + cfg->head_dim, 1, 1, cfg->head_dim), pos));
    expect_message(enc->shift(posenc::heads_view(x.data(), 1, 1, cfg->head_dim), p));
    posenc::linear_attention_config la;
    la.rope = *cfg;
    expect_message(posenc::rope_linear_attention::make(la));
  }
}

void run_fope(const hf::json& j, const probe& pr) {
  auto cfg = hf::fope_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  auto basis = posenc::fope::basis(*cfg);
  expect_message(basis);
  if (!basis) return;
  const std::int64_t heads = cfg->separate_heads ? cfg->heads : 1;
  const auto m = static_cast<std::int64_t>(basis->frequencies.size());
  if (!fits(heads, m, basis->outputs) || !fits(heads, cfg->head_dim, 4)) {
    // Oversized: make() must refuse small coefficients, and neither call may allocate much.
    posenc::fope_coefficients tiny{.heads = 1, .inputs = 1, .outputs = 1, .sin = {1.0f}, .cos = {1.0f}};
    expect_message(posenc::fope::make(*cfg, std::move(tiny)));
    if (heads > (std::int64_t{1} << 16)) expect_message(posenc::fope::init_coefficients(*cfg, 1));
    return;
  }
  cfg->max_positions = 4;
  auto coef = posenc::fope::init_coefficients(*cfg, 1);
  expect_message(coef);
  if (!coef) return;
  auto enc = posenc::fope::make(*cfg, std::move(*coef));
  expect_message(enc);
  if (!enc) return;
  std::vector<float> x(static_cast<std::size_t>(heads * cfg->head_dim), 0.5f);
  for (std::int64_t p : pr.positions) {
    const std::int64_t pos[1] = {p};
    expect_message(enc->rotate(posenc::heads_view(x.data(), 1, heads, cfg->head_dim), pos));
  }
}

void run_sinusoidal(const hf::json& j, const probe& pr) {
  auto cfg = hf::sinusoidal_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  auto enc = posenc::sinusoidal::make(*cfg);
  expect_message(enc);
  if (!enc || !fits(1, cfg->d_model)) return;
  std::vector<float> y(static_cast<std::size_t>(cfg->d_model));
  for (std::int64_t p : pr.positions) {
    const std::int64_t pos[1] = {p};
    expect_message(enc->encode(pos, matrix_view(y.data(), 1, cfg->d_model)));
    expect_message(enc->add_to(matrix_view(y.data(), 1, cfg->d_model), pos));
  }
}

void run_learned(const hf::json& j, const probe& pr) {
  auto cfg = hf::learned_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  std::vector<float> w(16, 0.25f);
  // A table of the configured shape when small, else a 4x4 one that make() must refuse.
  const bool fit = fits(cfg->rows, cfg->hidden_size);
  if (fit) w.assign(static_cast<std::size_t>(cfg->rows * cfg->hidden_size), 0.25f);
  auto enc = posenc::learned::make(*cfg, matrix_view<const float>(w.data(), fit ? cfg->rows : 4,
                                                                  fit ? cfg->hidden_size : 4));
  expect_message(enc);
  if (!enc) return;
  std::vector<float> y(static_cast<std::size_t>(cfg->hidden_size));
  for (std::int64_t p : pr.positions) {
    const std::int64_t pos[1] = {p};
    expect_message(enc->encode(pos, matrix_view(y.data(), 1, cfg->hidden_size)));
  }
}

void run_t5(const hf::json& j, const probe& pr) {
  auto cfg = hf::t5_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  auto buckets = posenc::t5_buckets::make(*cfg);
  expect_message(buckets);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(pr.q_len * pr.k_len));
  if (buckets) {
    expect_message(buckets->relative_positions(pr.q_len, pr.k_len, pr.offset,
                                               matrix_view(ids.data(), pr.q_len, pr.k_len)));
    for (std::int64_t p : pr.positions) (void)buckets->bucket(p);
  }
  const bool fit = fits(cfg->num_buckets, cfg->num_heads);
  std::vector<float> w(fit ? static_cast<std::size_t>(cfg->num_buckets * cfg->num_heads) : 4, 1.0f);
  auto enc = posenc::t5::make(*cfg, matrix_view<const float>(w.data(), fit ? cfg->num_buckets : 2,
                                                             fit ? cfg->num_heads : 2));
  expect_message(enc);
  if (!enc || !fits(cfg->num_heads, pr.q_len, pr.k_len)) return;
  std::vector<float> b(static_cast<std::size_t>(cfg->num_heads * pr.q_len * pr.k_len));
  expect_message(enc->bias(pr.q_len, pr.k_len, pr.offset,
                           tensor_view(b.data(), cfg->num_heads, pr.q_len, pr.k_len)));
  // Absurd lengths with a small buffer: refused, nothing written.
  expect_message(enc->bias(std::int64_t{1} << 40, std::int64_t{1} << 40, pr.offset,
                           tensor_view(b.data(), cfg->num_heads, pr.q_len, pr.k_len)));
}

void run_alibi(const hf::json& j, const probe& pr) {
  auto cfg = hf::alibi_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  auto enc = posenc::alibi::make(*cfg);
  expect_message(enc);
  if (!enc || !fits(cfg->num_heads, pr.q_len, pr.k_len)) return;
  std::vector<float> b(static_cast<std::size_t>(cfg->num_heads * pr.q_len * pr.k_len));
  for (std::int64_t o : {pr.offset, pr.positions.back()}) {
    expect_message(enc->bias(pr.q_len, pr.k_len, o,
                             tensor_view(b.data(), cfg->num_heads, pr.q_len, pr.k_len)));
  }
}

void run_shaw(const hf::json& j, const probe& pr) {
  auto cfg = hf::shaw_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(pr.q_len * pr.k_len));
  expect_message(posenc::shaw_relative_ids(*cfg, pr.q_len, pr.k_len, pr.offset,
                                           matrix_view(ids.data(), pr.q_len, pr.k_len)));
  const std::int64_t rows = 2 * cfg->max_relative_position + 1;
  if (!fits(rows, cfg->head_dim, 2) || !fits(pr.q_len + pr.k_len, cfg->head_dim)) {
    const float tiny[4] = {};
    expect_message(posenc::shaw::make(*cfg, matrix_view(tiny, 2, 2), matrix_view(tiny, 2, 2)));
    return;
  }
  std::vector<float> wk(static_cast<std::size_t>(rows * cfg->head_dim), 0.5f), wv = wk;
  auto enc = posenc::shaw::make(*cfg, matrix_view<const float>(wk.data(), rows, cfg->head_dim),
                                matrix_view<const float>(wv.data(), rows, cfg->head_dim));
  expect_message(enc);
  if (!enc) return;
  std::vector<float> q(static_cast<std::size_t>(pr.q_len * cfg->head_dim), 1.0f);
  std::vector<float> k(static_cast<std::size_t>(pr.k_len * cfg->head_dim), 1.0f);
  std::vector<float> s(static_cast<std::size_t>(pr.q_len * pr.k_len));
  expect_message(enc->add_scores(tensor_view<const float>(q.data(), pr.q_len, 1, cfg->head_dim),
                                 tensor_view<const float>(k.data(), pr.k_len, 1, cfg->head_dim),
                                 pr.offset, tensor_view(s.data(), 1, pr.q_len, pr.k_len)));
}

void run_deberta(const hf::json& j, const probe& pr) {
  auto cfg = hf::deberta_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(pr.q_len * pr.k_len));
  expect_message(posenc::deberta_relative_positions(*cfg, pr.q_len, pr.k_len, pr.offset,
                                                    matrix_view(ids.data(), pr.q_len, pr.k_len)));
  if (cfg->heads <= 0 || cfg->head_dim <= 0) return;
  const std::int64_t rows = posenc::deberta_table_rows(*cfg), hidden = 4;
  if (!fits(cfg->heads, cfg->head_dim, hidden) || !fits(rows, hidden) ||
      !fits(rows, cfg->heads, cfg->head_dim)) {
    const float tiny[4] = {};
    posenc::deberta_weights w{matrix_view(tiny, 2, 2), matrix_view(tiny, 2, 2), {},
                              matrix_view(tiny, 2, 2), {}};
    expect_message(posenc::deberta::make(*cfg, w));
    return;
  }
  const std::int64_t width = cfg->heads * cfg->head_dim;
  std::vector<float> p(static_cast<std::size_t>(rows * hidden), 0.1f);
  std::vector<float> proj(static_cast<std::size_t>(width * hidden), 0.1f);
  posenc::deberta_weights w{matrix_view<const float>(p.data(), rows, hidden),
                            matrix_view<const float>(proj.data(), width, hidden), {},
                            matrix_view<const float>(proj.data(), width, hidden), {}};
  auto enc = posenc::deberta::make(*cfg, w);
  expect_message(enc);
}

void run_xlnet(const hf::json& j, const probe& pr) {
  auto cfg = hf::xlnet_config_from(j);
  expect_message(cfg);
  if (!cfg) return;
  const std::int64_t rows = posenc::xlnet_table_rows(*cfg, pr.q_len, pr.k_len);
  if (fits(rows, cfg->d_model)) {
    std::vector<float> t(static_cast<std::size_t>(rows * cfg->d_model));
    expect_message(posenc::xlnet_relative_table(*cfg, pr.q_len, pr.k_len,
                                                matrix_view(t.data(), rows, cfg->d_model)));
  }
  cfg->max_distance = 8;
  if (!fits(cfg->heads, cfg->head_dim, 1) || !fits(cfg->d_model, cfg->heads, cfg->head_dim)) {
    // Oversized heads: make() must refuse the tiny weights without allocating.
    std::vector<float> tiny(4);
    posenc::xlnet_weights w{matrix_view<const float>(tiny.data(), 2, 2),
                            matrix_view<const float>(tiny.data(), 2, 2),
                            matrix_view<const float>(tiny.data(), 2, 2)};
    expect_message(posenc::xlnet::make(*cfg, w));
    return;
  }
  const std::int64_t width = cfg->heads * cfg->head_dim;
  std::vector<float> u(static_cast<std::size_t>(width), 0.1f), r(static_cast<std::size_t>(cfg->d_model * width), 0.1f);
  posenc::xlnet_weights w{matrix_view<const float>(u.data(), cfg->heads, cfg->head_dim),
                          matrix_view<const float>(u.data(), cfg->heads, cfg->head_dim),
                          matrix_view<const float>(r.data(), cfg->d_model, width)};
  auto enc = posenc::xlnet::make(*cfg, w);
  expect_message(enc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = hf::parse(text, "fuzz.json");
  if (!j) return 0;
  probe pr;
  pr.positions = {0, 1, 7, 8, -1, (std::int64_t{1} << 53) - 1, std::int64_t{1} << 53,
                  std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()};
  if (auto p = hf::get_int(*j, "fuzz_position"); p && *p) pr.positions.push_back(**p);
  if (auto o = hf::get_int(*j, "fuzz_offset"); o && *o) pr.offset = **o;
  if (auto q = hf::get_int(*j, "fuzz_q_len"); q && *q && **q >= 0 && **q <= 16) pr.q_len = **q;
  if (auto k = hf::get_int(*j, "fuzz_k_len"); k && *k && **k >= 0 && **k <= 16) pr.k_len = **k;
  run_rope(*j, pr);
  run_fope(*j, pr);
  run_sinusoidal(*j, pr);
  run_learned(*j, pr);
  run_t5(*j, pr);
  run_alibi(*j, pr);
  run_shaw(*j, pr);
  run_deberta(*j, pr);
  run_xlnet(*j, pr);
  return 0;
}
