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

/// Rotates with `e` a q and k that are the same guarded [3, 2, 64] buffer.
template <class Encoder>
outcome rotate_overlapping(const Encoder& e) {
  guarded<float> x(3 * 2 * 64);
  const auto v = heads_view(x.ptr(), 3, 2, 64);
  const auto st = e.rotate(v, v, std::vector<std::int64_t>{0, 1, 2});
  return failed(st, x.untouched());
}

}  // namespace posenc::test
