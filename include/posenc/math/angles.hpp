// Exact rotary phases and cos/sin tables, shared by RoPE, FoPE and the sinusoid tables.
//
// The phase p * w is formed exactly as a double-double (an FMA two-product) and reduced modulo
// 2*pi with a three-part 2*pi, keeping the result as a double-double r_hi + r_lo with an absolute
// error of about 2^-105 |p * w| (1e-25 at |p * w| = 2^24) for |p| < 2^53. cos/sin are then evaluated in double with the
// first-order correction for r_lo and rounded once to float. Every value is therefore within
// 1 ulp (float) of the exact cos/sin of p * w -- even next to the zeros of cos and sin, where an
// absolute phase error of 1e-15 would already be several ulps -- for positions below 2^24 and
// beyond (tests/math/angles_test.cpp measures this against a binary128 reference;
// docs/accuracy.md records it). A float32 angle, as Hugging Face and Meta compute it, is already
// ~7e-3 off at position 131072 (spec/encodings.md P1). two_level_cos_sin_table holds the exact
// rows from which kernels' compose_cos_sin builds any |p| < 2^24 in SIMD (0.5 ulp + 2^-49).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>
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

/// A phase as an unevaluated sum hi + lo with |lo| <= ulp(hi) / 2.
struct phase {
  double hi = 0.0;
  double lo = 0.0;
};

/// p * w reduced to about [-pi, pi] as a double-double; error ~2^-105 |p w| for |p| < 2^53.
inline phase reduced_phase(std::int64_t p, double w) noexcept {
  const double pd = static_cast<double>(p);
  const double hi = pd * w;
  const double lo = std::fma(pd, w, -hi);  // p * w == hi + lo exactly
  const double k = std::nearbyint(hi * inv_two_pi);
  // hi - k * two_pi_hi is exact: both are multiples of ulp(two_pi_hi) and the difference is small.
  const double t = std::fma(-k, two_pi_hi, hi);
  const double kb = k * two_pi_mid;
  const double kb_err = std::fma(k, two_pi_mid, -kb);
  const double s = t - kb;  // two-sum of t and -kb
  const double bb = s - t;
  const double s_err = (t - (s - bb)) + (-kb - bb);
  const double tail = s_err - kb_err + lo - k * two_pi_lo;
  const double r = s + tail;
  return {r, tail - (r - s)};
}

/// cos and sin of a reduced phase, to double accuracy relative to the result.
inline void cos_sin(const phase& r, double& c, double& s) noexcept {
  const double ch = std::cos(r.hi), sh = std::sin(r.hi);
  c = ch - sh * r.lo;  // cos(hi + lo) = cos(hi) - sin(hi) lo + O(lo^2)
  s = sh + ch * r.lo;
}

/// cos and sin of p * w_k times scale, each rounded once to T (float or double), for k < w.size().
template <class T>
inline void fill_cos_sin(std::int64_t p, std::span<const double> w, double scale, T* cos_out,
                         T* sin_out) noexcept {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  for (std::size_t k = 0; k < w.size(); ++k) {
    double c = 0.0, s = 0.0;
    cos_sin(reduced_phase(p, w[k]), c, s);
    cos_out[k] = static_cast<T>(c * scale);
    sin_out[k] = static_cast<T>(s * scale);
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
    for (std::int64_t p = 0; p < rows_; ++p) fill_cos_sin(p, w, scale, mutable_cos_row(p), mutable_sin_row(p));
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
  float* mutable_cos_row(std::int64_t p) noexcept { return data_.data() + p * 2 * n_; }
  float* mutable_sin_row(std::int64_t p) noexcept { return mutable_cos_row(p) + n_; }

  std::int64_t rows_ = 0;
  std::int64_t n_ = 0;
  std::vector<float> data_;
};

/// Rows for composing cos/sin of any |p| < 2^24 from two exact rows (the "two-level" source).
///
/// p = a * block + b with 0 <= b < block; row b ("low") holds cos/sin(b w_k), row block + a
/// ("high") holds cos/sin(a block w_k), all in double from the exact phases above (each within
/// ~1 ulp of double). The angle-addition formula
///     cos(p w) = c_hi c_lo - s_hi s_lo,    sin(p w) = s_hi c_lo + c_hi s_lo
/// (kernels' compose_cos_sin) then gives cos/sin within 2^-49 (absolute) of exact before the
/// final rounding to float. 2 * 4096 rows replace the 2^24 rows of a full table.
class two_level_cos_sin_table {
 public:
  /// Positions per block (low rows); there are as many blocks (high rows).
  static constexpr std::int64_t block = std::int64_t{1} << 12;
  /// Positions with |p| below this are covered.
  static constexpr std::int64_t limit = block * block;

  two_level_cos_sin_table() = default;

  /// Builds the 2 * block rows for the frequencies w (unscaled).
  explicit two_level_cos_sin_table(std::span<const double> w)
      : n_(static_cast<std::int64_t>(w.size())),
        data_(static_cast<std::size_t>(2 * block * 2 * n_)) {
    for (std::int64_t i = 0; i < 2 * block; ++i) {
      const std::int64_t p = i < block ? i : (i - block) * block;
      fill_cos_sin(p, w, 1.0, mutable_row(i), mutable_row(i) + n_);
    }
  }

  /// Frequencies per row.
  std::int64_t width() const noexcept { return n_; }
  /// True when the table was built and |p| < limit.
  bool covers(std::int64_t p) const noexcept { return n_ > 0 && p > -limit && p < limit; }
  /// Row cos(|p| mod block * w_k), k < width(), then the sines; needs covers(p).
  const double* low_row(std::int64_t p) const noexcept { return row((p < 0 ? -p : p) % block); }
  /// Row cos((|p| - |p| mod block) w_k), k < width(), then the sines; needs covers(p).
  const double* high_row(std::int64_t p) const noexcept {
    return row(block + (p < 0 ? -p : p) / block);
  }

 private:
  const double* row(std::int64_t i) const noexcept { return data_.data() + i * 2 * n_; }
  double* mutable_row(std::int64_t i) noexcept { return data_.data() + i * 2 * n_; }

  std::int64_t n_ = 0;
  std::vector<double> data_;
};

}  // namespace posenc::math
