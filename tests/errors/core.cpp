// Rows of docs/errors.md for the core headers: tensor.hpp (view checks), kernels/dispatch.hpp,
// attention.hpp and detail/toeplitz.hpp (detail/relative.hpp's row is in relative.cpp). The
// internal checks are reached through public calls: ALiBi's bias() (view3 and bias extents),
// shaw_relative_ids() (view2 and [Q, K] outputs) and attention_logits().
#include <posenc/attention.hpp>
#include <posenc/kernels/dispatch.hpp>
#include <posenc/relative/alibi.hpp>
#include <posenc/relative/shaw.hpp>
#include <posenc/tensor.hpp>

#include <array>
#include <limits>

#include "rows.hpp"

namespace {

using posenc::errc;
using posenc::isa;
using posenc::view2;
using posenc::view3;
using posenc::test::failed;
using posenc::test::guarded;
using posenc::test::outcome;
using extents3 = std::array<std::int64_t, 3>;

constexpr std::int64_t big = (std::int64_t{1} << 51) + 1;  // just past detail::max_bias_extent

posenc::alibi two_heads() { return *posenc::alibi::make({.num_heads = 2}); }

// ALiBi's bias(q_len, k_len, q_offset) into a view of a guarded buffer with extents n and
// strides (s0, s1); the view's data is null when null_data.
outcome alibi_bias(std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset, extents3 n,
                   std::int64_t s0, std::int64_t s1, bool null_data = false) {
  guarded<float> out(64);
  const view3<float> v{null_data ? nullptr : out.ptr(), n[0], n[1], n[2], s0, s1};
  return failed(two_heads().bias(q_len, k_len, q_offset, v), out.untouched());
}
// The same for q_len 3, k_len 4, offset 0: out must be [2, 3, 4].
outcome alibi_out(extents3 n, std::int64_t s0, std::int64_t s1, bool null_data = false) {
  return alibi_bias(3, 4, 0, n, s0, s1, null_data);
}

// shaw_relative_ids(q_len 3, k_len 4) into a guarded [rows, cols] view with a row stride.
outcome shaw_ids(std::int64_t rows, std::int64_t cols, std::int64_t stride) {
  guarded<std::int64_t> out(64);
  const view2<std::int64_t> v{out.ptr(), rows, cols, stride};
  const auto st = posenc::shaw_relative_ids({.max_relative_position = 2, .head_dim = 4}, 3, 4, 0, v);
  return failed(st, out.untouched());
}

// attention_logits(ALiBi with 2 heads) for contiguous q, k and a guarded logits buffer.
outcome logits(extents3 q, extents3 k, extents3 out) {
  const std::vector<float> qd(static_cast<std::size_t>(q[0] * q[1] * q[2]), 0.5f);
  const std::vector<float> kd(static_cast<std::size_t>(k[0] * k[1] * k[2]), 0.25f);
  guarded<float> l(static_cast<std::size_t>(out[0] * out[1] * out[2]));
  const auto st = posenc::attention_logits(two_heads(), posenc::tensor_view(qd.data(), q[0], q[1], q[2]),
                                           posenc::tensor_view(kd.data(), k[0], k[1], k[2]), 0, 1.0,
                                           posenc::tensor_view(l.ptr(), out[0], out[1], out[2]));
  return failed(st, l.untouched());
}

// An ISA this build or CPU cannot run (NEON on x86-64, AVX2 elsewhere).
isa unsupported_isa() {
  for (isa i : {isa::neon, isa::avx2, isa::avx512}) {
    if (!posenc::isa_supported(i)) return i;
  }
  return isa::scalar;  // unreachable: no build supports both x86-64 and AArch64 kernels
}

// force_isa(unsupported_isa()); untouched: the active ISA did not change. The active ISA is
// pinned back to what it was in any case.
outcome force_unsupported() {
  const isa before = posenc::active_isa();
  const auto st = posenc::force_isa(unsupported_isa());
  const bool kept = posenc::active_isa() == before;
  (void)posenc::force_isa(before);
  return failed(st, kept);
}

const std::string tensor_hpp = "posenc/tensor.hpp";
const std::string toeplitz_hpp = "posenc/detail/toeplitz.hpp";
const std::string attention_hpp = "posenc/attention.hpp";
constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();

const posenc::test::rows core_rows{
    // validate(view3), through ALiBi's out [heads, Q, K]
    {tensor_hpp, errc::shape_mismatch, "<what>: negative extent [<v.n0>, <v.n1>, <v.n2>]",
     "out: negative extent [2, -3, 4]", [] { return alibi_out({2, -3, 4}, 12, 4); }},
    {tensor_hpp, errc::invalid_argument, "<what>: null data pointer", "out: null data pointer",
     [] { return alibi_out({2, 3, 4}, 12, 4, /*null_data=*/true); }},
    {tensor_hpp, errc::shape_mismatch, "<what>: negative stride (<v.s0>, <v.s1>)",
     "out: negative stride (-12, 4)", [] { return alibi_out({2, 3, 4}, -12, 4); }},
    {tensor_hpp, errc::shape_mismatch, "<what>: strides (<v.s0>, <v.s1>) overflow the address range",
     "strides (9223372036854775807, 4)", [] { return alibi_out({3, 3, 4}, int64_max, 4); }},
    {tensor_hpp, errc::shape_mismatch,
     "<what>: strides (<v.s0>, <v.s1>) make rows of shape [<v.n0>, <v.n1>, <v.n2>] overlap",
     "strides (4, 4) make rows of shape [2, 3, 4] overlap", [] { return alibi_out({2, 3, 4}, 4, 4); }},
    // validate(view2), through shaw_relative_ids' out [Q, K]
    {tensor_hpp, errc::shape_mismatch, "<what>: negative extent [<v.rows>, <v.cols>]",
     "out: negative extent [3, -4]", [] { return shaw_ids(3, -4, 4); }},
    {tensor_hpp, errc::shape_mismatch,
     "<what>: row stride <v.stride> is smaller than the row length <v.cols>",
     "row stride 3 is smaller than the row length 4", [] { return shaw_ids(3, 4, 3); }},

    {"posenc/kernels/dispatch.hpp", errc::invalid_argument,
     "unknown ISA '<name>' (expected scalar, avx2, avx512 or neon)", "unknown ISA 'avx1024'",
     [] { return failed(posenc::parse_isa("avx1024")); }},
    {"posenc/kernels/dispatch.hpp", errc::unsupported,
     "ISA '<isa_name(i)>' is not supported by this CPU or build",
     "ISA '" + std::string(posenc::isa_name(unsupported_isa())) + "'", force_unsupported},

    // q, k: [tokens, heads, head_dim]; logits [heads, Q, K]
    {attention_hpp, errc::shape_mismatch, "attention_logits: q has head_dim <q.n2> but k has <k.n2>",
     "q has head_dim 8 but k has 6", [] { return logits({3, 2, 8}, {4, 2, 6}, {2, 3, 4}); }},
    {attention_hpp, errc::shape_mismatch,
     "attention_logits: <q.n1> query heads are not a multiple of <k.n1> key heads",
     "3 query heads are not a multiple of 2 key heads",
     [] { return logits({3, 3, 8}, {4, 2, 8}, {3, 3, 4}); }},
    {attention_hpp, errc::shape_mismatch,
     "attention_logits: logits is [<logits.n0>, <logits.n1>, <logits.n2>], expected [<q.n1>, <q.n0>, <k.n0>]",
     "logits is [2, 4, 3], expected [2, 3, 4]", [] { return logits({3, 2, 8}, {4, 2, 8}, {2, 4, 3}); }},

    {toeplitz_hpp, errc::shape_mismatch,
     "<who>: out has shape [<out.rows>, <out.cols>], expected [Q, K] = [<q_len>, <k_len>]",
     "shaw: out has shape [4, 3], expected [Q, K] = [3, 4]", [] { return shaw_ids(4, 3, 3); }},

    // detail::check_bias_extents and check_bias_out, through ALiBi
    {toeplitz_hpp, errc::invalid_argument,
     "<who>: q_len and k_len must be in [0, 2^51], got <q_len> and <k_len>",
     "alibi: q_len and k_len must be in [0, 2^51], got 3 and 2251799813685249",
     [] { return alibi_bias(3, big, 0, {2, 3, 4}, 12, 4); }},
    {toeplitz_hpp, errc::out_of_range, "<who>: query offset must be in [-2^51, 2^51], got <q_offset>",
     "alibi: query offset must be in [-2^51, 2^51], got -2251799813685249",
     [] { return alibi_bias(3, 4, -big, {2, 3, 4}, 12, 4); }},
    {toeplitz_hpp, errc::shape_mismatch,
     "<who>: <what> has shape [<out.n0>, <out.n1>, <out.n2>], expected [heads, Q, K] = [<heads>, <q_len>, <k_len>]",
     "alibi: out has shape [2, 4, 3], expected [heads, Q, K] = [2, 3, 4]",
     [] { return alibi_out({2, 4, 3}, 12, 3); }},
};

}  // namespace
