// Compiled with -fno-exceptions -fno-rtti (tests/CMakeLists.txt): every public header must
// build that way, io/ included, and the checked entry points must still report errors.
#include <posenc/posenc.hpp>
#include <posenc/io/hf_config.hpp>
#include <posenc/io/npy.hpp>

int posenc_no_exceptions_probe() {
  auto r = posenc::rope::make({.head_dim = 7});
  return r ? 0 : static_cast<int>(r.error().code());
}
