// posenc table for xlnet: the relative sinusoid Y [K + Q, d_model] (bi: distances K down to
// -Q + 1) or [K + 1, d_model] (uni: K down to 0), all sines then all cosines, in Hugging Face
// XLNetModel.relative_positional_encoding's order.
#include <array>
#include <string_view>
#include <utility>
#include <posenc/relative/xlnet.hpp>

#include "cli.hpp"

namespace posenc::cli {

status table_xlnet_op(const args& a) {
  auto cfg = hf::xlnet_config_from(a.config);
  if (!cfg) return cfg.error();
  // Both lengths are checked before K + Q is formed; -1 means the flag was not given.
  for (const auto& [flag, len] : {std::pair<std::string_view, std::int64_t>{"--q-len", a.q_len},
                                  {"--k-len", a.k_len}}) {
    if (len == -1) return make_error(errc::invalid_argument, flag, " is required");
    if (len < 0 || len > detail::max_bias_extent) {
      return make_error(errc::invalid_argument, "xlnet: ", flag, " must be in [0, 2^51], got ", len);
    }
  }
  const std::array<std::int64_t, 2> shape{xlnet_table_rows(*cfg, a.q_len, a.k_len), cfg->d_model};
  POSENC_TRY(check_output_size(shape));
  std::vector<float> y(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(xlnet_relative_table(*cfg, a.q_len, a.k_len, matrix_view(y.data(), shape[0], shape[1])));
  return write_floats(a.out, y, shape);
}

}  // namespace posenc::cli
