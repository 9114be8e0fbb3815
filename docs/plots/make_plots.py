#!/usr/bin/python3
"""Regenerates the SVG plots under docs/plots/ from the posenc CLI's .npy outputs.

    /usr/bin/python3 docs/plots/make_plots.py [--posenc build/tools/posenc/posenc]

Needs Debian's python3-matplotlib and python3-numpy. Every number plotted comes out of the
`posenc` CLI (rope, bias, relpos) run on inputs written here; numpy only post-processes
(dot products, angles, a long-double reference for the accuracy plot). The SVGs are
deterministic (fixed hash salt, no dates), so re-running on the same CLI changes nothing.
"""
import argparse
import json
import os
import subprocess
import tempfile

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIGS = os.path.join(ROOT, "examples", "configs")

plt.rcParams.update({
    "svg.hashsalt": "posenc",
    "svg.fonttype": "none",  # text stays text: smaller files
    "figure.dpi": 100,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
})


class Cli:
    """Runs the posenc CLI on .npy files in a scratch directory."""

    def __init__(self, exe, tmp):
        self.exe, self.tmp, self.n = exe, tmp, 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def config(self, cfg):
        self.n += 1
        p = self.path(f"config{self.n}.json")
        with open(p, "w") as f:
            json.dump(cfg, f)
        return p

    def run(self, op, cfg, **kw):
        out = self.path("out.npy")
        args = [self.exe, op, "--config", cfg if isinstance(cfg, str) else self.config(cfg)]
        for k, v in kw.items():
            if isinstance(v, np.ndarray):
                p = self.path(f"{k}.npy")
                np.save(p, v)
                v = p
            args += ["--" + k.replace("_", "-"), str(v)]
        subprocess.run(args + ["--out", out], check=True)
        return np.load(out)

    def rotate_unit(self, cfg, positions, head_dim, rotary_dim=None):
        """cos and sin of every (position, pair), read off rotated unit vectors (half layout):
        pair k of x = (1, 0) becomes (c, s) at dims (k, k + r/2)."""
        r = rotary_dim or head_dim
        x = np.zeros((len(positions), 1, head_dim), np.float32)
        x[:, 0, : r // 2] = 1.0
        y = self.run("rope", cfg, positions=np.asarray(positions, np.int64), **{"in": x})
        return y[:, 0, : r // 2].astype(np.float64), y[:, 0, r // 2: r].astype(np.float64)


def save(fig, name):
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, name), metadata={"Date": None})
    plt.close(fig)
    print("wrote docs/plots/" + name)


def rope_decay(cli):
    """RoFormer fig. 2: the relative upper bound (1/(d/2)) sum_j |S_j| with
    S_j = sum_{k<j} e^{i m w_k}, against the relative distance m."""
    d = 128
    m = np.arange(0, 256)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for theta in (10000.0, 500000.0):
        c, s = cli.rotate_unit({"encoding": "rope", "head_dim": d, "rope_theta": theta}, m, d)
        partial = np.cumsum(c + 1j * s, axis=1)
        ax.plot(m, np.abs(partial).mean(axis=1), lw=1, label=f"rope_theta = {theta:g}")
    ax.set_xlabel("relative distance m - n")
    ax.set_ylabel("relative upper bound")
    ax.set_title("RoPE long-term decay (head_dim 128; RoFormer fig. 2)")
    ax.legend()
    save(fig, "rope_decay.svg")


