// libFuzzer target: the Hugging Face config reader on arbitrary bytes. hf::parse, then
// detect_encoding and every *_config_from, whatever the detected encoding (a config for one
// encoding is hostile input for the others). Properties: no crash or UB; errors carry a
// message; a message stays bounded by the input (it names a value; it never grows it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <posenc/io/hf_config.hpp>
#include <string_view>

namespace hf = posenc::hf;

namespace {

std::size_t input_size = 0;

void check_error(const posenc::status& st) {
  if (st.ok()) return;
  if (st.message().empty() || st.message().size() > input_size + 512) {
    std::fprintf(stderr, "fuzz_hf_config: bad message (%zu bytes)\n", st.message().size());
    std::abort();
  }
}

template <class R>
void check(const R& r) {
  if (!r) check_error(r.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  input_size = size;
  auto j = hf::parse(text, "fuzz.json");
  if (!j) return check_error(j.error()), 0;
  check(hf::detect_encoding(*j));
  check(hf::rope_config_from(*j));
  check(hf::fope_config_from(*j));
  check(hf::sinusoidal_config_from(*j));
  check(hf::learned_config_from(*j));
  check(hf::t5_config_from(*j));
  check(hf::alibi_config_from(*j));
  check(hf::shaw_config_from(*j));
  check(hf::deberta_config_from(*j));
  check(hf::xlnet_config_from(*j));
  return 0;
}
