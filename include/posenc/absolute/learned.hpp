// Learned absolute position embeddings (GPT-2, BERT, OPT, RoBERTa; a trained table E):
//
//     PE(p) = E[p + offset],   valid while 0 <= p + offset < rows
//
// offset 0: GPT-2 wpe, BERT position_embeddings (rows = max positions). offset 2: OPT
// (OPTLearnedPositionalEmbedding, rows = max_position_embeddings + 2). offset pad_token_id + 1:
// RoBERTa / XLM-R (create_position_ids_from_input_ids; the checkpoint's rows already count it).
// Padding-aware position ids (cumsum of the mask) are the caller's to form; a pad token's id
// p = -1 lands on row offset - 1, as in those models. Matches a plain embedding lookup of the
// Hugging Face models above. An index outside the table is an error naming the position and
// the valid range, checked before anything is written: no input reads past the table.
// The table lives in user memory (borrowed: it must outlive the encoder) or is owned.
//
// Storage types (DESIGN.md: float, double as the reference, float16 and bfloat16 computed in
// float). The table is float. encode<T> writes each table value converted to T: exactly for
// float and double, rounded once (nearest even) for float16 / bfloat16. add_to<T> adds in
// float for float and the 16-bit types (x widened exactly, the sum rounded once to T) and in
// double for double (detail::add_value). A 16-bit checkpoint table is widened once, exactly,
// into an owned float table (learned::matrix); encode<T> into the checkpoint's own type then
// returns the checkpoint's exact bits, as an embedding lookup in that dtype does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../concepts.hpp"
#include "../detail/matrix_storage.hpp"
#include "../detail/values.hpp"
#include "../status.hpp"
#include "../tensor.hpp"

namespace posenc {

/// Parameters of a learned table: its shape and the row of position 0.
struct learned_config {
  std::int64_t rows = 0;             ///< rows of the table (the checkpoint's own count)
  std::int64_t hidden_size = 0;      ///< width d
  std::int64_t position_offset = 0;  ///< position p reads row p + position_offset
};

/// A learned-table encoder (models AbsoluteEncoder). Immutable once made: const calls are
/// thread-safe.
class learned {
 public:
  using config_type = learned_config;
  using matrix = row_major_matrix<float>;
  static constexpr encoder_family family = encoder_family::absolute;

  /// An encoder over a table in user memory [rows, hidden_size]; the memory must outlive it.
  [[nodiscard]] static result<learned> make(const learned_config& cfg,
                                            view2<const float> table) noexcept {
    POSENC_TRY(check_config(cfg, table));
    return learned(cfg, detail::matrix_storage(table));
  }

  /// An encoder that owns its table [rows, hidden_size].
  [[nodiscard]] static result<learned> make(const learned_config& cfg, matrix table) noexcept {
    detail::matrix_storage storage(std::move(table));
    POSENC_TRY(check_config(cfg, storage.view()));
    return learned(cfg, std::move(storage));
  }

  /// The configuration it was made from.
  const learned_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "learned".
  static constexpr std::string_view name() noexcept { return "learned"; }
  /// Width of a row (hidden_size).
  std::int64_t width() const noexcept { return cfg_.hidden_size; }
  /// The table [rows, hidden_size].
  view2<const float> table() const noexcept { return table_.view(); }
  /// Smallest valid position (-position_offset).
  std::int64_t min_position() const noexcept { return -cfg_.position_offset; }
  /// One past the largest valid position (rows - position_offset).
  std::int64_t end_position() const noexcept { return cfg_.rows - cfg_.position_offset; }

  /// Writes E[positions[t] + offset] into row t of out [tokens, hidden_size] of float, double,
  /// float16 or bfloat16 (exact for float and double, rounded once to 16 bits).
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status encode(positions_span positions, view2<T> out) const noexcept {
    POSENC_TRY(check(out, positions, "out"));
    const view2<const float> e = table();
    for (std::size_t t = 0; t < positions.size(); ++t) {
      const float* src = e.row(positions[t] + cfg_.position_offset);
      T* dst = out.row(static_cast<std::int64_t>(t));
      if constexpr (std::is_same_v<T, float>) {
        std::copy_n(src, cfg_.hidden_size, dst);  // memcpy; an element loop ran 1.2-1.8x slower
      } else {
        for (std::int64_t c = 0; c < cfg_.hidden_size; ++c) dst[c] = detail::to_value<T>(src[c]);
      }
    }
    return {};
  }

  /// Adds E[positions[t] + offset] to row t of x [tokens, hidden_size] of float, double,
  /// float16 or bfloat16 (16-bit: the float sum rounded once to T; detail::add_value).
  template <class T = float>
    requires detail::is_value_type_v<T>
  [[nodiscard]] status add_to(view2<T> x, positions_span positions) const noexcept {
    POSENC_TRY(check(x, positions, "x"));
    const view2<const float> e = table();
    for (std::size_t t = 0; t < positions.size(); ++t) {
      const float* src = e.row(positions[t] + cfg_.position_offset);
      T* dst = x.row(static_cast<std::int64_t>(t));
      for (std::int64_t c = 0; c < cfg_.hidden_size; ++c) {
        dst[c] = detail::add_value(dst[c], src[c]);
      }
    }
    return {};
  }

 private:
  learned(learned_config cfg, detail::matrix_storage table) noexcept
      : cfg_(cfg), table_(std::move(table)) {}

  static status check_config(const learned_config& cfg, view2<const float> table) noexcept {
    if (cfg.rows <= 0 || cfg.hidden_size <= 0) {
      return make_error(errc::invalid_argument, "learned: the table shape [", cfg.rows, ", ",
                        cfg.hidden_size, "] must be positive");
    }
    if (cfg.position_offset < 0 || cfg.position_offset >= cfg.rows) {
      return make_error(errc::invalid_argument, "learned: position_offset must be in [0, ",
                        cfg.rows, "), got ", cfg.position_offset);
    }
    POSENC_TRY(validate(table, "learned table"));
    if (table.rows != cfg.rows || table.cols != cfg.hidden_size) {
      return make_error(errc::shape_mismatch, "learned: the table has shape [", table.rows, ", ",
                        table.cols, "], the config says [", cfg.rows, ", ", cfg.hidden_size, "]");
    }
    return {};
  }

  template <class T>
  status check(const view2<T>& v, positions_span positions, std::string_view what) const noexcept {
    POSENC_TRY(validate(v, what));
    if (v.cols != cfg_.hidden_size || v.rows != static_cast<std::int64_t>(positions.size())) {
      return make_error(errc::shape_mismatch, "learned: ", what, " has shape [", v.rows, ", ",
                        v.cols, "], expected [", positions.size(), ", ", cfg_.hidden_size, "]");
    }
    for (std::int64_t p : positions) {
      if (p < min_position() || p >= end_position()) {
        return make_error(errc::out_of_range, "learned: position ", p,
                          " is outside the table's range [", min_position(), ", ", end_position(),
                          ") (", cfg_.rows, " rows, position_offset ", cfg_.position_offset, ")");
      }
    }
    return {};
  }

  learned_config cfg_;
  detail::matrix_storage table_;
};

}  // namespace posenc
