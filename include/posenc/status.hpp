// Error model: no exceptions. Fallible calls return status or result<T>; the message names
// the offending value so a user can act on it (e.g. "rope: rotary_dim must be even, got 63").
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "config.hpp"

namespace posenc {

/// What went wrong, coarse enough to branch on.
enum class errc : std::uint8_t {
  ok = 0,
  invalid_argument,  ///< a parameter value is outside its domain (odd dim, NaN, negative...)
  out_of_range,      ///< a position or index is outside what the encoder covers
  shape_mismatch,    ///< tensor shapes or strides do not fit together
  invalid_config,    ///< a configuration is missing a key or has the wrong type
  unsupported,       ///< a valid request posenc does not implement (e.g. an unknown scheme)
  io_error,          ///< a file could not be read or written
  parse_error,       ///< a file's bytes are malformed (.npy header, JSON)
};

/// Short name of an error code, e.g. "invalid_argument".
constexpr std::string_view errc_name(errc c) noexcept {
  switch (c) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::out_of_range: return "out_of_range";
    case errc::shape_mismatch: return "shape_mismatch";
    case errc::invalid_config: return "invalid_config";
    case errc::unsupported: return "unsupported";
    case errc::io_error: return "io_error";
    case errc::parse_error: return "parse_error";
  }
  return "unknown";
}

/// The outcome of a fallible call: ok, or an error code with a message.
class [[nodiscard]] status {
 public:
  /// Success.
  status() noexcept = default;
  /// An error: code and a message naming the offending value.
  status(errc code, std::string message) noexcept : code_(code), message_(std::move(message)) {}

  /// True when the call succeeded.
  bool ok() const noexcept { return code_ == errc::ok; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// The error code (errc::ok on success).
  errc code() const noexcept { return code_; }
  /// The message naming the problem and the offending value; empty on success.
  const std::string& message() const noexcept { return message_; }

 private:
  errc code_ = errc::ok;
  std::string message_;
};

/// A value or the status that explains why there is none.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

 public:
  /// A result holding a value.
  result(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(value)) {}
  /// A result holding an error (which must not be ok).
  result(status error) noexcept : error_(std::move(error)) {
    POSENC_ASSERT(!error_.ok(), "result constructed from an ok status without a value");
  }

  /// True when a value is present.
  bool has_value() const noexcept { return value_.has_value(); }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; asserts (POSENC_ASSERT) that there is one. operator* and -> are the same.
  T& value() & noexcept { return check(), *value_; }
  const T& value() const& noexcept { return check(), *value_; }
  T&& value() && noexcept { return check(), std::move(*value_); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  /// The error; ok() when a value is present.
  const status& error() const noexcept { return error_; }

 private:
  void check() const noexcept { POSENC_ASSERT(value_.has_value(), error_.message().c_str()); }
  std::optional<T> value_;
  status error_;
};

namespace detail {
template <class V>
void append_value(std::ostringstream& os, const V& v) {
  if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(v)) {
      os << "nan";
    } else {
      os << v;
    }
  } else {
    os << v;
  }
}

// Control characters (a newline inside a config string, say) spelled as \n, \r, \t or \xNN, so
// that every message is one line.
inline std::string escape_controls(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7F) {
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}
}  // namespace detail

/// Builds an error status whose message is the concatenation of the parts (control characters
/// escaped: a message is one line).
template <class... Parts>
status make_error(errc code, const Parts&... parts) noexcept {
  std::ostringstream os;
  os.precision(9);
  (detail::append_value(os, parts), ...);
  return status(code, detail::escape_controls(os.str()));
}

}  // namespace posenc

/// Returns from the enclosing function if the status expression is an error.
#define POSENC_TRY(expr)                 \
  do {                                   \
    ::posenc::status posenc_st_ = (expr); \
    if (!posenc_st_.ok()) return posenc_st_; \
  } while (0)
