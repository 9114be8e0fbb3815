// RoPE in linear attention: RoFormer eq. 19 (Su et al., arXiv 2104.09864, §3.3).
//
//            sum_n  (R_m phi(q_m))^T (R_n phi(k_n)) v_n
//   o_m  =  --------------------------------------------            (eq. 19)
//            sum_n        phi(q_m)^T phi(k_n)
//
// phi is a feature map (elu(x)+1 as Katharopoulos et al., relu, or a user map), R_p the RoPE
// rotation of rope.hpp at position p applied to the feature vector, so the feature dim must be
// even. The numerator is rotated, the denominator is not (the paper keeps it unrotated "to
// avoid dividing by zero"); hence the numerator kernel phi_q^T R_(n-m) phi_k can be negative
// and the weights neither stay nonnegative nor sum to one (spec/encodings.md §10, P14).
//
// Computed in O(N) with per-head states (m = feature dim, dv = value dim):
//   S = sum_n (R_n phi(k_n)) v_n^T   [m, dv]      z = sum_n phi(k_n)   [m]
//   o_m = (R_m phi(q_m))^T S / (phi(q_m)^T z)
// non-causal over all keys, causal over keys n <= m by token index (prefix states). The causal
// state can be advanced one token at a time (push, then query: O(1) per token) or a chunk at a
// time (prefill: S_prev terms plus a masked in-chunk product, as Eigen matrix products), with the
// same results up to float rounding.
//
// Numerics, decided here and documented in docs/encodings/linear_attention.md:
//  * No epsilon by default: eq. 19 has none, and the posenc conformance cases
//    (linear-attention-*, a float64 quadratic evaluation of eq. 19) add none.
//    `key_sum_epsilon` adds eps to every entry of z before the dot product, as
//    performer-pytorch's causal path does (1e-6 there; its non-causal path adds none).
//  * A denominator that is exactly 0 (relu features with no overlap, e.g. q <= 0) gives an
//    output row of zeros: no key carries weight for that query. Nothing else is guarded; a
//    user map with negative features can make the denominator negative, which is eq. 19.
//  * S and z are float sums; the relative error of the prefix sums grows like (tokens /
//    chunk) * 2^-24 in the worst case.
// Matches no library code (there is no official RoFormer linear-attention code); checked
// against an independent float64 O(N^2) evaluation (tests, conformance). Performer-style code
// (performer-pytorch) rotates q and k before the feature map instead: a different model.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../status.hpp"
#include "../tensor.hpp"
#include "rope.hpp"

namespace posenc {

/// The feature map phi of linear attention.
enum class feature_map : std::uint8_t {
  elu1,    ///< elu(x) + 1 (Katharopoulos et al.): x + 1 for x > 0, exp(x) otherwise
  relu,    ///< max(x, 0), without Performer's added epsilon
  custom,  ///< a user function (linear_attention_config::custom_map)
};

/// "elu1", "relu" or "custom".
constexpr std::string_view feature_map_name(feature_map f) noexcept {
  return f == feature_map::elu1 ? "elu1" : f == feature_map::relu ? "relu" : "custom";
}

/// A user feature map: writes phi(x) (feature_dim values) for one row x (input_dim values).
/// Must be thread-safe when one encoder serves several threads.
using feature_map_fn = void (*)(const float* x, std::int64_t input_dim, float* phi,
                                std::int64_t feature_dim, const void* context) noexcept;

/// Parameters of RoPE linear attention.
struct linear_attention_config {
  rope_config rope;                      ///< the rotation on feature space: head_dim = feature dim
  feature_map map = feature_map::elu1;
  std::int64_t input_dim = 0;            ///< dims of q and k rows; 0: rope.head_dim (elu1/relu need =)
  feature_map_fn custom_map = nullptr;   ///< used when map == custom
  const void* custom_context = nullptr;  ///< passed to custom_map
  float key_sum_epsilon = 0.0f;          ///< added to every entry of z (0: eq. 19 as is)
  std::int64_t chunk_tokens = 64;        ///< tokens per matrix-product block (prefill, non-causal)
};

class linear_attention_state;

/// RoPE linear attention (RoFormer eq. 19). Immutable once made: const calls are thread-safe.
class rope_linear_attention {
 public:
  using config_type = linear_attention_config;
  /// Largest chunk_tokens make() accepts.
  static constexpr std::int64_t max_chunk_tokens = 4096;

