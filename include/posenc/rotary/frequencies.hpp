// RoPE inverse-frequency schedules and attention factors, in double.
//
//   default   w_k = theta^(-2k/r), k = 0 .. r/2-1 (r = rotary dim)          RoFormer, arXiv 2104.09864
//   linear    w_k / factor                                                  position interpolation, 2306.15595
//   dynamic   theta' = theta * (s*L/L_max - (s-1))^(r/(r-2)), L = max(seq_len, L_max)   dynamic NTK
//   yarn      ramp between w_k and w_k/s over the correction range; factor 0.1 ln s + 1   2309.00071
//   longrope  w_k / lambda_k, lambda = long_factor when seq_len > L_orig    2402.13753
//   llama3    w_k, w_k/s, or a smooth blend by wavelength band              Llama 3.1
//
// Matches transformers' modeling_rope_utils.py (the _compute_*_parameters functions, v5
// behaviour: yarn/longrope keep an explicit factor; yarn has `truncate`) in exact arithmetic;
// Hugging Face rounds w_k to float32, we keep double (spec/encodings.md §9, P11, P12).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "../status.hpp"

namespace posenc {

/// Plain RoPE: w_k = theta^(-2k/r).
struct default_scaling {};
/// Position interpolation: every frequency divided by `factor`.
struct linear_scaling {
  double factor = 1.0;
};
/// Dynamic NTK: the base grows once seq_len exceeds max_position_embeddings.
struct dynamic_scaling {
  double factor = 1.0;
  std::int64_t max_position_embeddings = 0;  ///< L_max: the length the model was trained at
};
/// YaRN (NTK-by-parts with an attention factor).
struct yarn_scaling {
  double factor = 1.0;
  std::int64_t original_max_position_embeddings = 0;  ///< L_orig of the correction range
  double beta_fast = 32.0;                           ///< 0 means the default, as HF's `or`
  double beta_slow = 1.0;                            ///< 0 means the default, as HF's `or`
  double mscale = 0.0;                               ///< with mscale_all_dim: DeepSeek's ratio
  double mscale_all_dim = 0.0;
  std::optional<double> attention_factor{};          ///< overrides the computed factor
  bool truncate = true;                              ///< floor/ceil the correction range
};
/// LongRoPE (Phi-3): per-frequency rescale factors, short or long by sequence length.
struct longrope_scaling {
  std::vector<double> short_factor;  ///< r/2 factors used while seq_len <= L_orig
  std::vector<double> long_factor;   ///< r/2 factors used once seq_len > L_orig
  double factor = 0.0;               ///< 0: max_position_embeddings / original (as HF)
  std::int64_t original_max_position_embeddings = 0;
  std::int64_t max_position_embeddings = 0;
  std::optional<double> attention_factor{};
};
/// Llama 3.1: keep high frequencies, divide low ones by `factor`, blend in between.
struct llama3_scaling {
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 8192;
};

/// One of the Hugging Face rope_type schedules.
using rope_scaling = std::variant<default_scaling, linear_scaling, dynamic_scaling, yarn_scaling,
                                  longrope_scaling, llama3_scaling>;

/// The Hugging Face rope_type name of a scaling ("default", "linear", ...).
inline std::string_view rope_type_name(const rope_scaling& s) noexcept {
  constexpr std::string_view names[] = {"default", "linear", "dynamic", "yarn", "longrope", "llama3"};
  return names[s.index()];
}

/// Inverse frequencies (r/2 of them) and the factor HF multiplies cos and sin by.
struct rope_frequencies {
  std::vector<double> inv_freq;
  double attention_factor = 1.0;
};

namespace detail {

inline bool finite_positive(double v) noexcept { return std::isfinite(v) && v > 0.0; }

inline status check_factor(std::string_view type, double factor) noexcept {
  if (!std::isfinite(factor) || factor < 1.0) {
    return make_error(errc::invalid_argument, "rope_scaling (", type,
                      "): factor must be a finite number >= 1, got ", factor);
  }
  return {};
}

inline status check_length(std::string_view type, std::string_view key, std::int64_t v) noexcept {
  if (v <= 0) {
    return make_error(errc::invalid_argument, "rope_scaling (", type, "): ", key,
                      " must be positive, got ", v);
  }
  return {};
}

/// theta^(-2k/r) for k < r/2.
inline std::vector<double> default_inv_freq(std::int64_t r, double theta) {
  std::vector<double> w(static_cast<std::size_t>(r / 2));
  for (std::size_t k = 0; k < w.size(); ++k) {
    w[k] = std::pow(theta, -2.0 * static_cast<double>(k) / static_cast<double>(r));
  }
  return w;
}

/// HF get_mscale: 0.1 * m * ln(s) + 1 for s > 1.
inline double yarn_mscale(double s, double m = 1.0) noexcept {
  return s <= 1.0 ? 1.0 : 0.1 * m * std::log(s) + 1.0;
}

inline result<rope_frequencies> frequencies(std::int64_t, double, std::int64_t,
                                            std::vector<double> w, const default_scaling&) {
  return rope_frequencies{std::move(w), 1.0};
}

inline result<rope_frequencies> frequencies(std::int64_t, double, std::int64_t,
                                            std::vector<double> w, const linear_scaling& s) {
  POSENC_TRY(check_factor("linear", s.factor));
  for (double& v : w) v /= s.factor;
  return rope_frequencies{std::move(w), 1.0};
}

inline result<rope_frequencies> frequencies(std::int64_t r, double theta, std::int64_t seq_len,
                                            std::vector<double> w, const dynamic_scaling& s) {
  POSENC_TRY(check_factor("dynamic", s.factor));
  POSENC_TRY(check_length("dynamic", "max_position_embeddings", s.max_position_embeddings));
  if (r <= 2) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (dynamic): rotary dim must be > 2 (the NTK exponent is "
                      "r/(r-2)), got ", r);
  }
  if (seq_len <= s.max_position_embeddings) return rope_frequencies{std::move(w), 1.0};
  const double l = static_cast<double>(seq_len);
  const double lmax = static_cast<double>(s.max_position_embeddings);
  const double base = theta * std::pow(s.factor * l / lmax - (s.factor - 1.0),
                                       static_cast<double>(r) / static_cast<double>(r - 2));
  return rope_frequencies{default_inv_freq(r, base), 1.0};
}

inline result<rope_frequencies> frequencies(std::int64_t r, double theta, std::int64_t,
                                            std::vector<double> w, const yarn_scaling& s) {
  POSENC_TRY(check_factor("yarn", s.factor));
  POSENC_TRY(check_length("yarn", "original_max_position_embeddings",
                          s.original_max_position_embeddings));
  for (auto [key, v] : {std::pair<const char*, double>{"beta_fast", s.beta_fast},
                        {"beta_slow", s.beta_slow},
                        {"mscale", s.mscale},
                        {"mscale_all_dim", s.mscale_all_dim}}) {
    if (!std::isfinite(v) || v < 0.0) {
      return make_error(errc::invalid_argument, "rope_scaling (yarn): ", key,
                        " must be a finite number >= 0, got ", v);
    }
  }
  if (s.attention_factor && !finite_positive(*s.attention_factor)) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (yarn): attention_factor must be positive, got ",
                      *s.attention_factor);
  }
  if (!(theta > 1.0)) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (yarn): rope_theta must be > 1 (the correction range divides "
                      "by ln theta), got ", theta);
  }
  double af = 0.0;
  if (s.attention_factor) {
    af = *s.attention_factor;
  } else if (s.mscale != 0.0 && s.mscale_all_dim != 0.0) {
    af = yarn_mscale(s.factor, s.mscale) / yarn_mscale(s.factor, s.mscale_all_dim);
  } else {
    af = yarn_mscale(s.factor);
  }
  const double beta_fast = s.beta_fast != 0.0 ? s.beta_fast : 32.0;
  const double beta_slow = s.beta_slow != 0.0 ? s.beta_slow : 1.0;
  const double rd = static_cast<double>(r);
  const double lorig = static_cast<double>(s.original_max_position_embeddings);
  auto correction_dim = [&](double beta) {
    return rd * std::log(lorig / (2.0 * std::numbers::pi * beta)) / (2.0 * std::log(theta));
  };
  double low = correction_dim(beta_fast);
  double high = correction_dim(beta_slow);
  if (s.truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0);
  high = std::min(high, rd - 1.0);
  if (low == high) high += 0.001;  // HF's guard against a zero-width ramp
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double ramp = std::clamp((static_cast<double>(k) - low) / (high - low), 0.0, 1.0);
    // HF: inter * (1 - e) + extra * e with e = 1 - ramp, inter = extra / s.
    w[k] = w[k] / s.factor * ramp + w[k] * (1.0 - ramp);
  }
  return rope_frequencies{std::move(w), af};
}

