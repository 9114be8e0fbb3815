// posenc linear-attention: RoFormer eq. 19 over Q, K [tokens, heads, d] and V [tokens, heads, dv].
// The config is a rope config plus `feature_map` (elu1, the default, or relu); no epsilon is
// added to the denominator (eq. 19 as written; rotary/linear_attention.hpp says why).
#include <posenc/rotary/linear_attention.hpp>

#include "cli.hpp"

namespace posenc::cli {

status linear_attention_op(const args& a) {
  auto rcfg = hf::rope_config_from(a.config);
  if (!rcfg) return rcfg.error();
  auto map = hf::get_string(a.config, "feature_map");
  if (!map) return map.error();
  linear_attention_config cfg;
  cfg.rope = *rcfg;
  const std::string name = map->value_or("elu1");
  if (name == "elu1") {
    cfg.map = feature_map::elu1;
  } else if (name == "relu") {
    cfg.map = feature_map::relu;
  } else {
    return make_error(errc::invalid_config, "unknown feature_map '", name,
                      "' (expected elu1 or relu)");
  }
  auto q = read_floats(a.q, "q", 3);
  if (!q) return q.error();
  auto k = read_floats(a.k, "k", 3);
  if (!k) return k.error();
  auto v = read_floats(a.v, "v", 3);
  if (!v) return v.error();
  auto pos = read_positions(a.positions, "positions");
  if (!pos) return pos.error();
  if (q->shape != k->shape) {
    return make_error(errc::shape_mismatch, "--q has shape ", shape_string(q->shape),
                      " but --k has shape ", shape_string(k->shape));
  }
  if (v->shape[0] != q->shape[0] || v->shape[1] != q->shape[1]) {
    return make_error(errc::shape_mismatch, "--v has shape ", shape_string(v->shape),
                      ", expected [tokens = ", q->shape[0], ", heads = ", q->shape[1], ", dv]");
  }
  if (static_cast<std::int64_t>(pos->size()) != q->shape[0]) {
    return make_error(errc::shape_mismatch, "--positions has ", pos->size(),
                      " entries but --q has ", q->shape[0], " tokens");
  }
  if (q->shape[2] != cfg.rope.head_dim) {
    return make_error(errc::shape_mismatch, "--q has head dim ", q->shape[2],
                      " but the config gives ", cfg.rope.head_dim);
  }
  auto made = rope_linear_attention::make(cfg);
  if (!made) return made.error();
  // The rotation `posenc rope` applies to the same positions (dynamic, LongRoPE).
  auto enc = made->for_sequence_length(sequence_length(*pos));
  if (!enc) return enc.error();
  const std::int64_t t = q->shape[0], h = q->shape[1], d = q->shape[2], dv = v->shape[2];
  std::vector<std::int64_t> shape = {t, h, dv};
  std::vector<float> out(static_cast<std::size_t>(t * h * dv));
  if (t > 0 && h > 0 && dv > 0) {
    POSENC_TRY(enc->attend(heads_view<const float>(q->data.data(), t, h, d),
                           heads_view<const float>(k->data.data(), t, h, d),
                           heads_view<const float>(v->data.data(), t, h, dv), *pos,
                           heads_view(out.data(), t, h, dv), a.causal));
  }
  return write_floats(a.out, out, shape);
}

}  // namespace posenc::cli