  /// Validates the configuration and builds the rotation.
  [[nodiscard]] static result<rope_linear_attention> make(const linear_attention_config& cfg) noexcept {
    auto r = rope::make(cfg.rope);
    if (!r) return r.error();
    const std::int64_t m = cfg.rope.head_dim;
    const std::int64_t d = cfg.input_dim == 0 ? m : cfg.input_dim;
    if (d <= 0) {
      return make_error(errc::invalid_argument, "linear attention: input_dim must be positive, got ", d);
    }
    if (cfg.map == feature_map::custom) {
      if (cfg.custom_map == nullptr) {
        return make_error(errc::invalid_argument,
                          "linear attention: feature map 'custom' needs custom_map");
      }
    } else if (d != m) {
      return make_error(errc::invalid_argument, "linear attention: feature map '",
                        feature_map_name(cfg.map), "' keeps the width, so input_dim (", d,
                        ") must equal the rotary head_dim (", m, ")");
    }
    if (!std::isfinite(cfg.key_sum_epsilon) || cfg.key_sum_epsilon < 0.0f) {
      return make_error(errc::invalid_argument,
                        "linear attention: key_sum_epsilon must be finite and >= 0, got ",
                        cfg.key_sum_epsilon);
    }
    if (cfg.chunk_tokens < 1 || cfg.chunk_tokens > max_chunk_tokens) {
      return make_error(errc::invalid_argument, "linear attention: chunk_tokens must be in [1, ",
                        max_chunk_tokens, "], got ", cfg.chunk_tokens);
    }
    return rope_linear_attention(cfg, d, std::move(*r));
  }

  /// The encoder whose rotation is rope::for_sequence_length(seq_len) of this one's: dynamic NTK
  /// and LongRoPE depend on the batch's largest position + 1; other scalings are unchanged.
  [[nodiscard]] result<rope_linear_attention> for_sequence_length(std::int64_t seq_len) const noexcept {
    auto r = rope_.for_sequence_length(seq_len);
    if (!r) return r.error();
    return rope_linear_attention(cfg_, input_dim_, std::move(*r));
  }

  /// The configuration it was made from.
  const linear_attention_config& config() const noexcept { return cfg_; }
  /// The encoder's name, "rope_linear_attention".
  static constexpr std::string_view name() noexcept { return "rope_linear_attention"; }
  /// Dims of each q and k row.
  std::int64_t input_dim() const noexcept { return input_dim_; }
  /// Dims of phi(x): the rotary head_dim.
  std::int64_t feature_dim() const noexcept { return cfg_.rope.head_dim; }
  /// The rotation applied to feature vectors.
  const rope& rotation() const noexcept { return rope_; }

  /// phi(x) of one row: input_dim() values in, feature_dim() values out.
  void features(const float* x, float* phi) const noexcept {
    const std::int64_t m = feature_dim();
    switch (cfg_.map) {
      case feature_map::elu1:
        for (std::int64_t i = 0; i < m; ++i) phi[i] = x[i] > 0.0f ? x[i] + 1.0f : std::exp(x[i]);
        break;
      case feature_map::relu:
        for (std::int64_t i = 0; i < m; ++i) phi[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
      case feature_map::custom:
        cfg_.custom_map(x, input_dim_, phi, m, cfg_.custom_context);
        break;
    }
  }

  /// A state (and workspace) for `heads` heads of value dim `value_dim`; allocates once.
  [[nodiscard]] result<linear_attention_state> make_state(std::int64_t heads,
                                                          std::int64_t value_dim) const noexcept;

  /// Eq. 19 over whole sequences: q, k [tokens, heads, d], v and out [tokens, heads, dv]. causal:
  /// token m sees tokens n <= m. `ws` is reset and used as workspace (no allocation).
  [[nodiscard]] status attend(view3<const float> q, view3<const float> k, view3<const float> v,
                              positions_span positions, view3<float> out, bool causal,
                              linear_attention_state& ws) const noexcept;

  /// As above with a state made for this call (allocates heads*m*dv floats plus the chunk
  /// workspace once).
  [[nodiscard]] status attend(view3<const float> q, view3<const float> k, view3<const float> v,
                              positions_span positions, view3<float> out,
                              bool causal) const noexcept;

 private:
  rope_linear_attention(linear_attention_config cfg, std::int64_t d, rope r)
      : cfg_(std::move(cfg)), input_dim_(d), rope_(std::move(r)) {}

  linear_attention_config cfg_;
  std::int64_t input_dim_ = 0;
  rope rope_;
};

/// The running sums S [heads, m, dv] and z [heads, m] of linear attention, plus a workspace of
/// one chunk. The mutable exception to posenc's immutable objects: one state per sequence and
/// thread. It refers to its encoder, which must outlive it. Nothing allocates after make_state.
class linear_attention_state {
 public:
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using map = Eigen::Map<matrix>;
  using const_map = Eigen::Map<const matrix>;
  using strided_map = Eigen::Map<matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
  using const_strided_map = Eigen::Map<const matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

