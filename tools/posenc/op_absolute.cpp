// posenc table for absolute encodings: Y [tokens, d] holds the encoding of each position
// (sinusoidal from the config; learned from W [rows, hidden], Y[t] = W[P[t] + offset]).
#include <array>
#include <posenc/absolute/learned.hpp>
#include <posenc/absolute/sinusoidal.hpp>

#include "cli.hpp"

namespace posenc::cli {

status table_sinusoidal_op(const args& a) {
  auto cfg = hf::sinusoidal_config_from(a.config);
  if (!cfg) return cfg.error();
  auto enc = sinusoidal::make(*cfg);
  if (!enc) return enc.error();
  auto pos = read_positions(a.positions, "positions");
  if (!pos) return pos.error();
  const std::array<std::int64_t, 2> shape{static_cast<std::int64_t>(pos->size()), enc->width()};
  POSENC_TRY(check_output_size(shape));
  std::vector<float> y(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(enc->encode(*pos, matrix_view(y.data(), shape[0], shape[1])));
  return write_floats(a.out, y, shape);
}

status table_learned_op(const args& a) {
  auto cfg = hf::learned_config_from(a.config);
  if (!cfg) return cfg.error();
  auto w = read_floats(a.weights, "weights", 2);
  if (!w) return w.error();
  if (w->shape[0] != cfg->rows || w->shape[1] != cfg->hidden_size) {
    return make_error(errc::shape_mismatch, "--weights has shape ", shape_string(w->shape),
                      " but the config gives a table of (rows, hidden size) = (", cfg->rows, ", ",
                      cfg->hidden_size, "), position_offset ", cfg->position_offset);
  }
  auto pos = read_positions(a.positions, "positions");
  if (!pos) return pos.error();
  auto enc = learned::make(*cfg, matrix_view<const float>(w->data.data(), w->shape[0], w->shape[1]));
  if (!enc) return enc.error();
  const std::array<std::int64_t, 2> shape{static_cast<std::int64_t>(pos->size()), enc->width()};
  POSENC_TRY(check_output_size(shape));
  std::vector<float> y(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(enc->encode(*pos, matrix_view(y.data(), shape[0], shape[1])));
  return write_floats(a.out, y, shape);
}

}  // namespace posenc::cli
