"""`tubelet bench attention`: one layer of each scheme, timed and its peak memory measured, per clip length.

For each t (temporal token groups) at h = w = 14 and ViT-B width (768, 12 heads) this runs, for one clip:
    joint       Block over all t*196 tokens
    divided     DividedBlock: temporal attention over t per location, then spatial over 196 per frame
    space_only  Block over each frame's 196 tokens
    factorized  one spatial Block over each frame + one temporal Block over the t per-frame summaries
with both attention paths: `explicit` (the N x N matrix is materialized, as in the papers' code) and `sdpa`
(`F.scaled_dot_product_attention`: fused / flash kernels that never store the matrix where the backend
has them). "attention" times only the attention core (q, k, v already projected), the part the pair counts
of `tubelet cost` predict; "layer" is the whole block with its MLP, which every scheme pays the same.
"""

from __future__ import annotations

import gc
import math

import torch
import torch.nn.functional as F
from einops import rearrange

from ..constants import SCHEMES
from ..modeling.attention import Block, DividedBlock
from ..modeling.config import VideoTransformerConfig
from ..modeling.cost import attention_matrix_elements, attention_pairs
from .measure import median_seconds, peak_bytes


def _layer(scheme: str, cfg: VideoTransformerConfig, t: int, s: int, device: str):
    """-> fn() running one layer of the scheme on one clip of t*s tokens."""
    x = torch.randn(1, t * s, cfg.dim, device=device)
    if scheme == "joint":
        block = Block(cfg).to(device).eval()
        return lambda: block(x)
    if scheme == "divided":
        block = DividedBlock(cfg).to(device).eval()
        return lambda: block(x, t)
    spatial = Block(cfg).to(device).eval()
    if scheme == "space_only":
        return lambda: spatial(rearrange(x, "b (t s) d -> (b t) s d", t=t))
    temporal = Block(cfg).to(device).eval()
    return lambda: temporal(spatial(rearrange(x, "b (t s) d -> (b t) s d", t=t)).mean(dim=1)[None])


def _core(q, k, v, impl):
    if impl == "explicit":
        return ((q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)).softmax(-1) @ v
    return F.scaled_dot_product_attention(q, k, v)


def _attention_core(scheme: str, t: int, s: int, heads: int, head_dim: int, impl: str, device: str):
    """-> fn() running only softmax(QK^T)V over the scheme's sequences (the pair-count part)."""

    def qkv(count, length):
        return [torch.randn(count, heads, length, head_dim, device=device) for _ in range(3)]

    groups = {
        "joint": [(1, t * s)],
        "divided": [(s, t), (t, s)],
        "space_only": [(t, s)],
        "factorized": [(t, s), (1, t)],
    }[scheme]
    tensors = [qkv(c, n) for c, n in groups]
    return lambda: [_core(q, k, v, impl) for q, k, v in tensors]


