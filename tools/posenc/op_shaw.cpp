// posenc relpos for shaw: R [Q, K] int64, clip(j - (O + i), -k, k) + k (tensor2tensor ids).
#include <array>
#include <posenc/relative/shaw.hpp>

#include "cli.hpp"

namespace posenc::cli {

status relpos_shaw_op(const args& a) {
  auto cfg = hf::shaw_config_from(a.config);
  if (!cfg) return cfg.error();
  const std::array<std::int64_t, 2> shape{a.q_len, a.k_len};
  POSENC_TRY(check_output_size(shape));
  std::vector<std::int64_t> r(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(shaw_relative_ids(*cfg, a.q_len, a.k_len, a.query_offset,
                               matrix_view(r.data(), a.q_len, a.k_len)));
  return write_ints(a.out, r, shape);
}

}  // namespace posenc::cli
