// Internal: the element types encoders write (DESIGN.md: float, double as the reference,
// float16 and bfloat16 computed in float) and the one rounding rule they share.
#pragma once

#include <type_traits>

#include "../kernels/scalar.hpp"

namespace posenc::detail {

/// The element types encoder outputs may have: float, double (reference) and, for engines whose
/// activations or logits are 16-bit, float16 and bfloat16.
template <class T>
inline constexpr bool is_value_type_v = is_storage_type_v<T> || std::is_same_v<T, double>;

/// A value computed in double, as T: double exactly; the other types from its float rounding,
/// as the references compute in float32 and then cast to the model's dtype.
template <class T>
inline T to_value(double v) noexcept {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else {
    return kernels::narrow<T>(static_cast<float>(v));
  }
}

/// x + v for the absolute encoders' add_to (v: a table value or an exact sinusoid value). For
/// double the sum is in double; otherwise ("compute in float") x is widened exactly, v rounded
/// to float (as to_value<float> gives it), and the float sum rounded once to T (nearest even).
template <class T>
inline T add_value(T x, double v) noexcept {
  if constexpr (std::is_same_v<T, double>) {
    return x + v;
  } else {
    return kernels::narrow<T>(kernels::widen(x) + static_cast<float>(v));
  }
}

}  // namespace posenc::detail