def run(
    ts=(4, 8, 16, 32),
    device: str = "cpu",
    *,
    dim: int = 768,
    heads: int = 12,
    hw: int = 14,
    impls=("explicit", "sdpa"),
    schemes=SCHEMES,
    reps: int = 3,
    progress=None,
) -> list[dict]:
    s = hw * hw
    rows = []
    jobs = [(t, scheme, impl) for t in ts for scheme in schemes for impl in impls]
    from tqdm import tqdm

    hidden = (not progress) if progress is not None else None
    for t, scheme, impl in tqdm(jobs, desc="bench attention", unit="case", disable=hidden):
        cfg = VideoTransformerConfig(
            dim=dim, heads=heads, attn_impl=impl, class_token=False, num_frames=t, tubelet_size=1
        )
        row = {
            "t": t,
            "tokens": t * s,
            "scheme": scheme,
            "impl": impl,
            "device": device,
            "pairs": attention_pairs(scheme, t, s) + (t * t if scheme == "factorized" else 0),
            "matrix_mib": heads * attention_matrix_elements(scheme, t, s) * 4 / 2**20,
        }
        with torch.inference_mode():
            for part, fn in (
                ("layer", _layer(scheme, cfg, t, s, device)),
                ("attention", _attention_core(scheme, t, s, heads, dim // heads, impl, device)),
            ):
                row[f"{part}_ms"] = 1e3 * median_seconds(fn, device, warmup=1, reps=reps)
                peak = peak_bytes(fn, device)
                row[f"{part}_peak_mib"] = None if peak is None else peak / 2**20
                del fn
                gc.collect()
        rows.append(row)
    return rows


def _find(rows, t, scheme, impl):
    return next((r for r in rows if r["t"] == t and r["scheme"] == scheme and r["impl"] == impl), None)


def ratios(rows: list[dict], t: int = 16) -> list[dict]:
    """Divided / joint (and the others / joint) at one t: measured time and memory next to the pair ratio."""
    out = []
    for impl in sorted({r["impl"] for r in rows}):
        joint = _find(rows, t, "joint", impl)
        if not joint:
            continue
        for scheme in SCHEMES[1:]:
            r = _find(rows, t, scheme, impl)
            if r:
                out.append(
                    {
                        "t": t,
                        "impl": impl,
                        "scheme": scheme,
                        "predicted_pairs": r["pairs"] / joint["pairs"],
                        "attention_time": r["attention_ms"] / joint["attention_ms"],
                        "layer_time": r["layer_ms"] / joint["layer_ms"],
                        "attention_memory": (
                            r["attention_peak_mib"] / joint["attention_peak_mib"]
                            if r["attention_peak_mib"] and joint["attention_peak_mib"]
                            else None
                        ),
                    }
                )
    return out


def _mib(v):
    return "n/a" if v is None else f"{v:,.1f}"


def markdown(rows: list[dict], hardware: str, t_ratio: int = 16) -> str:
    lines = [
        f"Measured on {hardware}. One layer, one clip, fp32, h = w = 14, dim 768, 12 heads; median of timed runs "
        "after a warm-up. Peak = extra resident memory during the call.",
        "",
        "| t | tokens | scheme | path | attention ms | attention peak MiB | layer ms | layer peak MiB | "
        "attn matrix MiB (explicit) | pairs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['t']} | {r['tokens']:,} | {r['scheme']} | {r['impl']} ({r['device']}) | "
            f"{r['attention_ms']:,.1f} | {_mib(r['attention_peak_mib'])} | "
            f"{r['layer_ms']:,.1f} | {_mib(r['layer_peak_mib'])} | "
            f"{r['matrix_mib']:,.1f} | {r['pairs']:,} |"
        )
    rat = ratios(rows, t_ratio)
    if rat:
        lines += [
            "",
            f"Ratios to joint at t = {t_ratio} ({t_ratio * 196:,} tokens):",
            "",
            "| path | scheme | predicted (pairs) | attention time | attention peak memory | whole layer time |",
            "|---|---|---|---|---|---|",
        ]
        for r in rat:
            mem = "n/a" if r["attention_memory"] is None else f"{r['attention_memory']:.4f}"
            lines.append(
                f"| {r['impl']} | {r['scheme']} | {r['predicted_pairs']:.4f} | {r['attention_time']:.4f} | "
                f"{mem} | {r['layer_time']:.4f} |"
            )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"explicit": "-", "sdpa": "--"}
    for scheme, colour in zip(SCHEMES, ("C3", "C0", "C2", "C1"), strict=True):
        for impl, ls in styles.items():
            pts = sorted((r["tokens"], r) for r in rows if r["scheme"] == scheme and r["impl"] == impl)
            if not pts:
                continue
            xs = [p for p, _ in pts]
            label = f"{scheme} {impl}"
            axes[0].plot(xs, [r["attention_ms"] for _, r in pts], ls, color=colour, marker="o", label=label)
            mem = [r["attention_peak_mib"] for _, r in pts]
            if all(m is not None for m in mem):
                axes[1].plot(xs, [max(m, 1e-1) for m in mem], ls, color=colour, marker="o", label=label)
    for ax, title in zip(axes, ("attention time (ms)", "attention peak memory (MiB)"), strict=True):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("tokens per clip (t x 196)")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def quadratic_exponent(
    rows: list[dict], scheme: str = "joint", impl: str = "explicit", key: str = "attention_peak_mib"
) -> float | None:
    """Slope of log(value) against log(tokens) between the smallest and largest t: 2 = quadratic."""
    pts = sorted((r["tokens"], r[key]) for r in rows if r["scheme"] == scheme and r["impl"] == impl and r[key])
    if len(pts) < 2:
        return None
    (n0, v0), (n1, v1) = pts[0], pts[-1]
    return math.log(v1 / v0) / math.log(n1 / n0)


def write_report(rows: list[dict], hardware: str, out_root, t_ratio: int) -> str:
    """<out_root>/attention-bench/: the table (attention-bench.md), the rows (.json) and the plot (.png), the one
    report both `tubelet bench attention` and `make bench` write. Returns the markdown."""
    import json

    from ..atomic import atomic_write, atomic_write_text
    from .reports import report_dir

    out = report_dir(out_root, "attention-bench")
    md = markdown(rows, hardware, t_ratio=t_ratio)
    slope = quadratic_exponent(rows)
    if slope is not None:
        ts = sorted({r["t"] for r in rows})
        md += (
            f"\nJoint attention peak memory (explicit path) grows as tokens^{slope:.2f} between t = {ts[0]} "
            f"and t = {ts[-1]} (2 = quadratic).\n"
        )
    md += "\n![attention benchmark](attention-bench.png)\n"
    title = (
        "# Attention layers: time and peak memory per scheme\n\n"
        "Regenerate: `tubelet bench attention` (or `make bench`, which writes this folder too).\n\n"
    )
    atomic_write_text(out / "attention-bench.md", title + md)
    atomic_write_text(out / "attention-bench.json", json.dumps({"hardware": hardware, "rows": rows}, indent=2) + "\n")
    atomic_write(out / "attention-bench.png", lambda p: plot(rows, p))
    return md