  /// Heads the state was made for.
  std::int64_t heads() const noexcept { return heads_; }
  /// Value dim the state was made for.
  std::int64_t value_dim() const noexcept { return dv_; }
  /// Keys accumulated since the last reset.
  std::int64_t tokens() const noexcept { return tokens_; }
  /// Forgets every key (S = 0, z = 0).
  void reset() noexcept {
    std::fill(s_.begin(), s_.end(), 0.0f);
    std::fill(z_.begin(), z_.end(), 0.0f);
    tokens_ = 0;
  }

  /// Adds one token's keys k [heads, d] and values v [heads, dv] at `position`. O(heads m dv).
  [[nodiscard]] status push(view2<const float> k, view2<const float> v,
                            std::int64_t position) noexcept {
    POSENC_TRY(check_token(k, enc_->input_dim(), "k"));
    POSENC_TRY(check_token(v, dv_, "v"));
    const std::int64_t m = enc_->feature_dim();
    float* phi = fq_.data();    // [heads, m]: phi(k)
    float* rot = fqr_.data();   // [heads, m]: R phi(k)
    for (std::int64_t h = 0; h < heads_; ++h) enc_->features(k.row(h), phi + h * m);
    std::copy_n(phi, heads_ * m, rot);
    POSENC_TRY(enc_->rotation().rotate(heads_view(rot, 1, heads_, m), {&position, 1}));
    for (std::int64_t h = 0; h < heads_; ++h) {
      Eigen::Map<const Eigen::VectorXf> kr(rot + h * m, m);
      Eigen::Map<const Eigen::VectorXf> vv(v.row(h), dv_);
      head_s(h).noalias() += kr * vv.transpose();
      head_z(h) += Eigen::Map<const Eigen::VectorXf>(phi + h * m, m);
    }
    ++tokens_;
    return {};
  }

  /// Reads eq. 19 for one query q [heads, d] at `position` into out [heads, dv], against the
  /// keys pushed so far. O(heads m dv); the state is unchanged.
  [[nodiscard]] status query(view2<const float> q, std::int64_t position,
                             view2<float> out) noexcept {
    POSENC_TRY(check_token(q, enc_->input_dim(), "q"));
    POSENC_TRY(check_token(out, dv_, "out"));
    const std::int64_t m = enc_->feature_dim();
    float* phi = fq_.data();
    float* rot = fqr_.data();
    for (std::int64_t h = 0; h < heads_; ++h) enc_->features(q.row(h), phi + h * m);
    std::copy_n(phi, heads_ * m, rot);
    POSENC_TRY(enc_->rotation().rotate(heads_view(rot, 1, heads_, m), {&position, 1}));
    for (std::int64_t h = 0; h < heads_; ++h) {
      Eigen::Map<const Eigen::RowVectorXf> qr(rot + h * m, m);
      Eigen::Map<const Eigen::RowVectorXf> qf(phi + h * m, m);
      Eigen::Map<Eigen::RowVectorXf> o(out.row(h), dv_);
      o.noalias() = qr * head_s(h);
      finish_row(o.data(), qf.dot(head_z(h)) + eps() * qf.sum());
    }
    return {};
  }

