// Rows of docs/errors.md for posenc/rotary/: rope.hpp and frequencies.hpp.
#include <posenc/rotary/frequencies.hpp>
#include <posenc/rotary/rope.hpp>

#include <cmath>
#include <limits>

#include "rotary.hpp"
#include "rows.hpp"

namespace {

using posenc::compute_frequencies;
using posenc::errc;
using posenc::rope;
using posenc::rope_config;
using posenc::rope_scaling;
using posenc::test::failed;
using posenc::test::outcome;

constexpr const char* rope_file = "posenc/rotary/rope.hpp";
constexpr const char* freq_file = "posenc/rotary/frequencies.hpp";
constexpr double inf = std::numeric_limits<double>::infinity();

// A plain encoder for head_dim 64.
rope head64() { return *rope::make({.head_dim = 64}); }

outcome make(const rope_config& cfg) { return failed(rope::make(cfg)); }

// Frequencies of `scaling` at rotary dim r (theta 10000 unless given).
outcome freqs(std::int64_t r, const rope_scaling& scaling, double theta = 1e4) {
  return failed(compute_frequencies(r, theta, scaling));
}

// Rotates a guarded [tokens, 2, dim] buffer in place with head64().
outcome rotate(std::int64_t tokens, std::int64_t dim, const std::vector<std::int64_t>& positions) {
  return posenc::test::rotate_guarded(head64(), tokens, 2, dim, positions);
}

// A valid YaRN scaling with one field changed by `edit`.
outcome yarn(void (*edit)(posenc::yarn_scaling&)) {
  posenc::yarn_scaling s;
  s.factor = 4, s.original_max_position_embeddings = 4096;
  edit(s);
  return freqs(8, s);
}

// A valid LongRoPE scaling for rotary dim 8 (4 factors each) with one field changed by `edit`.
outcome longrope(void (*edit)(posenc::longrope_scaling&)) {
  posenc::longrope_scaling s;
  s.short_factor = {1, 1, 1, 1}, s.long_factor = {2, 2, 2, 2};
  s.original_max_position_embeddings = 4096, s.max_position_embeddings = 16384;
  edit(s);
  return freqs(8, s);
}

const posenc::test::rows rope_rows{
    {"posenc/tensor.hpp", errc::invalid_argument,
     "<who>: <a_name> and <b_name> overlap in memory: <a_name>[<t>, <h>] and <b_name>[<t - tau>, <h2>] share elements",
     "rope: q and k overlap in memory: q[0, 1] and k[0, 0] share elements",
     [] { return posenc::test::rotate_overlapping(head64()); }},
    {"posenc/tensor.hpp", errc::invalid_argument,
     "<who>: cannot rule out that <a_name> and <b_name> overlap: their address ranges meet and "
     "their token strides (<a.s0> and <b.s0>) differ; pass them in separate calls",
     "rope: cannot rule out that q and k overlap: their address ranges meet and their token "
     "strides (128 and 256) differ",
     [] { return posenc::test::rotate_interleaving(head64()); }},
    {rope_file, errc::invalid_argument, "rope: head_dim must be in [1, <max_head_dim>], got <cfg.head_dim>",
     "got 70000", [] { return make({.head_dim = 70000}); }},
    {rope_file, errc::invalid_argument, "rope: partial_rotary_factor must be in (0, 1], got <f>", "got 1.5",
     [] { return make({.head_dim = 64, .partial_rotary_factor = 1.5}); }},
    {rope_file, errc::invalid_argument,
     "rope: rotary dim must be even and in [2, head_dim = <cfg.head_dim>], got <r>", "got 66",
     [] { return make({.head_dim = 64, .rotary_dim = 66}); }},
    {rope_file, errc::invalid_argument,
     "rope: max_positions must be in [0, <max_table_floats / r>] for rotary dim <r>, got <cfg.max_positions>",
     "got -1", [] { return make({.head_dim = 64, .max_positions = -1}); }},
    {rope_file, errc::invalid_argument, "rope: sequence length must be >= 0, got <seq_len>", "got -5",
     [] { return failed(head64().for_sequence_length(-5)); }},
    {rope_file, errc::invalid_argument, "rope: unknown angle_source <static_cast<int>(cfg.angle_source)>",
     "angle_source 7",
     [] { return make({.head_dim = 64, .angle_source = static_cast<posenc::rope_angle_source>(7)}); }},
    {rope_file, errc::invalid_argument,
     "rope: the two-level rows (<two_level_floats> floats for rotary dim <r>) and max_positions "
     "<cfg.max_positions> exceed the table limit of <max_table_floats> floats",
     "the two-level rows (1073741824 floats for rotary dim 65536) and max_positions 1 exceed",
     [] {
       return make({.head_dim = 65536, .max_positions = 1,
                    .angle_source = posenc::rope_angle_source::two_level});
     }},
    {rope_file, errc::out_of_range, "rope: position <p> is outside (-2^53, 2^53), where angles are exact",
     "position 9007199254740992", [] { return rotate(2, 64, {0, std::int64_t{1} << 53}); }},
    {rope_file, errc::shape_mismatch,
     "rope: <what> has head_dim <x.n2>, the encoder was made for <cfg_.head_dim>", "head_dim 32",
     [] { return rotate(2, 32, {0, 1}); }},
    {rope_file, errc::shape_mismatch, "rope: <positions.size()> positions for <x.n0> tokens of <what>",
     "2 positions for 3 tokens", [] { return rotate(3, 64, {0, 1}); }},

    {freq_file, errc::invalid_argument,
     "rope_scaling (<type>): factor must be a finite number >= 1, got <factor>", "got 0.5",
     [] { return freqs(8, posenc::linear_scaling{.factor = 0.5}); }},
    {freq_file, errc::invalid_argument, "rope_scaling (<type>): <key> must be positive, got <v>",
     "max_position_embeddings must be positive, got -3",
     [] { return freqs(8, posenc::dynamic_scaling{.factor = 2, .max_position_embeddings = -3}); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (dynamic): rotary dim must be > 2 (the NTK exponent is r/(r-2)), got <r>", "got 2",
     [] { return freqs(2, posenc::dynamic_scaling{.factor = 2, .max_position_embeddings = 4096}); }},
    {freq_file, errc::invalid_argument, "rope_scaling (yarn): <key> must be a finite number >= 0, got <v>",
     "beta_slow must be a finite number >= 0, got -1",
     [] { return yarn([](auto& s) { s.beta_slow = -1; }); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (yarn): attention_factor must be positive, got <s.attention_factor>", "got -0.25",
     [] { return yarn([](auto& s) { s.attention_factor = -0.25; }); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (yarn): rope_theta must be > 1 (the correction range divides by ln theta), got <theta>",
     "rope_theta must be > 1", [] {
       return freqs(8, posenc::yarn_scaling{.factor = 4, .original_max_position_embeddings = 4096}, 1.0);
     }},
    {freq_file, errc::invalid_argument, "rope_scaling (longrope): factor must be positive, got <factor>",
     "got -2", [] { return longrope([](auto& s) { s.factor = -2; }); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (longrope): <key> has <v->size()> entries, expected rotary_dim/2 = <n>",
     "short_factor has 3 entries", [] { return longrope([](auto& s) { s.short_factor.pop_back(); }); }},
    {freq_file, errc::invalid_argument, "rope_scaling (longrope): <key> entries must be positive, got <f>",
     "long_factor entries must be positive, got 0",
     [] { return longrope([](auto& s) { s.long_factor[2] = 0; }); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (longrope): attention_factor must be positive, got <s.attention_factor>", "got inf",
     [] { return longrope([](auto& s) { s.attention_factor = inf; }); }},
    {freq_file, errc::invalid_argument,
     "rope_scaling (llama3): need 0 < low_freq_factor < high_freq_factor, got <s.low_freq_factor> and <s.high_freq_factor>",
     "got 4 and 1",
     [] { return freqs(8, posenc::llama3_scaling{.low_freq_factor = 4, .high_freq_factor = 1}); }},
    {freq_file, errc::invalid_argument, "rope: rotary dim must be even and positive, got <rotary_dim>",
     "got 7", [] { return freqs(7, posenc::default_scaling{}); }},
    {freq_file, errc::invalid_argument, "rope: rope_theta must be a finite positive number, got <theta>",
     "got nan", [] { return make({.head_dim = 64, .theta = std::nan("")}); }},
};

}  // namespace
