// NumPy .npy files (format 1.0 and 2.0), read and written strictly.
//
// Accepted on read: little-endian (or byte-order-free) <f2 <f4 <f8 <i4 <i8, C order, any rank.
// Rejected with an error that names the value: bad magic, versions other than 1.0/2.0,
// a header that is not the dict NumPy writes, big-endian or other dtypes (object, bool, ...),
// fortran_order True, negative or overflowing shapes, and a data size that differs from the
// shape (truncated or trailing bytes). Nothing is allocated beyond the bytes the file has.
// Writing goes to a temporary file renamed into place, so a failed write leaves no file.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/file.hpp"
#include "../math/float16.hpp"
#include "../status.hpp"

namespace posenc::npy {

/// The element types posenc reads.
enum class dtype : std::uint8_t { f2, f4, f8, i4, i8 };

/// NumPy's descr string of a dtype ("<f4", ...).
constexpr std::string_view dtype_descr(dtype t) noexcept {
  constexpr std::string_view names[] = {"<f2", "<f4", "<f8", "<i4", "<i8"};
  return names[static_cast<int>(t)];
}

/// Bytes per element.
constexpr std::size_t dtype_size(dtype t) noexcept {
  constexpr std::size_t sizes[] = {2, 4, 8, 4, 8};
  return sizes[static_cast<int>(t)];
}

/// True for the floating dtypes.
constexpr bool is_floating(dtype t) noexcept { return t == dtype::f2 || t == dtype::f4 || t == dtype::f8; }

/// A loaded array: its dtype, shape and raw little-endian bytes.
struct array {
  dtype type = dtype::f4;
  std::vector<std::int64_t> shape;
  std::vector<unsigned char> bytes;

