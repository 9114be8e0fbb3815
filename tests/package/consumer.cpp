// A downstream program: builds a Llama-3.1 RoPE encoder and checks that rotation keeps norms.
// Built by both consumer projects (find_package and add_subdirectory); exit 0 means it works.
#include <posenc/posenc.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  auto made = posenc::rope::make({.head_dim = 128, .theta = 500000.0,
                                  .scaling = posenc::llama3_scaling{}, .max_positions = 64});
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  std::vector<float> q(4 * 128, 0.5f);
  const std::vector<std::int64_t> positions{0, 1, 63, 100000};
  if (!made->rotate(posenc::heads_view(q.data(), 4, 1, 128), positions).ok()) return 1;
  double norm = 0.0;
  for (float v : q) norm += static_cast<double>(v) * v;
  std::printf("posenc %s: norm %.6f (expected 128)\n", posenc::version_string, norm);
  return std::fabs(norm - 128.0) < 1e-3 ? 0 : 1;
}