inline result<rope_frequencies> frequencies(std::int64_t r, double, std::int64_t seq_len,
                                            std::vector<double> w, const longrope_scaling& s) {
  POSENC_TRY(check_length("longrope", "original_max_position_embeddings",
                          s.original_max_position_embeddings));
  double factor = s.factor;
  if (factor == 0.0) {
    POSENC_TRY(check_length("longrope", "max_position_embeddings", s.max_position_embeddings));
    factor = static_cast<double>(s.max_position_embeddings) /
             static_cast<double>(s.original_max_position_embeddings);
  }
  if (!finite_positive(factor)) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (longrope): factor must be positive, got ", factor);
  }
  const std::size_t n = static_cast<std::size_t>(r / 2);
  for (auto [key, v] : {std::pair<const char*, const std::vector<double>*>{"short_factor",
                                                                            &s.short_factor},
                        {"long_factor", &s.long_factor}}) {
    if (v->size() != n) {
      return make_error(errc::invalid_argument, "rope_scaling (longrope): ", key, " has ",
                        v->size(), " entries, expected rotary_dim/2 = ", n);
    }
    for (double f : *v) {
      if (!finite_positive(f)) {
        return make_error(errc::invalid_argument, "rope_scaling (longrope): ", key,
                          " entries must be positive, got ", f);
      }
    }
  }
  if (s.attention_factor && !finite_positive(*s.attention_factor)) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (longrope): attention_factor must be positive, got ",
                      *s.attention_factor);
  }
  const double lorig = static_cast<double>(s.original_max_position_embeddings);
  const double af = s.attention_factor ? *s.attention_factor
                    : factor <= 1.0    ? 1.0
                                       : std::sqrt(1.0 + std::log(factor) / std::log(lorig));
  const auto& lambda = seq_len > s.original_max_position_embeddings ? s.long_factor
                                                                    : s.short_factor;
  for (std::size_t k = 0; k < n; ++k) w[k] /= lambda[k];
  return rope_frequencies{std::move(w), af};
}

