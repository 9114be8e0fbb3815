#include "cli.hpp"

#include <algorithm>

namespace posenc::cli {

status require_flag(const std::string& value, std::string_view flag) {
  if (value.empty()) return make_error(errc::invalid_argument, "missing required option --", flag);
  return {};
}

std::string shape_string(std::span<const std::int64_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

status check_output_size(std::span<const std::int64_t> shape) {
  constexpr std::int64_t limit = std::int64_t{1} << 30;
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) {
      return make_error(errc::invalid_argument, "output shape ", shape_string(shape),
                        " has a negative extent");
    }
    if (d > 0 && n > limit / d) {
      return make_error(errc::invalid_argument, "output shape ", shape_string(shape),
                        " has more than 2^30 elements");
    }
    n *= d;
  }
  return {};
}

result<std::vector<std::int64_t>> read_positions(const std::string& path, std::string_view flag) {
  POSENC_TRY(require_flag(path, flag));
  auto arr = npy::load(path);
  if (!arr) return arr.error();
  if (arr->shape.size() != 1) {
    return make_error(errc::shape_mismatch, "--", flag, ": expected a rank-1 array of positions, got shape ",
                      shape_string(arr->shape));
  }
  return npy::to_int64(*arr, "--" + std::string(flag));
}

std::int64_t sequence_length(std::span<const std::int64_t> positions) {
  if (positions.empty()) return 0;
  const std::int64_t last = *std::max_element(positions.begin(), positions.end());
  return std::max<std::int64_t>(0, std::min(last, INT64_MAX - 1) + 1);
}

result<tensor> read_floats(const std::string& path, std::string_view flag, std::size_t rank) {
  POSENC_TRY(require_flag(path, flag));
  auto arr = npy::load(path);
  if (!arr) return arr.error();
  if (arr->shape.size() != rank) {
    return make_error(errc::shape_mismatch, "--", flag, ": expected a rank-", rank,
                      " array, got shape ", shape_string(arr->shape));
  }
  auto data = npy::to_float(*arr, "--" + std::string(flag));
  if (!data) return data.error();
  return tensor{std::move(*data), std::move(arr->shape)};
}

result<rotary_input> read_rotary_input(const args& a, std::int64_t head_dim) {
  auto x = read_floats(a.in, "in", 3);
  if (!x) return x.error();
  auto pos = read_positions(a.positions, "positions");
  if (!pos) return pos.error();
  if (static_cast<std::int64_t>(pos->size()) != x->shape[0]) {
    return make_error(errc::shape_mismatch, "--positions has ", pos->size(),
                      " entries but --in has ", x->shape[0], " tokens");
  }
  if (x->shape[2] != head_dim) {
    return make_error(errc::shape_mismatch, "--in has head_dim ", x->shape[2],
                      " but the config gives ", head_dim);
  }
  return rotary_input{std::move(*x), std::move(*pos)};
}

status write_floats(const std::string& path, std::span<const float> data,
                    std::span<const std::int64_t> shape) {
  return npy::save(path, data, shape);
}

status write_ints(const std::string& path, std::span<const std::int64_t> data,
                  std::span<const std::int64_t> shape) {
  return npy::save(path, data, shape);
}

}  // namespace posenc::cli
