// Calls shared by the rotary rows (rope.cpp, fope.cpp): in-place rotations of guarded buffers.
#pragma once

#include <posenc/tensor.hpp>

#include <cstdint>
#include <vector>

#include "rows.hpp"

namespace posenc::test {

/// Rotates a guarded [tokens, heads, dim] buffer in place with `e`.
template <class Encoder>
outcome rotate_guarded(const Encoder& e, std::int64_t tokens, std::int64_t heads, std::int64_t dim,
                       const std::vector<std::int64_t>& positions) {
  guarded<float> x(static_cast<std::size_t>(tokens * heads * dim));
  const auto st = e.rotate(heads_view(x.ptr(), tokens, heads, dim), positions);
  return failed(st, x.untouched());
}

/// Rotates with `e` q = heads 0-1 and k = heads 1-2 of a guarded [3, 3, 64] buffer.
template <class Encoder>
outcome rotate_overlapping(const Encoder& e) {
  guarded<float> x(3 * 3 * 64);
  const view3<float> q{x.ptr(), 3, 2, 64, 192, 64};
  const view3<float> k{x.ptr() + 64, 3, 2, 64, 192, 64};
  const auto st = e.rotate(q, k, std::vector<std::int64_t>{0, 1, 2});
  return failed(st, x.untouched());
}

/// Rotates with `e` q and k [3, 1, 64] of one guarded buffer, 64 floats apart, whose token
/// strides differ (128 and 256): their address ranges meet but no rows do.
template <class Encoder>
outcome rotate_interleaving(const Encoder& e) {
  guarded<float> x(640);
  const view3<float> q{x.ptr(), 3, 1, 64, 128, 64};
  const view3<float> k{x.ptr() + 64, 3, 1, 64, 256, 64};
  const auto st = e.rotate(q, k, std::vector<std::int64_t>{0, 1, 2});
  return failed(st, x.untouched());
}

}  // namespace posenc::test
