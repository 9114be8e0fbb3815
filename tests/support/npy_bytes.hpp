// Builds .npy file images in memory for the reader's tests.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace posenc::test {

/// A .npy file: magic, version major.0, the header dict padded with spaces to a multiple of 64
/// bytes as NumPy writes it, then n bytes of data (zeros when data is null).
inline std::vector<unsigned char> npy_bytes(const std::string& dict, const void* data, std::size_t n,
                                            int major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<unsigned char> b{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  const std::size_t len = header.size();
  b.push_back(static_cast<unsigned char>(len & 0xff));
  b.push_back(static_cast<unsigned char>(len >> 8));
  if (major == 2) b.push_back(0), b.push_back(0);
  b.insert(b.end(), header.begin(), header.end());
  if (data == nullptr) {
    b.resize(b.size() + n, 0);
  } else {
    const auto* p = static_cast<const unsigned char*>(data);
    b.insert(b.end(), p, p + n);
  }
  return b;
}

}  // namespace posenc::test
