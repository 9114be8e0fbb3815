// Rows of docs/errors.md for posenc/rotary/linear_attention.hpp.
#include <posenc/rotary/linear_attention.hpp>

#include <cstdint>
#include <vector>

#include "rows.hpp"

namespace {

using posenc::errc;
using posenc::feature_map;
using posenc::heads_view;
using posenc::linear_attention_config;
using posenc::matrix_view;
using posenc::rope_linear_attention;
using posenc::view3;
using posenc::test::failed;
using posenc::test::guarded;
using posenc::test::outcome;

constexpr auto file = "posenc/rotary/linear_attention.hpp";

// Problem size: 3 tokens, 2 heads, input and feature dim 8, value dim 4.
constexpr std::int64_t tokens = 3, heads = 2, dim = 8, value_dim = 4;
const std::vector<float> inputs(tokens * heads * dim, 0.25f);
const std::vector<float> values(tokens * heads * value_dim, 0.5f);
const std::vector<std::int64_t> positions{0, 1, 2};

// elu1 features over a rope of head_dim 8, with one field changed by `edit`.
template <class Edit>
auto make(Edit edit) {
  linear_attention_config cfg{.rope = {.head_dim = dim}, .chunk_tokens = 2};
  edit(cfg);
  return rope_linear_attention::make(cfg);
}
const rope_linear_attention& encoder() {
  static const rope_linear_attention e = *make([](linear_attention_config&) {});
  return e;
}

// q (and k) [tokens, heads, dim] over `inputs`, with other head counts or dims for bad shapes.
view3<const float> rows(std::int64_t h = heads, std::int64_t d = dim) {
  return heads_view(inputs.data(), tokens, h, d);
}
view3<const float> vals() { return heads_view(values.data(), tokens, heads, value_dim); }

// Calls f(out) with a guarded out [tokens, heads, value_dim].
template <class F>
outcome into_out(F f) {
  guarded<float> out(static_cast<std::size_t>(tokens * heads * value_dim));
  const auto st = f(heads_view(out.ptr(), tokens, heads, value_dim));
  return failed(st, out.untouched());
}

// Non-causal attention of q = rows() against keys k at `pos`.
outcome attend(view3<const float> k, std::vector<std::int64_t> pos) {
  return into_out([&](view3<float> o) { return encoder().attend(rows(), k, vals(), pos, o, false); });
}

const posenc::test::rows linear_attention_rows{
    {file, errc::invalid_argument, "linear attention: input_dim must be positive, got <d>", "got -3",
     [] { return failed(make([](linear_attention_config& c) { c.input_dim = -3; })); }},
    {file, errc::invalid_argument, "linear attention: feature map 'custom' needs custom_map",
     "'custom' needs custom_map",
     [] { return failed(make([](linear_attention_config& c) { c.map = feature_map::custom; })); }},
    {file, errc::invalid_argument,
     "linear attention: feature map '<feature_map_name(cfg.map)>' keeps the width, so input_dim (<d>) must "
     "equal the rotary head_dim (<m>)",
     "'relu' keeps the width, so input_dim (6)", [] {
       return failed(make([](linear_attention_config& c) {
         c.map = feature_map::relu;
         c.input_dim = 6;
       }));
     }},
    {file, errc::invalid_argument,
     "linear attention: key_sum_epsilon must be finite and >= 0, got <cfg.key_sum_epsilon>", "got -0.5",
     [] { return failed(make([](linear_attention_config& c) { c.key_sum_epsilon = -0.5f; })); }},
    {file, errc::invalid_argument,
     "linear attention: chunk_tokens must be in [1, <max_chunk_tokens>], got <cfg.chunk_tokens>", "got 5000",
     [] { return failed(make([](linear_attention_config& c) { c.chunk_tokens = 5000; })); }},
    {file, errc::shape_mismatch,
     "linear attention: <what> has shape [<x.rows>, <x.cols>], expected [heads = <heads_>, <dim>]",
     "q has shape [2, 7]", [] {
       auto state = *encoder().make_state(heads, value_dim);
       guarded<float> out(static_cast<std::size_t>(heads * value_dim));
       const auto st = state.query(matrix_view(inputs.data(), heads, dim - 1), 0,
                                   matrix_view(out.ptr(), heads, value_dim));
       return failed(st, out.untouched());
     }},
    {file, errc::shape_mismatch,
     "linear attention: <what> has shape [<x.n0>, <x.n1>, <x.n2>], expected [tokens, heads = <heads_>, "
     "<dim>]",
     "k has shape [3, 1, 8]", [] { return attend(rows(1), positions); }},
    {file, errc::shape_mismatch, "linear attention: <positions.size()> positions for <x.n0> tokens of <what>",
     "2 positions for 3 tokens of k", [] { return attend(rows(), {0, 1}); }},
    {file, errc::out_of_range,
     "linear attention: position <p> is outside (-2^53, 2^53), where angles are exact",
     "position -9007199254740992", [] { return attend(rows(), {0, -(std::int64_t{1} << 53), 2}); }},
    {"posenc/tensor.hpp", errc::invalid_argument,
     "<who>: <a_name> and <b_name> overlap in memory: <a_name>[<t>, <h>] and <b_name>[<t - tau>, <h2>] share elements",
     "linear attention: out and v overlap in memory: out[0, 0] and v[0, 0] share elements", [] {
       // v and out are the same buffer.
       return into_out([](view3<float> o) {
         return encoder().attend(rows(), rows(), o, positions, o, true);
       });
     }},
    {file, errc::invalid_argument,
     "linear attention: heads and value_dim must be positive, got <heads> and <value_dim>", "got 2 and 0",
     [] { return failed(encoder().make_state(heads, 0)); }},
    {file, errc::invalid_argument,
     "linear attention: a state for <heads> heads, feature dim <m> and value dim <value_dim> is too large",
     "value dim 268435456", [] { return failed(encoder().make_state(1, std::int64_t{1} << 28)); }},
    {file, errc::invalid_argument, "linear attention: the state was made by another encoder",
     "made by another encoder", [] {
       const auto other = *make([](linear_attention_config&) {});
       auto state = *other.make_state(heads, value_dim);
       return into_out([&](view3<float> o) {
         return encoder().attend(rows(), rows(), vals(), positions, o, false, state);
       });
     }},
};

}  // namespace
