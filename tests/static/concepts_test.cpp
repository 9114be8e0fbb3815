// concepts.hpp: every encoder models PositionEncoder and exactly one refinement, and types
// that lack a requirement are rejected. All checks are compile-time; the test case only
// records that this translation unit compiled.
#include <posenc/posenc.hpp>

#include <catch2/catch.hpp>

namespace {

template <class E>
constexpr int refinements() {
  return int{posenc::AbsoluteEncoder<E>} + int{posenc::RotaryEncoder<E>} +
         int{posenc::BiasEncoder<E>} + int{posenc::ScoreEncoder<E>};
}

template <class E, posenc::encoder_family F>
constexpr bool models_only() {
  return posenc::PositionEncoder<E> && refinements<E>() == 1 && E::family == F;
}

using posenc::encoder_family;
static_assert(models_only<posenc::rope, encoder_family::rotary>());
static_assert(models_only<posenc::fope, encoder_family::rotary>());
static_assert(models_only<posenc::sinusoidal, encoder_family::absolute>());
static_assert(models_only<posenc::learned, encoder_family::absolute>());
static_assert(models_only<posenc::t5, encoder_family::bias>());
static_assert(models_only<posenc::alibi, encoder_family::bias>());
static_assert(models_only<posenc::shaw, encoder_family::score>());
static_assert(models_only<posenc::xlnet, encoder_family::score>());
static_assert(models_only<posenc::deberta, encoder_family::score>());

// Misuse does not satisfy the concepts.
struct no_config {
  static constexpr encoder_family family = encoder_family::bias;
  std::string_view name() const { return "x"; }
};
static_assert(!posenc::PositionEncoder<no_config>);
static_assert(!posenc::PositionEncoder<int>);

struct wrong_family {  // claims rotary but only has a bias
  using config_type = int;
  static constexpr encoder_family family = encoder_family::rotary;
  const int& config() const;
  std::string_view name() const;
  posenc::status bias(std::int64_t, std::int64_t, std::int64_t, posenc::view3<float>) const;
};
static_assert(posenc::PositionEncoder<wrong_family>);
static_assert(!posenc::RotaryEncoder<wrong_family> && !posenc::BiasEncoder<wrong_family>);

struct rotate_returns_void {
  using config_type = int;
  static constexpr encoder_family family = encoder_family::rotary;
  const int& config() const;
  std::string_view name() const;
  void rotate(posenc::view3<float>, posenc::positions_span) const;
  void rotate(posenc::view3<float>, posenc::view3<float>, posenc::positions_span) const;
};
static_assert(!posenc::RotaryEncoder<rotate_returns_void>);  // errors must be reported

}  // namespace

TEST_CASE("encoder concepts hold at compile time", "[concepts]") { SUCCEED(); }
