// Rows of docs/errors.md for posenc/relative/: deberta.hpp, xlnet.hpp and shaw.hpp.
#include <posenc/relative/deberta.hpp>
#include <posenc/relative/shaw.hpp>
#include <posenc/relative/xlnet.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "rows.hpp"

namespace {

using posenc::deberta;
using posenc::deberta_config;
using posenc::errc;
using posenc::matrix_view;
using posenc::shaw;
using posenc::tensor_view;
using posenc::xlnet;
using posenc::xlnet_config;
using posenc::test::failed;
using posenc::test::guarded;
using posenc::test::outcome;

// Every input tensor and weight is a view over this read-only pool.
const std::vector<float> pool(1024, 0.25f);

struct dims {
  std::int64_t n0, n1, n2;
  std::size_t size() const { return static_cast<std::size_t>(n0 * n1 * n2); }
};

posenc::view3<const float> input(dims d) { return tensor_view(pool.data(), d.n0, d.n1, d.n2); }
posenc::view2<const float> matrix(std::int64_t rows, std::int64_t cols) {
  return matrix_view(pool.data(), rows, cols);
}
std::span<const float> vec(std::size_t n) { return {pool.data(), n}; }

// add_scores(q, k, 0, logits) with logits a guarded buffer.
template <class Encoder>
outcome scores(const Encoder& e, dims q, dims k, dims logits) {
  guarded<float> out(logits.size());
  const auto view = tensor_view(out.ptr(), logits.n0, logits.n1, logits.n2);
  const auto st = e.add_scores(input(q), input(k), 0, view);
  return failed(st, out.untouched());
}

// DeBERTa v2 without buckets: k = 4, so P has 8 rows; 2 heads of 4, hidden 3.
const deberta_config deberta_cfg{.max_relative_positions = 4, .heads = 2, .head_dim = 4};

// Weights of deberta_cfg with P, key_proj and query_bias of the given sizes.
posenc::deberta_weights deberta_w(std::int64_t p_rows = 8, std::int64_t key_rows = 8,
                                  std::size_t q_bias = 8) {
  return {matrix(p_rows, 3), matrix(key_rows, 3), vec(8), matrix(8, 3), vec(q_bias)};
}
outcome deberta_make(deberta_config cfg) { return failed(deberta::make(cfg, deberta_w())); }
deberta deberta_ok() { return *deberta::make(deberta_cfg, deberta_w()); }

// XLNet: d_model 8, 2 heads of 4, distances [-4, 4].
const xlnet_config xlnet_cfg{.d_model = 8, .heads = 2, .head_dim = 4, .max_distance = 4};

posenc::xlnet_weights xlnet_w(std::int64_t r_weight_cols = 8) {
  return {matrix(2, 4), matrix(2, 4), matrix(8, r_weight_cols)};
}
outcome xlnet_make(xlnet_config cfg) { return failed(xlnet::make(cfg, xlnet_w())); }
xlnet xlnet_ok() { return *xlnet::make(xlnet_cfg, xlnet_w()); }

// Shaw: k = 3 (7-row tables), head_dim 8; q [3, 2, 8], k [5, 2, 8], logits [2, 3, 5].
const posenc::shaw_config shaw_cfg{.max_relative_position = 3, .head_dim = 8};
outcome shaw_make(posenc::shaw_config cfg, std::int64_t wv_cols = 8) {
  return failed(shaw::make(cfg, matrix(7, 8), matrix(7, wv_cols)));
}
shaw shaw_ok() { return *shaw::make(shaw_cfg, matrix(7, 8), matrix(7, 8)); }

const posenc::test::rows relative_rows{
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: max_relative_positions must be in [1, 2^30], got <k>", "got -3",
     [] { return deberta_make({.max_relative_positions = -3, .heads = 2, .head_dim = 4}); }},
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: position_buckets must be in [0, 2^30], got <b>", "got -5",
     [] { return deberta_make({.position_buckets = -5, .heads = 2, .head_dim = 4}); }},
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: v1 has no log buckets, got position_buckets <b>", "position_buckets 6",
     [] {
       return deberta_make({.version = posenc::deberta_version::v1, .position_buckets = 6, .heads = 2,
                            .head_dim = 4});
     }},
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: log buckets need position_buckets >= 2 and max_relative_positions - 1 > position_buckets / 2, "
     "got position_buckets <b> and max_relative_positions <k>",
     "position_buckets 256 and max_relative_positions 100",
     [] {
       return deberta_make({.max_relative_positions = 100, .position_buckets = 256, .heads = 2,
                            .head_dim = 4});
     }},
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: heads and head_dim must be positive, got <cfg.heads> and <cfg.head_dim>", "got 2 and 0",
     [] { return deberta_make({.max_relative_positions = 4, .heads = 2, .head_dim = 0}); }},
    {"posenc/relative/deberta.hpp", errc::invalid_argument,
     "deberta: heads * head_dim must be at most 2^30, got <cfg.heads> * <cfg.head_dim>", "got 1048576 * 2048",
     [] { return deberta_make({.max_relative_positions = 4, .heads = 1 << 20, .head_dim = 1 << 11}); }},
    {"posenc/relative/deberta.hpp", errc::shape_mismatch,
     "deberta: rel_embeddings has <w.rel_embeddings.rows> rows, expected <rows>", "has 7 rows",
     [] { return failed(deberta::make(deberta_cfg, deberta_w(7))); }},
    {"posenc/relative/deberta.hpp", errc::shape_mismatch,
     "deberta: <what> is [<wt.rows>, <wt.cols>], expected [heads * head_dim = <out>, hidden = <p.cols>]",
     "key_proj is [5, 3]", [] { return failed(deberta::make(deberta_cfg, deberta_w(8, 5))); }},
    {"posenc/relative/deberta.hpp", errc::shape_mismatch,
     "deberta: <what> bias has <bias.size()> entries, expected <out>", "query_proj bias has 7 entries",
     [] { return failed(deberta::make(deberta_cfg, deberta_w(8, 8, 7))); }},
    {"posenc/detail/relative.hpp", errc::shape_mismatch,
     "<who>: <what> has [heads, head_dim] [<x.n1>, <x.n2>], expected [<heads>, <head_dim>]",
     "deberta: q has [heads, head_dim] [2, 3]", [] { return scores(deberta_ok(), {3, 2, 3}, {5, 2, 4}, {2, 3, 5}); }},

    {"posenc/relative/shaw.hpp", errc::invalid_argument,
     "shaw: max_relative_position must be in [1, 2^30], got <c.max_relative_position>", "got -2",
     [] { return shaw_make({.max_relative_position = -2, .head_dim = 8}); }},
    {"posenc/relative/shaw.hpp", errc::invalid_argument, "shaw: head_dim must be positive, got <c.head_dim>",
     "got -4", [] { return shaw_make({.max_relative_position = 3, .head_dim = -4}); }},
    {"posenc/relative/shaw.hpp", errc::shape_mismatch,
     "shaw: k has head_dim <k.n2>, expected <cfg_.head_dim>",
     "k has head_dim 5", [] { return scores(shaw_ok(), {3, 2, 8}, {5, 2, 5}, {2, 3, 5}); }},
    {"posenc/relative/shaw.hpp", errc::shape_mismatch,
     "shaw: <what> is [<t.rows>, <t.cols>], expected [2k + 1 = <rows>, head_dim = <cfg.head_dim>]",
     "W^V is [7, 6]", [] { return shaw_make(shaw_cfg, 6); }},
    {"posenc/relative/shaw.hpp", errc::shape_mismatch,
     "shaw: <xn> has head_dim <x.n2>, expected <cfg_.head_dim>",
     "out has head_dim 6",
     [] {
       // add_value_terms: weights [2, 3, 5] into out [3, 2, 6].
       guarded<float> out(3 * 2 * 6);
       const auto st = shaw_ok().add_value_terms(input({2, 3, 5}), 0, tensor_view(out.ptr(), 3, 2, 6));
       return failed(st, out.untouched());
     }},
    {"posenc/relative/shaw.hpp", errc::shape_mismatch,
     "shaw: <yn> is [<y.n0>, <y.n1>, <y.n2>], expected [heads = <x.n1>, Q = <x.n0>, K = <keys>]",
     "logits is [2, 3, 4]", [] { return scores(shaw_ok(), {3, 2, 8}, {5, 2, 8}, {2, 3, 4}); }},

    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: d_model must be even and in [2, 2^20], got <c.d_model>",
     "got 7", [] { return xlnet_make({.d_model = 7, .heads = 2, .head_dim = 4, .max_distance = 4}); }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: clamp_len must be below 2^53, got <c.clamp_len>",
     "got 9007199254740992",
     [] {
       return xlnet_make({.d_model = 8, .clamp_len = std::int64_t{1} << 53, .heads = 2, .head_dim = 4});
     }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: heads and head_dim must be positive, got <cfg.heads> and <cfg.head_dim>", "got 2 and -1",
     [] { return xlnet_make({.d_model = 8, .heads = 2, .head_dim = -1, .max_distance = 4}); }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: max_distance must be in [0, 2^30], got <cfg.max_distance>", "got 9223372036854775807",
     [] {
       return xlnet_make({.d_model = 8, .heads = 2, .head_dim = 4,
                          .max_distance = std::numeric_limits<std::int64_t>::max()});
     }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: without clamp_len, max_distance must be positive, got <cfg.max_distance>", "got 0",
     [] { return xlnet_make({.d_model = 8, .heads = 2, .head_dim = 4, .max_distance = 0}); }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: heads * head_dim must be at most 2^30, got <cfg.heads> * <cfg.head_dim>", "got 65536 * 32768",
     [] { return xlnet_make({.d_model = 8, .heads = 1 << 16, .head_dim = 1 << 15, .max_distance = 4}); }},
    {"posenc/relative/xlnet.hpp", errc::invalid_argument,
     "xlnet: <hi - lo + 1> distances of <per_distance> floats exceed the 2^30-float table limit "
     "(lower max_distance or clamp_len)",
     "134217729 distances of 18 floats",
     // 2^30 / (d_model 8 + width 8 + heads 2) distances at most; [-2^26, 2^26] is 2^27 + 1.
     [] { return xlnet_make({.d_model = 8, .heads = 2, .head_dim = 4, .max_distance = 1 << 26}); }},
    {"posenc/relative/xlnet.hpp", errc::out_of_range,
     "xlnet: distance <r> is outside [<lo_>, <hi_>], the distances this encoder was made for "
     "(raise max_distance)",
     "distance -5", [] { return scores(xlnet_ok(), {3, 2, 4}, {6, 2, 4}, {2, 3, 6}); }},
    {"posenc/relative/xlnet.hpp", errc::shape_mismatch,
     "xlnet: <what> is [<m.rows>, <m.cols>], expected [<rows>, <cols>]",
     "r_weight is [8, 7]", [] { return failed(xlnet::make(xlnet_cfg, xlnet_w(7))); }},
};

}  // namespace
