// Shared pieces of the posenc CLI: parsed arguments, .npy input/output helpers, and the
// handler signature every operation implements. A handler validates everything, computes,
// and writes its one output file last (atomically), so a failure leaves no file behind.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <posenc/io/hf_config.hpp>
#include <posenc/io/npy.hpp>
#include <posenc/status.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace posenc::cli {

/// Everything the command line carried; which fields matter depends on the operation.
struct args {
  std::string op;             ///< rope, table, relpos, bias, linear-attention, tour, bench
  std::string config_path;    ///< --config
  hf::json config;            ///< the parsed config
  hf::encoding enc{};         ///< its encoding ("encoding" key or model_type)
  std::string positions, in, weights, q, k, v, out;
  std::int64_t q_len = -1, k_len = -1, query_offset = 0;
  bool causal = false;
  bool json = false;                 ///< bench --json
  std::int64_t bench_tokens = 512;   ///< bench --tokens
};

/// A float tensor read from .npy.
struct tensor {
  std::vector<float> data;
  std::vector<std::int64_t> shape;
};

/// An operation for one encoding.
using handler = status (*)(const args&);

/// Fails with an error naming the flag when a path option was not given.
status require_flag(const std::string& value, std::string_view flag);
/// Reads a rank-1 integer array (<i4 or <i8) of positions; `flag` names it in errors.
result<std::vector<std::int64_t>> read_positions(const std::string& path, std::string_view flag);
/// Reads a floating array of the given rank as float32; `flag` names it in errors.
result<tensor> read_floats(const std::string& path, std::string_view flag, std::size_t rank);
/// Writes a float32 (<f4) output file.
status write_floats(const std::string& path, std::span<const float> data,
                    std::span<const std::int64_t> shape);
/// Writes an int64 (<i8) output file.
status write_ints(const std::string& path, std::span<const std::int64_t> data,
                  std::span<const std::int64_t> shape);
/// X [tokens, heads, head_dim] and P [tokens] of the rope operation (--in, --positions).
struct rotary_input {
  tensor x;
  std::vector<std::int64_t> positions;
};
/// Reads --in and --positions and checks they agree with each other and with head_dim.
result<rotary_input> read_rotary_input(const args& a, std::int64_t head_dim);
/// The largest position + 1 (0 for none): the sequence length Hugging Face derives dynamic and
/// LongRoPE scaling from (positions past 2^53 are rejected later; the + 1 cannot overflow).
std::int64_t sequence_length(std::span<const std::int64_t> positions);
/// "(2, 3, 4)".
std::string shape_string(std::span<const std::int64_t> shape);
/// Fails when an output shape has a negative extent or more than 2^30 elements (4 GiB of float).
status check_output_size(std::span<const std::int64_t> shape);

/// Median wall time of f over `runs` calls, in seconds (the tour's and bench's clock).
/// n standard-normal floats from a fixed seed: demo and timing inputs for tour and bench.
inline std::vector<float> random_floats(std::int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

template <class F>
double median_seconds(F&& f, int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// posenc tour: a guided run over real model configs (the README's first command).
status tour(const args& a);
/// posenc bench [--json] [--tokens N]: a timing table of every encoder beside memcpy/memset.
status bench(const args& a);

// Handlers, one per (operation, encoding); routed in main.cpp.
status rope_op(const args& a);
status fope_op(const args& a);
status linear_attention_op(const args& a);
status table_sinusoidal_op(const args& a);
status table_learned_op(const args& a);
status relpos_t5_op(const args& a);
status bias_t5_op(const args& a);
status bias_alibi_op(const args& a);
status relpos_shaw_op(const args& a);
status relpos_deberta_op(const args& a);
status table_xlnet_op(const args& a);

}  // namespace posenc::cli