def heatmaps(cli):
    n = 48
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.5))
    # RoPE: the logits of a constant q = k at every (i, j): depend on i - j only.
    d = 64
    c, s = cli.rotate_unit({"encoding": "rope", "head_dim": d}, np.arange(n), d)
    rot = np.concatenate([c, s], axis=1)
    logits = rot @ rot.T / np.sqrt(d)
    im = axes[0].imshow(logits, cmap="viridis")
    axes[0].set_title("RoPE: q.k / sqrt(d)\n(one q = k at every position)")
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    # ALiBi: Bloom-560m head 2 (of 16), causal; future keys masked.
    b = cli.run("bias", os.path.join(CONFIGS, "bloom-560m.json"), q_len=n, k_len=n)
    bias = np.where(np.tril(np.ones((n, n), bool)), b[2], np.nan)
    im = axes[1].imshow(bias, cmap="viridis")
    axes[1].set_title("ALiBi: bloom-560m head 2\n(causal; future keys masked)")
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    # T5: flan-t5-base buckets with a stand-in table W[b] = -(distance rank within direction),
    # keys after the query slightly cheaper (the checkpoint's own table is learned).
    buckets = np.arange(32)
    w = (-(buckets % 16) / 4.0 - 0.5 * (buckets >= 16)).astype(np.float32)[:, None].repeat(12, 1)
    b = cli.run("bias", os.path.join(CONFIGS, "flan-t5-base.json"), q_len=n, k_len=n, weights=w)
    im = axes[2].imshow(b[0], cmap="viridis")
    axes[2].set_title("T5: flan-t5-base buckets\n(stand-in bucket table)")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_xlabel("key j")
        ax.set_ylabel("query i")
        ax.grid(False)
    save(fig, "attention_heatmaps.svg")


def t5_buckets(cli):
    offset, k = 300, 600
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for decoder in (False, True):
        cfg = {"encoding": "t5", "num_heads": 1, "relative_attention_num_buckets": 32,
               "relative_attention_max_distance": 128, "is_decoder": decoder}
        r = cli.run("relpos", cfg, q_len=1, k_len=k, query_offset=offset)[0]
        ax.step(np.arange(k) - offset, r, where="mid", lw=1,
                label="decoder (is_decoder: true)" if decoder else "encoder (bidirectional)")
    for x in (-128, 128):
        ax.axvline(x, color="gray", lw=0.6, ls=":")
    ax.set_xlabel("key position - query position")
    ax.set_ylabel("bucket id")
    ax.set_title("T5 buckets (32 buckets, max distance 128)")
    ax.legend(fontsize=8)
    save(fig, "t5_buckets.svg")