  /// Number of elements (product of the shape; 1 for rank 0).
  std::int64_t size() const noexcept {
    // parse() guarantees the extents multiply without overflow (see there).
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

namespace detail {

inline const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

// A tiny reader for the header dict NumPy writes: {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } with optional spaces and trailing commas.
class header_parser {
 public:
  explicit header_parser(std::string_view s) noexcept : s_(s) {}

  status parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) noexcept {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip();
    if (!eat('{')) return fail("header does not start with '{'");
    while (true) {
      skip();
      if (eat('}')) break;
      std::string key;
      if (!quoted(key)) return fail("expected a quoted key");
      skip();
      if (!eat(':')) return fail("expected ':' after key '" + key + "'");
      skip();
      if ((key == "descr" && have_descr) || (key == "fortran_order" && have_fortran) ||
          (key == "shape" && have_shape)) {
        return fail("duplicate key '" + key + "'");
      }
      if (key == "descr") {
        if (!quoted(descr)) return fail("descr is not a string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(i_, 4) == "True") fortran = true, i_ += 4;
        else if (s_.substr(i_, 5) == "False") fortran = false, i_ += 5;
        else return fail("fortran_order is not True or False");
        have_fortran = true;
      } else if (key == "shape") {
        POSENC_TRY(tuple(shape));
        have_shape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      skip();
      if (eat(',')) continue;
      skip();
      if (eat('}')) break;
      return fail("expected ',' or '}'");
    }
    if (!have_descr || !have_fortran || !have_shape) {
      return fail("header lacks one of descr, fortran_order, shape");
    }
    skip();
    if (i_ != s_.size()) return fail("text after the closing '}'");
    return {};
  }

 private:
  status fail(const std::string& what) const noexcept {
    return make_error(errc::parse_error, "malformed .npy header (", what, " at offset ", i_, ")");
  }
  void skip() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t')) ++i_;
  }
  bool eat(char c) noexcept {
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool quoted(std::string& out) noexcept {
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return false;
    const char q = s_[i_++];
    const std::size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) return false;
    out.assign(s_.substr(i_, end - i_));
    i_ = end + 1;
    return true;
  }
  status tuple(std::vector<std::int64_t>& shape) noexcept {
    if (!eat('(')) return fail("shape is not a tuple");
    while (true) {
      skip();
      if (eat(')')) return {};
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return fail("shape entry is not a non-negative integer");
      std::int64_t v = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        const int digit = s_[i_] - '0';
        if (v > (INT64_MAX - digit) / 10) return fail("shape entry overflows int64");
        v = v * 10 + digit;
        ++i_;
      }
      shape.push_back(v);
      skip();
      if (eat(',')) continue;
      skip();
      if (eat(')')) return {};
      return fail("expected ',' or ')' in shape");
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

inline result<dtype> parse_descr(std::string_view d) noexcept {
  // '|' marks a byte-order-free type; only meaningful for 1-byte types, which we reject anyway.
  for (dtype t : {dtype::f2, dtype::f4, dtype::f8, dtype::i4, dtype::i8}) {
    if (d == dtype_descr(t)) return t;
  }
  if (!d.empty() && d[0] == '>') {
    return make_error(errc::unsupported, "big-endian .npy dtype '", d,
                      "' is not supported (save as little-endian)");
  }
  return make_error(errc::unsupported, "unsupported .npy dtype '", d,
                    "' (expected <f2, <f4, <f8, <i4 or <i8)");
}

template <class T>
T load_le(const unsigned char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the library targets little-endian hosts (x86-64, AArch64)
  return v;
}

}  // namespace detail

/// Parses the bytes of a .npy file. `what` names the file in error messages.
[[nodiscard]] inline result<array> parse(std::span<const unsigned char> b,
                                         std::string_view what) noexcept {
  if (b.size() < 6 || std::memcmp(b.data(), detail::magic, 6) != 0) {
    return make_error(errc::parse_error, what, ": not a .npy file (bad magic)");
  }
  // The magic, two version bytes, then the header length: 2 bytes in version 1.0, 4 in 2.0.
  const std::size_t offset = b.size() > 6 && b[6] == 2 ? 12 : 10;
  if (b.size() < offset) return make_error(errc::parse_error, what, ": truncated .npy header");
  const int major = b[6], minor = b[7];
  if ((major != 1 && major != 2) || minor != 0) {
    return make_error(errc::unsupported, what, ": .npy format version ", major, ".", minor,
                      " is not supported (expected 1.0 or 2.0)");
  }
  const std::size_t header_len =
      major == 1 ? static_cast<std::size_t>(b[8]) | (static_cast<std::size_t>(b[9]) << 8)
                 : static_cast<std::size_t>(detail::load_le<std::uint32_t>(b.data() + 8));
  if (header_len > b.size() - offset) {
    return make_error(errc::parse_error, what, ": truncated .npy header (", header_len,
                      " header bytes announced, ", b.size() - offset, " present)");
  }
  const std::string_view header(reinterpret_cast<const char*>(b.data() + offset), header_len);
  std::string descr;
  bool fortran = false;
  array out;
  if (auto st = detail::header_parser(header).parse(descr, fortran, out.shape); !st) {
    return make_error(st.code(), what, ": ", st.message());
  }
  auto type = detail::parse_descr(descr);
  if (!type) return make_error(type.error().code(), what, ": ", type.error().message());
  if (fortran) {
    return make_error(errc::unsupported, what,
                      ": Fortran-order arrays are not supported (save with C order)");
  }
  out.type = *type;
  const std::size_t data_bytes = b.size() - offset - header_len;
  const std::size_t esize = dtype_size(out.type);
  auto shape_text = [&] {
    std::string t = "(";
    for (auto d : out.shape) t += std::to_string(d) + ",";
    return t + ")";
  };
  // As NumPy does, the extents other than 0 must multiply to a byte count that fits int64,
  // even when a 0 extent leaves the array empty: callers multiply extents freely.
  std::uint64_t nonzero = esize;
  bool empty = false;
  for (auto d : out.shape) {
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > static_cast<std::uint64_t>(INT64_MAX) / static_cast<std::uint64_t>(d)) {
      return make_error(errc::parse_error, what, ": shape ", shape_text(),
                        " is too large (its byte count overflows int64)");
    }
    nonzero *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t needed = empty ? 0 : nonzero;
  if (needed != data_bytes) {
    return make_error(errc::parse_error, what, ": shape ", shape_text(), " of ",
                      dtype_descr(out.type), " needs ", needed, " data bytes, the file has ",
                      data_bytes);
  }
  out.bytes.assign(b.begin() + static_cast<std::ptrdiff_t>(offset + header_len), b.end());
  return out;
}

/// Reads and parses a .npy file.
[[nodiscard]] inline result<array> load(const std::string& path) noexcept {
  auto bytes = posenc::detail::read_file(path);
  if (!bytes) return bytes.error();
  return parse(*bytes, path);
}

/// The elements of a floating array as float (f8 rounded, f2 widened); integers are an error.
[[nodiscard]] inline result<std::vector<float>> to_float(const array& a,
                                                         std::string_view what) noexcept {
  if (!is_floating(a.type)) {
    return make_error(errc::invalid_argument, what, ": expected a floating array, got dtype ",
                      dtype_descr(a.type));
  }
  const auto n = static_cast<std::size_t>(a.size());
  std::vector<float> out(n);
  const unsigned char* p = a.bytes.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (a.type) {
      case dtype::f2:
        out[i] = static_cast<float>(float16::from_bits(detail::load_le<std::uint16_t>(p + 2 * i)));
        break;
      case dtype::f4: out[i] = detail::load_le<float>(p + 4 * i); break;
      default: out[i] = static_cast<float>(detail::load_le<double>(p + 8 * i)); break;
    }
  }
  return out;
}

/// The elements of an integer array as int64; floating arrays are an error.
[[nodiscard]] inline result<std::vector<std::int64_t>> to_int64(const array& a,
                                                                std::string_view what) noexcept {
  if (is_floating(a.type)) {
    return make_error(errc::invalid_argument, what, ": expected an integer array, got dtype ",
                      dtype_descr(a.type));
  }
  const auto n = static_cast<std::size_t>(a.size());
  std::vector<std::int64_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = a.type == dtype::i4 ? detail::load_le<std::int32_t>(a.bytes.data() + 4 * i)
                                 : detail::load_le<std::int64_t>(a.bytes.data() + 8 * i);
  }
  return out;
}

/// The bytes of a .npy file holding `data` (<f4 for float, <i8 for int64): format 1.0, or 2.0
/// when the header does not fit 1.0's 16-bit length.
template <class T>
std::vector<unsigned char> serialize(std::span<const T> data, std::span<const std::int64_t> shape) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, std::int64_t>,
                "posenc writes <f4 and <i8 only");
  std::string header = "{'descr': '";
  header += std::is_same_v<T, float> ? "<f4" : "<i8";
  header += "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) header += ", ";
    header += std::to_string(shape[i]);
  }
  header += shape.size() == 1 ? ",)" : ")";
  header += ", }";
  // Pad with spaces so the data starts on a 64-byte boundary; the header ends in '\n'.
  // Format 1.0 stores the header length in 16 bits; longer headers (ranks in the thousands)
  // need format 2.0 and its 32-bit length, as NumPy does.
  const bool v2 = 10 + header.size() + 1 + 63 > 0xffff;
  const std::size_t prefix = v2 ? 12 : 10;
  const std::size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<unsigned char> out(detail::magic, detail::magic + 6);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  for (std::size_t i = 0; i < (v2 ? 4u : 2u); ++i) {
    out.push_back(static_cast<unsigned char>((header.size() >> (8 * i)) & 0xff));
  }
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  out.insert(out.end(), p, p + data.size_bytes());
  return out;
}

/// Writes `data` with `shape` to path atomically (temporary file, then rename).
template <class T>
[[nodiscard]] status save(const std::string& path, std::span<const T> data,
                          std::span<const std::int64_t> shape) noexcept {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  if (n != static_cast<std::int64_t>(data.size())) {
    return make_error(errc::shape_mismatch, "npy::save: ", data.size(),
                      " elements do not match the shape's ", n);
  }
  const auto bytes = serialize(data, shape);
  const std::string tmp = path + ".tmp-posenc";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(errc::io_error, "cannot write '", path, "': ", std::strerror(errno));
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return make_error(errc::io_error, "cannot write '", path, "': ", std::strerror(err));
  }
  return {};
}

}  // namespace posenc::npy
