// Internal: a whole file's bytes, for the io/ loaders (.npy files and config.json). A path that
// cannot be opened or read (a directory, say) is an io_error naming it; nothing here throws.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../status.hpp"

namespace posenc::detail {

[[nodiscard]] inline result<std::vector<unsigned char>> read_file(const std::string& path) noexcept {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return make_error(errc::io_error, "cannot open '", path, "': ", std::strerror(errno));
  }
  std::vector<unsigned char> bytes;
  unsigned char buf[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return make_error(errc::io_error, "cannot read '", path, "'");
  return bytes;
}

}  // namespace posenc::detail
