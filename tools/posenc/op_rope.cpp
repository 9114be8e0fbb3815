// posenc rope: X [tokens, heads, head_dim] rotated at each token's position.
#include <posenc/rotary/rope.hpp>

#include "cli.hpp"

namespace posenc::cli {

status rope_op(const args& a) {
  auto cfg = hf::rope_config_from(a.config);
  if (!cfg) return cfg.error();
  auto in = read_rotary_input(a, cfg->head_dim);
  if (!in) return in.error();
  const auto& pos = in->positions;
  auto& x = in->x;
  auto made = rope::make(*cfg);
  if (!made) return made.error();
  auto enc = made->for_sequence_length(sequence_length(pos));
  if (!enc) return enc.error();
  POSENC_TRY(enc->rotate(heads_view(x.data.data(), x.shape[0], x.shape[1], x.shape[2]), pos));
  return write_floats(a.out, x.data, x.shape);
}

}  // namespace posenc::cli
