// posenc rope with "encoding": "fope": X [tokens, heads, head_dim] through FoPE at each token's
// position, with the coefficients from --weights W.npy: [2, heads, M, N] (per head) or
// [2, M, N] (shared), sin coefficients first, then cos.
#include <posenc/rotary/fope.hpp>

#include "cli.hpp"

namespace posenc::cli {

status fope_op(const args& a) {
  auto cfg = hf::fope_config_from(a.config);
  if (!cfg) return cfg.error();
  if (a.weights.empty()) {
    return make_error(errc::invalid_argument,
                      "encoding fope needs --weights W.npy ([2, heads, M, N] or [2, M, N])");
  }
  auto arr = npy::load(a.weights);
  if (!arr) return arr.error();
  const auto& ws = arr->shape;
  if ((ws.size() != 3 && ws.size() != 4) || ws[0] != 2) {
    return make_error(errc::shape_mismatch, "--weights: expected [2, heads, M, N] or [2, M, N], got shape ",
                      shape_string(ws));
  }
  auto w = npy::to_float(*arr, "--weights");
  if (!w) return w.error();
  const bool per_head = ws.size() == 4;
  if (a.config.contains("fourier_separate_head") && cfg->separate_heads != per_head) {
    return make_error(errc::shape_mismatch, "--weights has shape ", shape_string(ws),
                      " but the config says fourier_separate_head = ", cfg->separate_heads ? "true" : "false");
  }
  cfg->separate_heads = per_head;
  fope_coefficients coef;
  coef.heads = per_head ? ws[1] : 1;
  coef.inputs = ws[ws.size() - 2];
  coef.outputs = ws[ws.size() - 1];
  if (per_head) cfg->heads = coef.heads;
  const auto half = w->size() / 2;
  coef.sin.assign(w->begin(), w->begin() + static_cast<std::ptrdiff_t>(half));
  coef.cos.assign(w->begin() + static_cast<std::ptrdiff_t>(half), w->end());

  auto in = read_rotary_input(a, cfg->head_dim);
  if (!in) return in.error();
  auto& x = in->x;
  auto enc = fope::make(*cfg, std::move(coef));
  if (!enc) return enc.error();
  POSENC_TRY(enc->rotate(heads_view(x.data.data(), x.shape[0], x.shape[1], x.shape[2]), in->positions));
  return write_floats(a.out, x.data, x.shape);
}

}  // namespace posenc::cli
