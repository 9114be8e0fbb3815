// Float64 softmax-attention reference shared by the encoder tests. Everything here is written
// from the formulas, in double, independently of the library's code paths.
//
//     alpha[h, i, :] = softmax_j(S[h, i, :])         (entries of -inf are masked out)
//     z[i, h, :]     = sum_j alpha[h, i, j] v[j, h, :]
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <posenc/tensor.hpp>

namespace posenc::test {

/// A dense row-major [n0, n1, n2] tensor of T.
template <class T>
struct dense3 {
  std::int64_t n0 = 0, n1 = 0, n2 = 0;
  std::vector<T> v;

  dense3() = default;
  dense3(std::int64_t a, std::int64_t b, std::int64_t c)
      : n0(a), n1(b), n2(c), v(static_cast<std::size_t>(a * b * c)) {}
  T& operator()(std::int64_t a, std::int64_t b, std::int64_t c) {
    return v[static_cast<std::size_t>((a * n1 + b) * n2 + c)];
  }
  const T& operator()(std::int64_t a, std::int64_t b, std::int64_t c) const {
    return v[static_cast<std::size_t>((a * n1 + b) * n2 + c)];
  }
  /// A posenc view over the whole tensor.
  view3<T> view() { return tensor_view(v.data(), n0, n1, n2); }
  view3<const T> cview() const { return tensor_view(v.data(), n0, n1, n2); }
};

/// Uniform random floats in [-1, 1) from a fixed seed.
inline dense3<float> random3(std::int64_t a, std::int64_t b, std::int64_t c, unsigned seed) {
  dense3<float> t(a, b, c);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& x : t.v) x = u(gen);
  return t;
}

/// Uniform random floats in [-1, 1) as a row-major [rows, cols] vector.
inline std::vector<float> random_vector(std::int64_t n, unsigned seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& x : v) x = u(gen);
  return v;
}

/// Dot product of two float rows, accumulated in double.
inline double dot(const float* a, const float* b, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t t = 0; t < n; ++t) s += static_cast<double>(a[t]) * static_cast<double>(b[t]);
  return s;
}

/// Softmax over the last axis of scores [H, Q, K], in double; -inf entries get weight 0.
inline dense3<double> softmax(const dense3<double>& s) {
  dense3<double> p(s.n0, s.n1, s.n2);
  for (std::int64_t h = 0; h < s.n0; ++h) {
    for (std::int64_t i = 0; i < s.n1; ++i) {
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < s.n2; ++j) m = std::max(m, s(h, i, j));
      double z = 0.0;
      for (std::int64_t j = 0; j < s.n2; ++j) {
        p(h, i, j) = std::isinf(s(h, i, j)) && s(h, i, j) < 0 ? 0.0 : std::exp(s(h, i, j) - m);
        z += p(h, i, j);
      }
      for (std::int64_t j = 0; j < s.n2; ++j) p(h, i, j) /= z;
    }
  }
  return p;
}

/// z [Q, H, dv] = alpha [H, Q, K] times v [K, H, dv], in double.
inline dense3<double> attend(const dense3<double>& alpha, const dense3<float>& v) {
  dense3<double> z(alpha.n1, alpha.n0, v.n2);
  for (std::int64_t h = 0; h < alpha.n0; ++h) {
    for (std::int64_t i = 0; i < alpha.n1; ++i) {
      for (std::int64_t j = 0; j < alpha.n2; ++j) {
        for (std::int64_t c = 0; c < v.n2; ++c) z(i, h, c) += alpha(h, i, j) * v(j, h, c);
      }
    }
  }
  return z;
}

/// Widens float scores to double (to feed the library's logits through the same softmax).
inline dense3<double> widen(const dense3<float>& s) {
  dense3<double> d(s.n0, s.n1, s.n2);
  for (std::size_t t = 0; t < s.v.size(); ++t) d.v[t] = s.v[t];
  return d;
}

/// Largest |a - b| over two same-shaped tensors; +inf when the shapes differ or any difference
/// is NaN, so `max_abs_diff(...) < tol` fails on those.
template <class A, class B>
double max_abs_diff(const dense3<A>& a, const dense3<B>& b) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (a.n0 != b.n0 || a.n1 != b.n1 || a.n2 != b.n2 || a.v.size() != b.v.size()) return inf;
  double m = 0.0;
  for (std::size_t t = 0; t < a.v.size(); ++t) {
    const double d = std::fabs(static_cast<double>(a.v[t]) - static_cast<double>(b.v[t]));
    if (std::isnan(d)) return inf;
    m = std::max(m, d);
  }
  return m;
}

}  // namespace posenc::test
