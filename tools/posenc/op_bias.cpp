// posenc relpos / bias for the bias encoders: T5 bucket ids R [Q, K] and biases B [heads, Q, K]
// from W [num_buckets, heads]; ALiBi biases B [heads, Q, K]. Query i sits at O + i, key j at j.
#include <array>
#include <posenc/relative/alibi.hpp>
#include <posenc/relative/t5.hpp>

#include "cli.hpp"

namespace posenc::cli {
namespace {

// Writes B [heads, Q, K] = the bias of a BiasEncoder for --q-len, --k-len, --query-offset.
template <BiasEncoder E>
status write_bias(const args& a, const E& enc, std::int64_t heads) {
  const std::array<std::int64_t, 3> shape{heads, a.q_len, a.k_len};
  POSENC_TRY(check_output_size(shape));
  std::vector<float> b(static_cast<std::size_t>(shape[0] * shape[1] * shape[2]));
  POSENC_TRY(enc.bias(a.q_len, a.k_len, a.query_offset,
                      tensor_view(b.data(), shape[0], shape[1], shape[2])));
  return write_floats(a.out, b, shape);
}

}  // namespace

status relpos_t5_op(const args& a) {
  auto cfg = hf::t5_config_from(a.config);
  if (!cfg) return cfg.error();
  auto buckets = t5_buckets::make(*cfg);
  if (!buckets) return buckets.error();
  const std::array<std::int64_t, 2> shape{a.q_len, a.k_len};
  POSENC_TRY(check_output_size(shape));
  std::vector<std::int64_t> r(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(buckets->relative_positions(a.q_len, a.k_len, a.query_offset,
                                         matrix_view(r.data(), a.q_len, a.k_len)));
  return write_ints(a.out, r, shape);
}

status bias_t5_op(const args& a) {
  auto cfg = hf::t5_config_from(a.config);
  if (!cfg) return cfg.error();
  // The bucket table has a column per head, so the bias (unlike relpos) needs the head count.
  auto heads = hf::require_int_any(a.config, hf::heads_keys, "t5 bias");
  if (!heads) return heads.error();
  auto w = read_floats(a.weights, "weights", 2);
  if (!w) return w.error();
  if (w->shape[0] != cfg->num_buckets || w->shape[1] != cfg->num_heads) {
    return make_error(errc::shape_mismatch, "--weights has shape ", shape_string(w->shape),
                      " but the config gives (num_buckets, heads) = (", cfg->num_buckets, ", ",
                      cfg->num_heads, ")");
  }
  auto enc = t5::make(*cfg, matrix_view<const float>(w->data.data(), w->shape[0], w->shape[1]));
  if (!enc) return enc.error();
  return write_bias(a, *enc, cfg->num_heads);
}

status bias_alibi_op(const args& a) {
  auto cfg = hf::alibi_config_from(a.config);
  if (!cfg) return cfg.error();
  auto enc = alibi::make(*cfg);
  if (!enc) return enc.error();
  return write_bias(a, *enc, cfg->num_heads);
}

}  // namespace posenc::cli
