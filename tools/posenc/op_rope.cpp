// posenc rope: X [tokens, heads, head_dim] rotated at each token's position.
#include <algorithm>
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
  // Hugging Face derives dynamic/longrope's sequence length from the largest position.
  // (Positions past 2^53 are rejected by rotate(); clamp so the +1 cannot overflow.)
  std::int64_t seq_len = 0;
  if (!pos.empty()) {
    const std::int64_t last = *std::max_element(pos.begin(), pos.end());
    seq_len = std::max<std::int64_t>(0, std::min(last, INT64_MAX - 1) + 1);
  }
  auto made = rope::make(*cfg);
  if (!made) return made.error();
  auto enc = made->for_sequence_length(seq_len);
  if (!enc) return enc.error();
  POSENC_TRY(enc->rotate(heads_view(x.data.data(), x.shape[0], x.shape[1], x.shape[2]), pos));
  return write_floats(a.out, x.data, x.shape);
}

}  // namespace posenc::cli
