// The encoder concepts (DESIGN.md "Concepts"). Every public encoder models PositionEncoder and
// exactly one refinement, which says how it meets attention. tests/static checks each encoder.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>

#include "status.hpp"
#include "tensor.hpp"

namespace posenc {

/// How an encoding enters attention.
enum class encoder_family : std::uint8_t {
  absolute,  ///< a vector added to the token embedding (sinusoidal, learned)
  rotary,    ///< a rotation of q and k (RoPE, FoPE)
  bias,      ///< an additive logit bias that needs no q or k (T5, ALiBi)
  score,     ///< logit terms computed from q and k (Shaw, Transformer-XL/XLNet, DeBERTa)
};

/// Positions are one signed integer per token.
using positions_span = std::span<const std::int64_t>;

/// What every encoder has: its configuration, a name and a family tag.
template <class E>
concept PositionEncoder = requires(const E& e) {
  typename E::config_type;
  { e.config() } -> std::same_as<const typename E::config_type&>;
  { e.name() } -> std::convertible_to<std::string_view>;
  { E::family } -> std::convertible_to<encoder_family>;
};

/// Absolute encoders fill a [tokens, d] table and add it to embeddings.
template <class E>
concept AbsoluteEncoder = PositionEncoder<E> && E::family == encoder_family::absolute &&
  requires(const E& e, positions_span p, view2<float> out) {
    { e.encode(p, out) } -> std::same_as<status>;
    { e.add_to(out, p) } -> std::same_as<status>;
  };

/// Rotary encoders rotate q and k in place: x is [tokens, heads, head_dim].
template <class E>
concept RotaryEncoder = PositionEncoder<E> && E::family == encoder_family::rotary &&
  requires(const E& e, view3<float> x, positions_span p) {
    { e.rotate(x, p) } -> std::same_as<status>;
    { e.rotate(x, x, p) } -> std::same_as<status>;
  };

/// Bias encoders write an additive [heads, q_len, k_len] logit bias; query i sits at
/// position q_offset + i, key j at j.
template <class E>
concept BiasEncoder = PositionEncoder<E> && E::family == encoder_family::bias &&
  requires(const E& e, std::int64_t n, view3<float> out) {
    { e.bias(n, n, n, out) } -> std::same_as<status>;
  };

/// Score encoders add their position terms, unscaled, to logits [heads, Q, K] holding q . k,
/// given q [Q, heads, d] and k [K, heads, d]; query i sits at position q_offset + i, key j at j.
/// check_scores() runs add_scores' checks alone (writing nothing), so a caller can validate
/// before it fills logits with q . k. scale() is the factor the reference then multiplies the sum by (1/sqrt(d) for Shaw and
/// XLNet, 1/sqrt(d * scale_factor) for DeBERTa).
template <class E>
concept ScoreEncoder = PositionEncoder<E> && E::family == encoder_family::score &&
  requires(const E& e, view3<const float> q, view3<const float> k, std::int64_t q_offset,
           view3<float> logits) {
    { e.add_scores(q, k, q_offset, logits) } -> std::same_as<status>;
    { e.check_scores(q, k, q_offset, logits) } -> std::same_as<status>;
    { e.scale() } -> std::convertible_to<double>;
  };

}  // namespace posenc