  /// Adds many keys k [tokens, heads, d], v [tokens, heads, dv] (a non-causal key set),
  /// a chunk at a time as matrix products.
  [[nodiscard]] status push(view3<const float> k, view3<const float> v,
                            positions_span positions) noexcept {
    POSENC_TRY(check_seq(k, enc_->input_dim(), positions, "k"));
    POSENC_TRY(check_seq(v, dv_, positions, "v"));
    for_chunks(k.n0, [&](std::int64_t t0, std::int64_t c) -> status {
      POSENC_TRY(load_chunk(k, positions, t0, c, fk_.data(), fkr_.data()));
      for (std::int64_t h = 0; h < heads_; ++h) accumulate(h, v, t0, c);
      tokens_ += c;
      return {};
    });
    return last_;
  }

  /// Reads eq. 19 for many queries q [tokens, heads, d] into out [tokens, heads, dv] against
  /// the keys pushed so far (every query sees every key); the state is unchanged.
  [[nodiscard]] status query(view3<const float> q, positions_span positions,
                             view3<float> out) noexcept {
    POSENC_TRY(check_seq(q, enc_->input_dim(), positions, "q"));
    POSENC_TRY(check_seq(view3<const float>(out), dv_, positions, "out"));
    POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "q", q));
    const std::int64_t m = enc_->feature_dim();
    for_chunks(q.n0, [&](std::int64_t t0, std::int64_t c) -> status {
      POSENC_TRY(load_chunk(q, positions, t0, c, fq_.data(), fqr_.data()));
      for (std::int64_t h = 0; h < heads_; ++h) {
        const_map qf(fq_.data() + h * chunk_ * m, c, m);
        const_map qr(fqr_.data() + h * chunk_ * m, c, m);
        strided_map o(out.row(t0, h), c, dv_, Eigen::OuterStride<>(out.s0));
        o.noalias() = qr * head_s(h);
        for (std::int64_t i = 0; i < c; ++i) {
          finish_row(o.row(i).data(), qf.row(i).dot(head_z(h)) + eps() * qf.row(i).sum());
        }
      }
      return {};
    });
    return last_;
  }

