// Rows of docs/errors.md for posenc/relative/: t5.hpp and alibi.hpp.
#include <posenc/relative/alibi.hpp>
#include <posenc/relative/t5.hpp>

#include <cstdint>
#include <vector>

#include "rows.hpp"

namespace {

using posenc::alibi;
using posenc::errc;
using posenc::matrix_view;
using posenc::t5;
using posenc::t5_buckets;
using posenc::test::failed;
using posenc::test::guarded;
using posenc::test::outcome;

constexpr auto t5_file = "posenc/relative/t5.hpp";
constexpr auto alibi_file = "posenc/relative/alibi.hpp";

// A bucket table of 128 floats, viewed as [rows, cols] with rows * cols <= 128.
const std::vector<float> table(128, 0.5f);
outcome make_t5(std::int64_t num_heads, std::int64_t rows, std::int64_t cols) {
  return failed(t5::make({.num_heads = num_heads}, matrix_view(table.data(), rows, cols)));
}

const posenc::test::rows t5_alibi_rows{
    {t5_file, errc::invalid_argument,
     "t5: num_buckets must be in [<min_buckets>, <max_num_buckets>] for <cfg.bidirectional ? \"a "
     "bidirectional\" : \"a decoder\"> bias, got <cfg.num_buckets>",
     "a decoder bias, got 1",
     [] { return failed(t5_buckets::make({.num_buckets = 1, .bidirectional = false})); }},
    {t5_file, errc::invalid_argument,
     "t5: max_distance must be in (<exact>, 2^53] (above the exact buckets), got <cfg.max_distance>", "got 5",
     [] { return failed(t5_buckets::make({.num_buckets = 32, .max_distance = 5})); }},
    {t5_file, errc::invalid_argument, "t5: num_heads must be positive, got <cfg.num_heads>", "got -2",
     [] { return make_t5(-2, 32, 4); }},
    {t5_file, errc::shape_mismatch,
     "t5: the bucket table has shape [<w.rows>, <w.cols>], expected [num_buckets, num_heads] = "
     "[<cfg.num_buckets>, <cfg.num_heads>]",
     "[16, 8]", [] { return make_t5(4, 16, 8); }},

    {alibi_file, errc::invalid_argument, "alibi: num_heads must be in [1, <max_heads>], got <cfg.num_heads>",
     "got 70000", [] { return failed(alibi::make({.num_heads = 70000})); }},
    {alibi_file, errc::invalid_argument,
     "alibi: bias_max must be a finite positive number, got <cfg.bias_max>", "got -1.5",
     [] { return failed(alibi::make({.num_heads = 4, .bias_max = -1.5})); }},
};

}  // namespace
