"""What attention costs, before you run anything.

For a clip and a token grid (t temporal groups x s = h*w spatial tokens, N = t*s):
    joint       N^2 pairs per layer                      every token with every token
    divided     s^2*t + t^2*s                            spatial within frames + temporal per location
    space_only  s^2*t                                    frames never meet
    factorized  s^2*t per spatial layer, t^2 per temporal layer (over per-frame summaries)
Pairs leave out class tokens, as the papers' tables do. `clip_flops` counts every matrix multiply of one
forward pass (2 FLOPs per multiply-add, class tokens included) exactly as torch's FlopCounterMode counts
the real model; the tests hold it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import SCHEMES
from .config import VideoTransformerConfig

BYTES = {"fp32": 4, "bf16": 2}


def token_grid(*, frames: int, size: int, patch: int, tubelet: int) -> tuple[int, int, int]:
    if size % patch or frames % tubelet:
        raise ValueError(f"{frames} frames at {size}x{size} do not tile into {tubelet}x{patch}x{patch} tubelets")
    return frames // tubelet, size // patch, size // patch


def attention_pairs(scheme: str, t: int, s: int) -> int:
    """Query-key pairs in one layer (for `factorized`, one spatial layer)."""
    return {"joint": (t * s) ** 2, "divided": s * s * t + t * t * s, "space_only": s * s * t, "factorized": s * s * t}[
        scheme
    ]


def encoder_pairs(scheme: str, t: int, s: int, *, depth: int, temporal_depth: int = 0) -> int:
    total = depth * attention_pairs(scheme, t, s)
    return total + temporal_depth * t * t if scheme == "factorized" else total


def attention_matrix_elements(scheme: str, t: int, s: int) -> int:
    """Largest attention matrix one layer materializes for one clip, per head (the explicit path)."""
    return {
        "joint": (t * s) ** 2,
        "divided": max(s * t * t, t * s * s),
        "space_only": t * s * s,
        "factorized": max(t * s * s, t * t),
    }[scheme]


def _block_flops(d: int, m: int, sequences: list[tuple[int, int]], extra_linear_tokens: int = 0) -> int:
    """FLOPs of attention sub-layers over `sequences` [(count, length)] plus linears.

    Each attention sub-layer: qkv (3 d^2) and output (d^2) projections per token, and QK^T + AV
    (2 * length^2 * d) per sequence."""
    flops = 0
    for count, length in sequences:
        flops += 2 * count * length * 4 * d * d + 4 * count * length * length * d
    return flops + 2 * extra_linear_tokens * d * d


def clip_flops(cfg: VideoTransformerConfig) -> dict[str, int]:
    """Matmul FLOPs of one forward pass on one clip, by part."""
    t, h, w = cfg.grid
    s, n, c = h * w, t * h * w, int(cfg.class_token)
    d, m = cfg.dim, cfg.mlp_dim
    mlp = lambda tokens: 4 * tokens * d * m  # noqa: E731
    embed = 2 * n * d * cfg.num_channels * cfg.tubelet_size * cfg.patch_size**2
    if cfg.scheme == "joint":
        layer = _block_flops(d, m, [(1, c + n)]) + mlp(c + n)
        blocks, temporal = cfg.depth * layer, 0
    elif cfg.scheme == "divided":
        # temporal attention over s sequences of t (+ temporal_fc), spatial over t sequences of [cls] + s
        layer = _block_flops(d, m, [(s, t), (t, c + s)], extra_linear_tokens=n) + mlp(c + n)
        blocks, temporal = cfg.depth * layer, 0
    else:
        layer = _block_flops(d, m, [(t, c + s)]) + mlp(t * (c + s))
        blocks = cfg.depth * layer
        temporal = 0
        if cfg.scheme == "factorized":
            temporal = cfg.temporal_depth * (_block_flops(d, m, [(1, c + t)]) + mlp(c + t))
    head = 2 * d * cfg.num_labels
    return {
        "embed": embed,
        "blocks": blocks,
        "temporal_blocks": temporal,
        "head": head,
        "total": embed + blocks + temporal + head,
    }


@dataclass
class SchemeCost:
    scheme: str
    layers: int
    pairs_per_layer: int
    encoder_pairs: int
    relative: float  # encoder pairs / joint encoder pairs
    attn_matrix_bytes: dict  # per layer, one clip, all heads: {"fp32": ..., "bf16": ...}
    gflops: float  # one clip, forward


def cost_report(
    *,
    frames: int,
    size: int,
    patch: int,
    tubelet: int,
    dim: int = 768,
    depth: int = 12,
    heads: int = 12,
    mlp_ratio: float = 4.0,
    temporal_depth: int = 4,
    class_token: bool = False,
    num_labels: int = 0,
    schemes=SCHEMES,
) -> dict:
    t, h, w = token_grid(frames=frames, size=size, patch=patch, tubelet=tubelet)
    s = h * w
    joint = encoder_pairs("joint", t, s, depth=depth)
    rows = []
    for scheme in schemes:
        cfg = VideoTransformerConfig(
            image_size=size,
            num_frames=frames,
            patch_size=patch,
            tubelet_size=tubelet,
            dim=dim,
            depth=depth,
            heads=heads,
            mlp_ratio=mlp_ratio,
            scheme=scheme,
            temporal_depth=temporal_depth,
            class_token=class_token,
            pooling="cls" if class_token else "mean",
            num_labels=num_labels,
        )
        pairs = encoder_pairs(scheme, t, s, depth=depth, temporal_depth=temporal_depth)
        elems = heads * attention_matrix_elements(scheme, t, s)
        rows.append(
            SchemeCost(
                scheme,
                depth + (temporal_depth if scheme == "factorized" else 0),
                attention_pairs(scheme, t, s),
                pairs,
                pairs / joint,
                {k: elems * b for k, b in BYTES.items()},
                clip_flops(cfg)["total"] / 1e9,
            )
        )
    return {
        "frames": frames,
        "size": size,
        "patch": patch,
        "tubelet": tubelet,
        "grid": [t, h, w],
        "tokens": t * s,
        "spatial_tokens": s,
        "temporal_groups": t,
        "model": {
            "dim": dim,
            "depth": depth,
            "heads": heads,
            "mlp_ratio": mlp_ratio,
            "temporal_depth": temporal_depth,
            "class_token": class_token,
        },
        "schemes": [r.__dict__ for r in rows],
    }


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n < 2**30 else f"{n / 2**30:,.2f} GiB"


def format_report(r: dict) -> str:
    t, h, w = r["grid"]
    mdl = r["model"]
    factorized = any(x["scheme"] == "factorized" for x in r["schemes"])
    lines = [
        f"clip: {r['frames']} frames at {r['size']}x{r['size']}, patch {r['patch']}, tubelet {r['tubelet']}",
        f"tokens: t={t} x h={h} x w={w} = {r['tokens']:,}  ({r['spatial_tokens']} per temporal group)",
        f"model: dim {mdl['dim']}, depth {mdl['depth']}, heads {mdl['heads']}, mlp x{mdl['mlp_ratio']:g}"
        + (f", factorized temporal depth {mdl['temporal_depth']}" if factorized else ""),
        "",
        f"{'scheme':<11} {'layers':>6} {'pairs/layer':>13} {'relative':>9} {'attn matrix/layer fp32':>23} "
        f"{'bf16':>11} {'GFLOPs/clip':>12}",
    ]
    for x in r["schemes"]:
        pairs = f"{x['pairs_per_layer']:,}"
        if x["scheme"] == "factorized":
            pairs += "*"
        lines.append(
            f"{x['scheme']:<11} {x['layers']:>6} {pairs:>13} {x['relative']:>9.4f} "
            f"{_mb(x['attn_matrix_bytes']['fp32']):>23} {_mb(x['attn_matrix_bytes']['bf16']):>11} "
            f"{x['gflops']:>12.1f}"
        )
    lines.append("")
    lines.append(
        "pairs exclude class tokens; relative = all layers' pairs / joint's; attn matrix = the largest "
        "N x N (per head, all heads, one clip) a layer materializes without fused attention."
    )
    if factorized:
        lines.append(f"* factorized: per spatial layer; each temporal layer adds {t * t:,} pairs.")
    return "\n".join(lines)
