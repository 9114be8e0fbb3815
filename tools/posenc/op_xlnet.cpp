// posenc table for xlnet: the relative sinusoid Y [K + Q, d_model] (bi: distances K down to
// -Q + 1) or [K + 1, d_model] (uni: K down to 0), all sines then all cosines, in Hugging Face
// XLNetModel.relative_positional_encoding's order.
#include <array>
#include <posenc/relative/xlnet.hpp>

#include "cli.hpp"

namespace posenc::cli {

status table_xlnet_op(const args& a) {
  auto cfg = hf::xlnet_config_from(a.config);
  if (!cfg) return cfg.error();
  if (a.q_len < 0 || a.k_len < 0) {
    return make_error(errc::invalid_argument, "xlnet needs --q-len and --k-len >= 0, got ",
                      a.q_len, " and ", a.k_len);
  }
  if (!a.positions.empty()) {
    return make_error(errc::invalid_argument, "xlnet takes --q-len and --k-len, not --positions '",
                      a.positions, "'");
  }
  const std::array<std::int64_t, 2> shape{xlnet_table_rows(*cfg, a.q_len, a.k_len), cfg->d_model};
  POSENC_TRY(check_output_size(shape));
  std::vector<float> y(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(xlnet_relative_table(*cfg, a.q_len, a.k_len, matrix_view(y.data(), shape[0], shape[1])));
  return write_floats(a.out, y, shape);
}

}  // namespace posenc::cli
