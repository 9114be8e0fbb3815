// posenc relpos for deberta: R [Q, K] int64, (O + i) - j after log bucketing (v2/v3 with
// position_buckets > 0), as build_relative_position returns it.
#include <array>
#include <posenc/relative/deberta.hpp>

#include "cli.hpp"

namespace posenc::cli {

status relpos_deberta_op(const args& a) {
  auto cfg = hf::deberta_config_from(a.config);
  if (!cfg) return cfg.error();
  const std::array<std::int64_t, 2> shape{a.q_len, a.k_len};
  POSENC_TRY(check_output_size(shape));
  std::vector<std::int64_t> r(static_cast<std::size_t>(shape[0] * shape[1]));
  POSENC_TRY(deberta_relative_positions(*cfg, a.q_len, a.k_len, a.query_offset,
                                        matrix_view(r.data(), a.q_len, a.k_len)));
  return write_ints(a.out, r, shape);
}

}  // namespace posenc::cli
