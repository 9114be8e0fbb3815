// Exact rotary phases and cos/sin tables, shared by RoPE, FoPE and the sinusoid tables.
//
// The phase p * w is formed in double with its rounding error kept (an FMA two-product),
// then reduced modulo 2*pi with a three-part (Cody-Waite) 2*pi, so the reduced phase is
// within ~1e-15 rad of p * w for |p| < 2^53 and |p * w| < 2^40 * 2*pi. cos/sin are then
// evaluated in double and rounded once to float: every value is within 1 ulp (float) of the
// exact cos/sin of p * w for positions below 2^24 (tests/math/angles_test.cpp measures this
// against long double; docs/accuracy.md records it). A float32 angle, as Hugging Face and Meta
// compute it, is already ~7e-3 off at position 131072 (spec/encodings.md P1).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "../status.hpp"

namespace posenc::math {

/// 2*pi as the unevaluated sum hi + mid + lo (about 160 bits).
inline constexpr double two_pi_hi = 0x1.921fb54442d18p+2;
inline constexpr double two_pi_mid = 0x1.1a62633145c07p-52;
inline constexpr double two_pi_lo = -0x1.f1976b7ed8fbcp-108;
inline constexpr double inv_two_pi = 0.15915494309189535;
/// Positions with a larger magnitude are not exactly representable in double.
inline constexpr std::int64_t max_exact_position = std::int64_t{1} << 53;

/// p * w reduced to about [-pi, pi]; absolute error ~1e-15 for |p| < 2^53 (see above).
inline double reduced_phase(std::int64_t p, double w) noexcept {
  const double pd = static_cast<double>(p);
  const double hi = pd * w;
  const double lo = std::fma(pd, w, -hi);  // exact rounding error of the product
  const double k = std::nearbyint(hi * inv_two_pi);
  double r = std::fma(-k, two_pi_hi, hi);
  r = std::fma(-k, two_pi_mid, r);
  return r + std::fma(-k, two_pi_lo, lo);
}

/// cos and sin of p * w_k times scale, each rounded once to float, for k < w.size().
inline void fill_cos_sin(std::int64_t p, std::span<const double> w, double scale, float* cos_out,
                         float* sin_out) noexcept {
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double r = reduced_phase(p, w[k]);
    cos_out[k] = static_cast<float>(std::cos(r) * scale);
    sin_out[k] = static_cast<float>(std::sin(r) * scale);
  }
}

/// An owned table of rows [0, rows): row p holds cos(p w_k) * scale for k < n, then the sines.
class cos_sin_table {
 public:
  cos_sin_table() = default;

  /// Builds rows [0, rows) for the frequencies w, every value scaled by `scale`.
  cos_sin_table(std::int64_t rows, std::span<const double> w, double scale)
      : rows_(rows), n_(static_cast<std::int64_t>(w.size())),
        data_(static_cast<std::size_t>(rows * 2 * n_)) {
    for (std::int64_t p = 0; p < rows_; ++p) fill_cos_sin(p, w, scale, cos_row(p), sin_row(p));
  }

  /// Number of positions covered (positions 0 .. rows()-1).
  std::int64_t rows() const noexcept { return rows_; }
  /// Frequencies per row.
  std::int64_t width() const noexcept { return n_; }
  /// True when position p has a row.
  bool covers(std::int64_t p) const noexcept { return p >= 0 && p < rows_; }
  /// The cosines of row p.
  const float* cos_row(std::int64_t p) const noexcept { return data_.data() + p * 2 * n_; }
  /// The sines of row p.
  const float* sin_row(std::int64_t p) const noexcept { return cos_row(p) + n_; }

 private:
  float* cos_row(std::int64_t p) noexcept { return data_.data() + p * 2 * n_; }
  float* sin_row(std::int64_t p) noexcept { return cos_row(p) + n_; }

  std::int64_t rows_ = 0;
  std::int64_t n_ = 0;
  std::vector<float> data_;
};

}  // namespace posenc::math
