// Rows of docs/errors.md for posenc/rotary/fope.hpp.
#include <posenc/rotary/fope.hpp>

#include <cmath>

#include "rotary.hpp"
#include "rows.hpp"

namespace {

using posenc::errc;
using posenc::fope;
using posenc::fope_coefficients;
using posenc::fope_config;
using posenc::test::failed;
using posenc::test::outcome;

constexpr const char* file = "posenc/rotary/fope.hpp";

// head_dim 64, 2 coefficient heads, floor at L = 512: M = 16 inputs, N = 16 outputs.
fope_config config() { return {.head_dim = 64, .heads = 2, .max_sequence_length = 512}; }
fope_coefficients coefficients() { return *fope::init_coefficients(config(), 1); }

fope encoder() { return *fope::make(config(), coefficients()); }

// make() with `cfg` and the given coefficients (those of config() by default).
outcome make(const fope_config& cfg, fope_coefficients c = coefficients()) {
  return failed(fope::make(cfg, std::move(c)));
}

// make() with config() and its coefficients changed by `edit`.
outcome make_edited(void (*edit)(fope_coefficients&)) {
  auto c = coefficients();
  edit(c);
  return make(config(), std::move(c));
}

// Applies config()'s encoder in place to a guarded [tokens, heads, dim] buffer.
outcome rotate(std::int64_t tokens, std::int64_t heads, std::int64_t dim,
               const std::vector<std::int64_t>& positions) {
  return posenc::test::rotate_guarded(encoder(), tokens, heads, dim, positions);
}

const posenc::test::rows fope_rows{
    {file, errc::invalid_argument, "fope: head_dim must be even and in [2, <max_head_dim>], got <d>", "got 7",
     [] { return make({.head_dim = 7}); }},
    {file, errc::invalid_argument, "fope: heads must be in [1, <max_heads>], got <cfg.heads>", "got 0",
     [] { return make({.head_dim = 64, .heads = 0}); }},
    {file, errc::invalid_argument, "fope: rope_theta must be a finite positive number, got <cfg.theta>",
     "got -1", [] { return make({.head_dim = 64, .theta = -1}); }},
    {file, errc::invalid_argument, "fope: max_sequence_length must be >= 0, got <cfg.max_sequence_length>",
     "got -5", [] { return make({.head_dim = 64, .max_sequence_length = -5}); }},
    {file, errc::invalid_argument, "fope: rope_floor_freq_ratio must be positive, got <cfg.floor_freq_ratio>",
     "got nan", [] { return make({.head_dim = 64, .floor_freq_ratio = std::nan("")}); }},
    {file, errc::invalid_argument, "fope: fourier_dim must be even and at most 2^21, got <cfg.fourier_dim>",
     "got 101", [] { return make({.head_dim = 64, .fourier_dim = 101}); }},
    {file, errc::invalid_argument, "fope: <m> Fourier inputs exceed the limit <max_inputs>",
     "fope: 2048 Fourier inputs", [] { return make({.head_dim = 64, .fourier_dim = 4096}); }},
    {file, errc::invalid_argument, "fope: init gain must be finite and >= 0, got <gain>", "got -0.1",
     [] { return failed(fope::init_coefficients(config(), 1, -0.1)); }},
    {file, errc::shape_mismatch,
     "fope: coefficients have shape [<coef.heads>, <coef.inputs>, <coef.outputs>], the config needs [<heads>, <m>, <b->outputs>] (heads, M, N)",
     "[2, 16, 15]", [] { return make_edited([](auto& c) { c.outputs = 15; }); }},
    {file, errc::shape_mismatch,
     "fope: coefficient arrays hold <coef.sin.size()> and <coef.cos.size()> values, expected <size>",
     "hold 511 and 512", [] { return make_edited([](auto& c) { c.sin.pop_back(); }); }},
    {file, errc::invalid_argument, "fope: coefficients must be finite, got <e>", "got nan",
     [] { return make_edited([](auto& c) { c.cos[3] = std::nanf(""); }); }},
    {file, errc::invalid_argument,
     "fope: max_positions must be in [0, <max_table_floats / (heads * cfg.head_dim)>], got <cfg.max_positions>",
     "got -1", [] {
       auto cfg = config();
       cfg.max_positions = -1;
       return make(cfg);
     }},
    {"posenc/tensor.hpp", errc::invalid_argument,
     "<who>: <a_name> and <b_name> overlap in memory: <a_name>[<t>, <h>] and <b_name>[<t - tau>, <h2>] share elements",
     "fope: q and k overlap in memory: q[0, 1] and k[0, 0] share elements",
     [] { return posenc::test::rotate_overlapping(encoder()); }},
    {file, errc::shape_mismatch, "fope: <what> has head_dim <x.n2>, the encoder was made for <cfg_.head_dim>",
     "head_dim 32", [] { return rotate(3, 2, 32, {0, 1, 2}); }},
    {file, errc::shape_mismatch,
     "fope: <what> has <x.n1> heads but the coefficients are per head for <coef_.heads>", "has 3 heads",
     [] { return rotate(2, 3, 64, {0, 1}); }},
    {file, errc::shape_mismatch, "fope: <positions.size()> positions for <x.n0> tokens of <what>",
     "2 positions for 3 tokens", [] { return rotate(3, 2, 64, {0, 1}); }},
    {file, errc::out_of_range, "fope: position <p> is outside (-2^53, 2^53), where angles are exact",
     "position -9007199254740992", [] { return rotate(2, 2, 64, {0, -(std::int64_t{1} << 53)}); }},
};

}  // namespace