  /// Causal eq. 19 over q, k [tokens, heads, d], v, out [tokens, heads, dv], continuing from the
  /// keys pushed so far: token i sees the earlier keys and tokens <= i of this call. Works a
  /// chunk at a time (matrix products); equals push + query per token up to float rounding.
  [[nodiscard]] status prefill(view3<const float> q, view3<const float> k, view3<const float> v,
                               positions_span positions, view3<float> out) noexcept {
    POSENC_TRY(check_seq(q, enc_->input_dim(), positions, "q"));
    POSENC_TRY(check_seq(k, enc_->input_dim(), positions, "k"));
    POSENC_TRY(check_seq(v, dv_, positions, "v"));
    POSENC_TRY(check_seq(view3<const float>(out), dv_, positions, "out"));
    POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "q", q));
    POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "k", k));
    POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "v", v));
    const std::int64_t m = enc_->feature_dim();
    for_chunks(q.n0, [&](std::int64_t t0, std::int64_t c) -> status {
      POSENC_TRY(load_chunk(q, positions, t0, c, fq_.data(), fqr_.data()));
      POSENC_TRY(load_chunk(k, positions, t0, c, fk_.data(), fkr_.data()));
      for (std::int64_t h = 0; h < heads_; ++h) {
        const std::int64_t off = h * chunk_ * m;
        const_map qf(fq_.data() + off, c, m), qr(fqr_.data() + off, c, m);
        const_map kf(fk_.data() + off, c, m), kr(fkr_.data() + off, c, m);
        const_strided_map vv(v.row(t0, h), c, dv_, Eigen::OuterStride<>(v.s0));
        strided_map o(out.row(t0, h), c, dv_, Eigen::OuterStride<>(out.s0));
        map a(scores_.data(), c, c);
        // Earlier keys through S, keys of this chunk through the masked scores.
        o.noalias() = qr * head_s(h);
        a.noalias() = qr * kr.transpose();
        a.triangularView<Eigen::StrictlyUpper>().setZero();
        o.noalias() += a * vv;
        auto z = head_z(h);
        for (std::int64_t i = 0; i < c; ++i) {
          z += kf.row(i).transpose();
          finish_row(o.row(i).data(), qf.row(i).dot(z) + eps() * qf.row(i).sum());
        }
        head_s(h).noalias() += kr.transpose() * vv;
      }
      tokens_ += c;
      return {};
    });
    return last_;
  }

 private:
  friend class rope_linear_attention;

  linear_attention_state(const rope_linear_attention* enc, std::int64_t heads, std::int64_t dv)
      : enc_(enc), heads_(heads), dv_(dv), chunk_(enc->config().chunk_tokens) {
    const std::int64_t m = enc->feature_dim();
    s_.assign(static_cast<std::size_t>(heads * m * dv), 0.0f);
    z_.assign(static_cast<std::size_t>(heads * m), 0.0f);
    for (auto* w : {&fq_, &fqr_, &fk_, &fkr_}) w->assign(static_cast<std::size_t>(heads * chunk_ * m), 0.0f);
    scores_.assign(static_cast<std::size_t>(chunk_ * chunk_), 0.0f);
  }

  float eps() const noexcept { return enc_->config().key_sum_epsilon; }

  map head_s(std::int64_t h) noexcept {
    const std::int64_t m = enc_->feature_dim();
    return map(s_.data() + h * m * dv_, m, dv_);
  }
  Eigen::Map<Eigen::VectorXf> head_z(std::int64_t h) noexcept {
    const std::int64_t m = enc_->feature_dim();
    return Eigen::Map<Eigen::VectorXf>(z_.data() + h * m, m);
  }

  // out = numerator / den; an exactly zero denominator gives zeros (documented above). Each
  // entry is divided: 1 / den overflows to inf for den below ~2.9e-39 while num / den is finite.
  void finish_row(float* o, float den) const noexcept {
    if (den == 0.0f) {
      std::fill_n(o, dv_, 0.0f);
      return;
    }
    for (std::int64_t j = 0; j < dv_; ++j) o[j] /= den;
  }

  // S += (R phi(K))^T V and z += column sums of phi(K) for head h of the loaded chunk.
  void accumulate(std::int64_t h, const view3<const float>& v, std::int64_t t0,
                  std::int64_t c) noexcept {
    const std::int64_t m = enc_->feature_dim();
    const_map kf(fk_.data() + h * chunk_ * m, c, m), kr(fkr_.data() + h * chunk_ * m, c, m);
    const_strided_map vv(v.row(t0, h), c, dv_, Eigen::OuterStride<>(v.s0));
    head_s(h).noalias() += kr.transpose() * vv;
    head_z(h) += kf.colwise().sum().transpose();
  }

  // Features of tokens [t0, t0 + c) into phi [heads, chunk, m] and their rotation into rot.
  status load_chunk(const view3<const float>& x, positions_span positions, std::int64_t t0,
                    std::int64_t c, float* phi, float* rot) const noexcept {
    const std::int64_t m = enc_->feature_dim();
    for (std::int64_t h = 0; h < heads_; ++h) {
      for (std::int64_t i = 0; i < c; ++i) enc_->features(x.row(t0 + i, h), phi + (h * chunk_ + i) * m);
    }
    std::copy_n(phi, heads_ * chunk_ * m, rot);
    const view3<float> rv{rot, c, heads_, m, m, chunk_ * m};
    return enc_->rotation().rotate(rv, positions.subspan(static_cast<std::size_t>(t0),
                                                         static_cast<std::size_t>(c)));
  }

  // Runs f(t0, count) over chunks; the first error stops the loop and is kept in last_.
  template <class F>
  void for_chunks(std::int64_t tokens, F&& f) noexcept {
    last_ = {};
    for (std::int64_t t0 = 0; t0 < tokens; t0 += chunk_) {
      last_ = f(t0, std::min(chunk_, tokens - t0));
      if (!last_.ok()) return;
    }
  }

  template <class T>
  status check_token(const view2<T>& x, std::int64_t dim, std::string_view what) const noexcept {
    POSENC_TRY(validate(x, what));
    if (x.rows != heads_ || x.cols != dim) {
      return make_error(errc::shape_mismatch, "linear attention: ", what, " has shape [", x.rows,
                        ", ", x.cols, "], expected [heads = ", heads_, ", ", dim, "]");
    }
    return {};
  }

  status check_seq(const view3<const float>& x, std::int64_t dim, positions_span positions,
                   std::string_view what) const noexcept {
    POSENC_TRY(validate(x, what));
    if (x.n1 != heads_ || x.n2 != dim) {
      return make_error(errc::shape_mismatch, "linear attention: ", what, " has shape [", x.n0,
                        ", ", x.n1, ", ", x.n2, "], expected [tokens, heads = ", heads_, ", ",
                        dim, "]");
    }
    if (static_cast<std::int64_t>(positions.size()) != x.n0) {
      return make_error(errc::shape_mismatch, "linear attention: ", positions.size(),
                        " positions for ", x.n0, " tokens of ", what);
    }
    // Checked up front (as rope would per chunk) so a bad position cannot leave S half-updated.
    for (std::int64_t p : positions) {
      if (p <= -math::max_exact_position || p >= math::max_exact_position) {
        return make_error(errc::out_of_range, "linear attention: position ", p,
                          " is outside (-2^53, 2^53), where angles are exact");
      }
    }
    return {};
  }

  const rope_linear_attention* enc_ = nullptr;
  std::int64_t heads_ = 0, dv_ = 0, chunk_ = 0, tokens_ = 0;
  std::vector<float> s_, z_;                 // S [heads, m, dv], z [heads, m]
  std::vector<float> fq_, fqr_, fk_, fkr_;   // chunk workspace [heads, chunk, m]
  std::vector<float> scores_;                // [chunk, chunk]
  status last_;
};