inline result<rope_frequencies> frequencies(std::int64_t, double, std::int64_t,
                                            std::vector<double> w, const llama3_scaling& s) {
  POSENC_TRY(check_factor("llama3", s.factor));
  POSENC_TRY(check_length("llama3", "original_max_position_embeddings",
                          s.original_max_position_embeddings));
  if (!finite_positive(s.low_freq_factor) || !finite_positive(s.high_freq_factor) ||
      s.high_freq_factor <= s.low_freq_factor) {
    return make_error(errc::invalid_argument,
                      "rope_scaling (llama3): need 0 < low_freq_factor < high_freq_factor, got ",
                      s.low_freq_factor, " and ", s.high_freq_factor);
  }
  const double lo = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = lo / s.low_freq_factor;
  const double high_wavelen = lo / s.high_freq_factor;
  for (double& v : w) {
    const double wavelen = 2.0 * std::numbers::pi / v;
    if (wavelen < high_wavelen) continue;
    if (wavelen > low_wavelen) {
      v /= s.factor;
    } else {
      const double smooth = (lo / wavelen - s.low_freq_factor) /
                            (s.high_freq_factor - s.low_freq_factor);
      v = (1.0 - smooth) * v / s.factor + smooth * v;
    }
  }
  return rope_frequencies{std::move(w), 1.0};
}

}  // namespace detail

/// The inverse frequencies and attention factor of a schedule for rotary dim r and base theta.
/// seq_len is the max position + 1 of the batch (dynamic and longrope depend on it; pass 0 for
/// the values at load time). Errors name the bad parameter and its value.
[[nodiscard]] inline result<rope_frequencies> compute_frequencies(
    std::int64_t rotary_dim, double theta, const rope_scaling& scaling,
    std::int64_t seq_len = 0) noexcept {
  if (rotary_dim <= 0 || rotary_dim % 2 != 0) {
    return make_error(errc::invalid_argument, "rope: rotary dim must be even and positive, got ",
                      rotary_dim);
  }
  if (!detail::finite_positive(theta)) {
    return make_error(errc::invalid_argument,
                      "rope: rope_theta must be a finite positive number, got ", theta);
  }
  auto w = detail::default_inv_freq(rotary_dim, theta);
  return std::visit(
      [&](const auto& s) {
        return detail::frequencies(rotary_dim, theta, seq_len, std::move(w), s);
      },
      scaling);
}

}  // namespace posenc
