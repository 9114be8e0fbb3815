// posenc rope: X [tokens, heads, head_dim] rotated at each token's position.
#include <algorithm>
#include <posenc/rotary/rope.hpp>

#include "cli.hpp"

namespace posenc::cli {

status rope_op(const args& a) {
  auto cfg = hf::rope_config_from(a.config);
  if (!cfg) return cfg.error();
  auto x = read_floats(a.in, "in", 3);
  if (!x) return x.error();
  auto pos = read_positions(a.positions, "positions");
  if (!pos) return pos.error();
  if (static_cast<std::int64_t>(pos->size()) != x->shape[0]) {
    return make_error(errc::shape_mismatch, "--positions has ", pos->size(),
                      " entries but --in has ", x->shape[0], " tokens");
  }
  if (x->shape[2] != cfg->head_dim) {
    return make_error(errc::shape_mismatch, "--in has head_dim ", x->shape[2],
                      " but the config gives ", cfg->head_dim);
  }
  // Hugging Face derives dynamic/longrope's sequence length from the largest position.
  // (Positions past 2^53 are rejected by rotate(); clamp so the +1 cannot overflow.)
  std::int64_t seq_len = 0;
  if (!pos->empty()) {
    const std::int64_t last = *std::max_element(pos->begin(), pos->end());
    seq_len = std::max<std::int64_t>(0, std::min(last, INT64_MAX - 1) + 1);
  }
  auto made = rope::make(*cfg);
  if (!made) return made.error();
  auto enc = made->for_sequence_length(seq_len);
  if (!enc) return enc.error();
  POSENC_TRY(enc->rotate(heads_view(x->data.data(), x->shape[0], x->shape[1], x->shape[2]), *pos));
  return write_floats(a.out, x->data, x->shape);
}

}  // namespace posenc::cli