def scaling_frequencies(cli):
    """Each schedule's w_k read off rotations at position 1 (atan2 of the rotated unit vector);
    a second position sets the sequence length that dynamic and longrope depend on."""
    d, theta, lorig = 128, 500000.0, 8192
    base = {"encoding": "rope", "head_dim": d, "rope_theta": theta, "max_position_embeddings": lorig}
    def freqs(cfg, seq_len, head_dim=d, rotary=None):
        c, s = cli.rotate_unit(cfg, [1, seq_len - 1], head_dim, rotary)
        return np.arctan2(s[0], c[0])
    w0 = freqs(base, 2)
    schedules = {
        "linear (factor 8)": {"rope_type": "linear", "factor": 8.0},
        "dynamic NTK (factor 8, at 4 x 8192)": {"rope_type": "dynamic", "factor": 8.0},
        "YaRN (factor 8, original 8192)": {"rope_type": "yarn", "factor": 8.0,
                                           "original_max_position_embeddings": lorig},
        "Llama 3.1 (factor 8)": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": lorig},
    }
    fig, ax = plt.subplots(figsize=(6, 3.6))
    wavelength = 2 * np.pi / w0
    for label, rs in schedules.items():
        w = freqs(dict(base, rope_scaling=rs), 4 * lorig)
        ax.plot(wavelength, w0 / w, lw=1.2, label=label)
    # LongRoPE: Phi-4-mini-reasoning's own config (rotary dim 96), long factors past 4096.
    with open(os.path.join(CONFIGS, "phi-4-mini-reasoning.json")) as f:
        phi = json.load(f)
    hd = phi["hidden_size"] // phi["num_attention_heads"]
    r = int(hd * phi["partial_rotary_factor"])
    plain = dict(phi, rope_scaling=None)
    w0p = freqs(plain, 2, hd, r)
    w = freqs(os.path.join(CONFIGS, "phi-4-mini-reasoning.json"), 4 * 4096, hd, r)
    ax.plot(2 * np.pi / w0p, w0p / w, lw=1.2, label="LongRoPE (Phi-4-mini, long factors)")
    ax.axvline(lorig, color="gray", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("original wavelength 2 pi / w_k (positions)")
    ax.set_ylabel("w_k (plain) / w_k (scaled)")
    ax.set_title("How each rope_type stretches the frequencies")
    ax.legend(fontsize=7)
    save(fig, "scaling_frequencies.svg")


def fope_spectrum(cli):
    """FoPE (D = 64, L_train = 512): candidate frequencies below 2 pi / L are zeroed and dropped;
    the survivors are read off a FoPE rotation with identity coefficients at position 1."""
    d, L, theta = 64, 512, 10000.0
    k = np.arange(d // 2)
    cand = theta ** (-2.0 * k / d)  # the candidate schedule (same as plain RoPE's)
    floor = 2 * np.pi / L
    m = int((cand >= floor).sum())
    n = min(m, d // 4)
    eye = np.zeros((2, m, n), np.float32)
    eye[0, :n, :n] = np.eye(n)
    eye[1, :n, :n] = np.eye(n)
    cfg = {"encoding": "fope", "head_dim": d, "rope_theta": theta, "max_sequence_length": L,
           "fourier_separate_head": False}
    x = np.zeros((1, 1, d), np.float32)
    x[0, 0, : d // 2] = 1.0
    y = cli.run("rope", cfg, positions=np.array([1], np.int64), weights=eye, **{"in": x})[0, 0]
    got = np.arctan2(y[d // 2:], y[: d // 2])
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    kept = cand >= floor
    ax.semilogy(k[kept], cand[kept], "o", ms=3.5, label="candidate w_k, kept")
    ax.semilogy(k[~kept], cand[~kept], "x", ms=4, color="C3", label="candidate w_k < 2 pi / L: zeroed")
    ax.semilogy(k[:n], got[:n], ".", ms=3, color="k", label="FoPE basis (from the CLI, C = I)")
    ax.axhline(floor, color="C3", lw=0.8, ls="--", label="floor 2 pi / L_train")
    ax.axvspan(n - 0.5, d // 2 - 0.5, color="gray", alpha=0.15, label="padding slots (1 + i)")
    ax.set_xlabel("slot / frequency index k")
    ax.set_ylabel("frequency (rad / position)")
    ax.set_title("FoPE spectrum (head_dim 64, L_train 512)")
    ax.legend(fontsize=7, loc="lower left")
    save(fig, "fope_spectrum.svg")


def angle_error(cli):
    """Max |cos/sin error| over the 64 frequencies of head_dim 128 (theta 500000) against a
    long-double reference: posenc's exact phases vs a float32 angle (as HF's float32 path)."""
    d, theta = 128, 500000.0
    pos = np.unique(np.round(np.logspace(0, np.log10(2 ** 24 - 1), 60)).astype(np.int64))
    c, s = cli.rotate_unit({"encoding": "rope", "head_dim": d, "rope_theta": theta}, pos, d)
    w = theta ** (-2.0 * np.arange(d // 2) / d)
    phase = pos.astype(np.longdouble)[:, None] * w.astype(np.longdouble)[None, :]
    exact_c, exact_s = np.cos(phase), np.sin(phase)
    ours = np.maximum(np.abs(c - exact_c), np.abs(s - exact_s)).max(axis=1)
    a32 = pos.astype(np.float32)[:, None] * w.astype(np.float32)[None, :]
    f32 = np.maximum(np.abs(np.cos(a32).astype(np.longdouble) - exact_c),
                     np.abs(np.sin(a32).astype(np.longdouble) - exact_s)).max(axis=1)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.loglog(pos, f32.astype(float), lw=1.2, label="float32 angle p * w (HF, torch float32)")
    ax.loglog(pos, np.maximum(ours.astype(float), 1e-12), lw=1.2, label="posenc (exact phase)")
    ax.axhline(2.0 ** -24, color="gray", lw=0.6, ls=":", label="half a float ulp at 1")
    ax.set_xlabel("position p")
    ax.set_ylabel("max |error| of cos, sin")
    ax.set_title("cos/sin accuracy vs position (head_dim 128, theta 5e5)")
    ax.legend(fontsize=7)
    save(fig, "cos_sin_error.svg")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posenc", default=os.path.join(ROOT, "build", "tools", "posenc", "posenc"))
    exe = os.path.abspath(ap.parse_args().posenc)
    with tempfile.TemporaryDirectory() as tmp:
        cli = Cli(exe, tmp)
        rope_decay(cli)
        heatmaps(cli)
        t5_buckets(cli)
        scaling_frequencies(cli)
        fope_spectrum(cli)
        angle_error(cli)


if __name__ == "__main__":
    main()
