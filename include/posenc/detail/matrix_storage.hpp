// Internal: a float matrix that is either borrowed from user memory or owned by an encoder.
#pragma once

#include <utility>

#include "../tensor.hpp"

namespace posenc::detail {

/// A [rows, cols] float matrix: a view of user memory (which must outlive it) or an owned
/// Eigen matrix. Copies of an owning storage own their copy, so view() is always valid.
class matrix_storage {
 public:
  matrix_storage() noexcept = default;
  /// Borrows v.
  explicit matrix_storage(view2<const float> v) noexcept : borrowed_(v) {}
  /// Owns m.
  explicit matrix_storage(row_major_matrix<float> m) noexcept : owned_(std::move(m)), owns_(true) {}

  /// The matrix.
  view2<const float> view() const noexcept {
    if (!owns_) return borrowed_;
    return {owned_.data(), owned_.rows(), owned_.cols(), owned_.cols()};
  }

 private:
  view2<const float> borrowed_;
  row_major_matrix<float> owned_;
  bool owns_ = false;
};

}  // namespace posenc::detail
