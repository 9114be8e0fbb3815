// Rows of docs/errors.md for posenc/absolute/: learned.hpp and sinusoidal.hpp.
#include <posenc/absolute/learned.hpp>
#include <posenc/absolute/sinusoidal.hpp>

#include <cstdint>
#include <vector>

#include "rows.hpp"

namespace {

using posenc::errc;
using posenc::learned;
using posenc::matrix_view;
using posenc::sinusoidal;
using posenc::test::failed;
using posenc::test::guarded;
using posenc::test::outcome;

// A 6 x 4 learned table (rows 6, offset 2: positions -2 .. 3).
const std::vector<float> table(24, 0.5f);
learned six_rows() { return *learned::make({.rows = 6, .hidden_size = 4, .position_offset = 2}, matrix_view(table.data(), 6, 4)); }

// Encodes `positions` into a guarded [rows, cols] buffer.
template <class Encoder>
outcome encode(const Encoder& e, std::vector<std::int64_t> positions, std::int64_t rows, std::int64_t cols) {
  guarded<float> out(static_cast<std::size_t>(rows * cols));
  const auto st = e.encode(positions, matrix_view(out.ptr(), rows, cols));
  return failed(st, out.untouched());
}

const posenc::test::rows absolute_rows{
    {"posenc/absolute/learned.hpp", errc::invalid_argument,
     "learned: the table shape [<cfg.rows>, <cfg.hidden_size>] must be positive", "[0, 4]",
     [] { return failed(learned::make({.rows = 0, .hidden_size = 4}, matrix_view(table.data(), 0, 4))); }},
    {"posenc/absolute/learned.hpp", errc::invalid_argument,
     "learned: position_offset must be in [0, <cfg.rows>), got <cfg.position_offset>", "got 6",
     [] { return failed(learned::make({.rows = 6, .hidden_size = 4, .position_offset = 6}, matrix_view(table.data(), 6, 4))); }},
    {"posenc/absolute/learned.hpp", errc::shape_mismatch,
     "learned: the table has shape [<table.rows>, <table.cols>], the config says [<cfg.rows>, <cfg.hidden_size>]",
     "[4, 6]", [] { return failed(learned::make({.rows = 6, .hidden_size = 4}, matrix_view(table.data(), 4, 6))); }},
    {"posenc/absolute/learned.hpp", errc::shape_mismatch,
     "learned: <what> has shape [<v.rows>, <v.cols>], expected [<positions.size()>, <cfg_.hidden_size>]",
     "[2, 5]", [] { return encode(six_rows(), {0, 1}, 2, 5); }},
    {"posenc/absolute/learned.hpp", errc::out_of_range,
     "learned: position <p> is outside the table's range [<min_position()>, <end_position()>) (<cfg_.rows> rows, position_offset <cfg_.position_offset>)",
     "position 4", [] { return encode(six_rows(), {0, 4}, 2, 4); }},

    {"posenc/absolute/sinusoidal.hpp", errc::invalid_argument,
     "sinusoidal: d_model must be even and in [2, <max_d_model>], got <cfg.d_model>", "got 7",
     [] { return failed(sinusoidal::make({.d_model = 7})); }},
    {"posenc/absolute/sinusoidal.hpp", errc::invalid_argument,
     "sinusoidal: base must be a finite number above 1, got <cfg.base>", "got 0.5",
     [] { return failed(sinusoidal::make({.d_model = 8, .base = 0.5})); }},
    {"posenc/absolute/sinusoidal.hpp", errc::shape_mismatch,
     "sinusoidal: <what> has shape [<v.rows>, <v.cols>], expected [<positions.size()>, <cfg_.d_model>]",
     "expected [3, 8]", [] { return encode(*sinusoidal::make({.d_model = 8}), {0, 1, 2}, 3, 6); }},
    {"posenc/absolute/sinusoidal.hpp", errc::out_of_range,
     "sinusoidal: position <p> is outside (-2^53, 2^53), where phases are exact", "position 9007199254740992",
     [] { return encode(*sinusoidal::make({.d_model = 8}), {0, std::int64_t{1} << 53}, 2, 8); }},
};

}  // namespace