inline result<linear_attention_state> rope_linear_attention::make_state(
    std::int64_t heads, std::int64_t value_dim) const noexcept {
  if (heads <= 0 || value_dim <= 0) {
    return make_error(errc::invalid_argument,
                      "linear attention: heads and value_dim must be positive, got ", heads,
                      " and ", value_dim);
  }
  const std::int64_t m = feature_dim();
  constexpr std::int64_t limit = std::int64_t{1} << 30;  // floats per buffer
  if (heads > limit / m / value_dim || heads > limit / m / cfg_.chunk_tokens) {
    return make_error(errc::invalid_argument, "linear attention: a state for ", heads,
                      " heads, feature dim ", m, " and value dim ", value_dim, " is too large");
  }
  return linear_attention_state(this, heads, value_dim);
}

inline status rope_linear_attention::attend(view3<const float> q, view3<const float> k,
                                            view3<const float> v, positions_span positions,
                                            view3<float> out, bool causal,
                                            linear_attention_state& ws) const noexcept {
  if (ws.enc_ != this) {
    return make_error(errc::invalid_argument,
                      "linear attention: the state was made by another encoder");
  }
  // Validate everything before touching the state.
  POSENC_TRY(ws.check_seq(k, input_dim_, positions, "k"));
  POSENC_TRY(ws.check_seq(v, ws.dv_, positions, "v"));
  POSENC_TRY(ws.check_seq(q, input_dim_, positions, "q"));
  POSENC_TRY(ws.check_seq(view3<const float>(out), ws.dv_, positions, "out"));
  POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "k", k));
  POSENC_TRY(posenc::check_disjoint("linear attention", "out", out, "v", v));
  ws.reset();
  if (causal) return ws.prefill(q, k, v, positions, out);
  POSENC_TRY(ws.push(k, v, positions));
  return ws.query(q, positions, out);
}

inline status rope_linear_attention::attend(view3<const float> q, view3<const float> k,
                                            view3<const float> v, positions_span positions,
                                            view3<float> out, bool causal) const noexcept {
  POSENC_TRY(validate(v, "v"));
  auto ws = make_state(q.n1, v.n2);
  if (!ws) return ws.error();
  return attend(q, k, v, positions, out, causal, *ws);
}

}  // namespace posenc
