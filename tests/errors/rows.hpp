// One test per row of docs/errors.md.
//
// Each tests/errors/<area>.cpp registers, for every row of its part of the table, the input that
// produces that row's error. rows_test.cpp then checks three things:
//  - every row of the table has a registered test, and every registered test names a row;
//  - every make_error call site in include/ and tools/ has a row, and every row a call site;
//  - each registered call fails with the row's code (library rows), a message that matches the
//    row's message (each <...> stands for any text) and contains the named value, and leaves its
//    output untouched (library: the caller's buffer bit for bit; CLI: exit status 2, one stderr
//    line, no output file).
#pragma once

#include <posenc/io/npy.hpp>
#include <posenc/status.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace posenc::test {

/// What a failing call left behind.
struct outcome {
  std::optional<errc> code;  ///< the status code (library rows); nullopt for CLI rows
  std::string message;       ///< the status message, or the CLI's stderr
  bool untouched = false;    ///< the output (buffer or file) is as it was before the call
  int exit_code = 0;         ///< CLI rows: the exit status
};

/// One row of docs/errors.md and the call that produces it.
struct error_row {
  std::string file;     ///< the table's section, e.g. "posenc/absolute/learned.hpp"
  errc code;            ///< the row's code
  std::string message;  ///< the row's message exactly as the table writes it
  std::string named;    ///< the offending value the message must contain
  std::function<outcome()> trigger;
  /// Set instead of trigger for rows no input can reach (self-checks of the library's own
  /// results): why, and where that check is exercised.
  std::string unreachable = {};
};

inline std::vector<error_row>& registry() {
  static std::vector<error_row> rows;
  return rows;
}

/// Registers rows at static initialisation: `const posenc::test::rows r{{...}, {...}};`.
struct rows {
  rows(std::initializer_list<error_row> list) {
    for (const auto& r : list) registry().push_back(r);
  }
};

/// A failed status (or result) and whether the output was left alone.
inline outcome failed(const status& st, bool untouched = true) {
  return {st.code(), st.message(), untouched, 0};
}
template <class T>
outcome failed(const result<T>& r, bool untouched = true) {
  if (r) return {errc::ok, "the call succeeded", untouched, 0};
  return failed(r.error(), untouched);
}

/// An output buffer filled with a NaN payload no computation produces; untouched() compares
/// the bytes with that fill.
template <class T>
struct guarded {
  std::vector<T> data;
  explicit guarded(std::size_t n) : data(n) {
    std::memset(static_cast<void*>(data.data()), 0x7b, n * sizeof(T));
  }
  T* ptr() { return data.data(); }
  bool untouched() const {
    const auto* b = reinterpret_cast<const unsigned char*>(data.data());
    for (std::size_t i = 0; i < data.size() * sizeof(T); ++i) {
      if (b[i] != 0x7b) return false;
    }
    return true;
  }
};

/// A scratch directory for CLI rows, removed at exit.
struct cli_dir {
  std::filesystem::path dir;
  cli_dir();
  ~cli_dir();
  /// Writes a text file and returns its path.
  std::string text(const std::string& name, const std::string& content) const;
  /// Writes a float32 .npy of the given shape (values 0.25 * (i % 7) - 0.5).
  std::string floats(const std::string& name, const std::vector<std::int64_t>& shape) const;
  /// Writes a rank-1 int64 .npy.
  std::string ints(const std::string& name, const std::vector<std::int64_t>& values) const;
  /// The output path CLI rows pass with --out; it must not exist after a failing run.
  std::string out() const { return (dir / "out.npy").string(); }
};

/// The shared scratch directory.
const cli_dir& scratch();

/// Runs `posenc args...` in scratch(): exit status, stderr, and untouched = no output file
/// at scratch().out() and exactly one stderr line.
outcome run_cli(const std::vector<std::string>& args);

}  // namespace posenc::test
