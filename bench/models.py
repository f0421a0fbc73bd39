"""tubelet vs transformers on the same checkpoint: clips/s at batch 1 and 8, fp32, and achieved GFLOP/s
against this machine's measured matmul rate, all in one run.

Checkpoints are the released base configurations with random weights (no hub access here; speed does not
depend on the values): VideoMAE-B 16x224, TimeSformer-B 8x224 (divided), ViViT-B 32x224. transformers runs
with attn_implementation="sdpa" where the model supports it, and "eager" as well.
Run: .venv/bin/python -m bench.models [--size small] [--batch 1 8] [--reps 2]
"""

from __future__ import annotations

import argparse
import tempfile
from functools import partial
from pathlib import Path

import torch

from tubelet import load_model
from tubelet.checkpoints.parity import import_transformers, reference_model
from tubelet.lab.measure import hardware, interleaved_medians, matmul_gflops
from tubelet.modeling.cost import clip_flops

KINDS = {
    "videomae": "VideoMAE-B 16x224",
    "timesformer-divided": "TimeSformer-B 8x224 divided",
    "vivit": "ViViT-B 32x224 (joint space-time)",
}


def hf_model(folder: Path, attn: str):
    transformers = import_transformers()
    import json

    arch = json.loads((folder / "config.json").read_text())["architectures"][0]
    try:
        return getattr(transformers, arch).from_pretrained(str(folder), attn_implementation=attn).eval()
    except (ValueError, ImportError):  # this model has no such attention implementation
        return None


def _autocast(fn, device: str, precision: str):
    if precision == "fp32":
        return fn

    def run(v):
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16):
            return fn(v).float()

    return run


def measure(kind: str, size: str, batches, reps: int, device: str = "cpu", precision: str = "fp32") -> list[dict]:
    """On CUDA with precision bf16, sdpa dispatches to the flash / memory-efficient kernels."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference_model(kind, size).save_pretrained(str(folder))
        ours = load_model(folder).eval().to(device)
        cfg = ours.config
        runners = {"tubelet": _autocast(lambda v: ours(v), device, precision)}
        for attn in ("sdpa", "eager"):
            m = hf_model(folder, attn)
            if m is not None:
                m.to(device)
                runners[f"transformers {attn}"] = _autocast(
                    (lambda mm: lambda v: mm(pixel_values=v.transpose(1, 2)).logits)(m), device, precision
                )
        flops = clip_flops(cfg)["total"]
        for b in batches:
            video = torch.randn(
                b, 3, cfg.num_frames, cfg.image_size, cfg.image_size, generator=torch.Generator().manual_seed(0)
            ).to(device)
            # eager (the materialized attention matrix) only at batch 1: at batch 8 it costs minutes and shows
            # nothing new
            active = {k: v for k, v in runners.items() if b == 1 or k != "transformers eager"}
            with torch.inference_mode():
                outs = {name: fn(video) for name, fn in active.items()}  # the check pass also warms up
                seconds = interleaved_medians({name: partial(fn, video) for name, fn in active.items()}, device, reps)
                for name in active:
                    sec, out = seconds[name], outs[name]
                    if out.shape[0] != b:  # TimeSformer space_only returns one row per frame
                        out = out.view(b, -1, out.shape[-1]).mean(1)
                    rows.append(
                        {
                            "kind": kind,
                            "model": KINDS.get(kind, kind) if size == "base" else f"{kind} ({size})",
                            "runner": name,
                            "device": device,
                            "precision": precision,
                            "batch": b,
                            "seconds": sec,
                            "clips_per_s": b / sec,
                            "gflops_per_s": flops * b / sec / 1e9,
                            "gflops_per_clip": flops / 1e9,
                            "max_abs_diff": (out.float() - outs["tubelet"].float()).abs().max().item(),
                        }
                    )
    return rows


def markdown(rows: list[dict], matmul: float, hw: str) -> str:
    lines = [
        f"Measured on {hw}; fp32; dense 2048x2048 matmul rate measured in the same run: **{matmul:,.1f} GFLOP/s**.",
        "",
        "| model | device, precision | batch | runner | clips/s | tubelet speed-up | GFLOP/s | % of matmul rate | "
        "max abs logit diff vs tubelet |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ours = next(
            x
            for x in rows
            if x["kind"] == r["kind"]
            and x["batch"] == r["batch"]
            and x["runner"] == "tubelet"
            and x["device"] == r["device"]
            and x["precision"] == r["precision"]
        )
        lines.append(
            f"| {r['model']} | {r['device']} {r['precision']} | {r['batch']} | {r['runner']} | "
            f"{r['clips_per_s']:.3f} | {r['seconds'] / ours['seconds']:.2f}x | {r['gflops_per_s']:.1f} | "
            f"{100 * r['gflops_per_s'] / matmul:.0f}% | "
            f"{r['max_abs_diff']:.1e} |"
        )
    lines += [
        "",
        "Speed-up = that runner's time / tubelet's time on the same batch (> 1: tubelet is faster). "
        "% of matmul rate compares with the CPU fp32 matmul rate (on CUDA rows it is only indicative).",
    ]
    return "\n".join(lines) + "\n"


def run(size="base", batches=(1, 8), reps=2, kinds=tuple(KINDS)) -> tuple[str, list[dict]]:
    matmul = matmul_gflops()
    setups = [("cpu", "fp32")] + ([("cuda", "fp32"), ("cuda", "bf16")] if torch.cuda.is_available() else [])
    rows = [
        r
        for device, precision in setups
        for kind in kinds
        for r in measure(kind, size, batches, reps, device, precision)
    ]
    hw = hardware() + (f"; GPU: {hardware('cuda')}" if torch.cuda.is_available() else "; no GPU in this run")
    return markdown(rows, matmul, hw), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("small", "base"), default="base")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--kind", choices=tuple(KINDS), action="append")
    args = ap.parse_args()
    print(run(args.size, args.batch, args.reps, tuple(args.kind or KINDS))[0])


if __name__ == "__main__":
    main()
