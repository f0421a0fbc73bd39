"""`make bench`: every benchmark in one run, written to docs/benchmarks.md (+ docs/attention-bench.png).

Sections: attention layers (tubelet.attention_bench), tubelet vs transformers (bench/models.py), fast paths
(bench/precision.py), the end-to-end race (bench/race.py). Each prints ratios against a reference measured
in the same run. --quick runs small configurations (a smoke run; its numbers mean little).
Run: .venv/bin/python -m bench.report [--quick] [--out docs]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from tubelet import attention_bench as ab
from tubelet.atomic import atomic_write, atomic_write_text
from tubelet.measure import hardware

from bench import models, precision, race


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="docs")
    ap.add_argument("--skip", nargs="*", default=[], choices=("attention", "models", "precision", "race"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    size = "small" if args.quick else "base"
    started = time.time()
    parts = ["# Benchmarks", "", f"Hardware: {hardware(device)}.", "",
             "Regenerate: `make bench` (or `.venv/bin/python -m bench.report`). Every ratio compares runs made in the "
             "same process, one after the other.", ""]
    data = {}
    if "attention" not in args.skip:
        ts = (1, 2) if args.quick else (4, 8, 16, 32)
        rows = ab.run(ts, device, 64 if args.quick else 768, 4 if args.quick else 12, reps=1 if args.quick else 3)
        data["attention"] = rows
        atomic_write(out / "attention-bench.png", lambda p: ab.plot(rows, p))
        slope = ab.quadratic_exponent(rows)
        parts += ["## Attention layers (`tubelet bench attention`)", "", ab.markdown(rows, hardware(device), t_ratio=16 if 16 in ts else ts[-1]),
                  f"Joint attention peak memory on the explicit path grows as tokens^{slope:.2f} (2 = quadratic)."
                  if slope else "", "", "![attention benchmark](attention-bench.png)", ""]
    if "models" not in args.skip:
        md, rows = models.run(size, (1, 2) if args.quick else (1, 8), reps=1 if args.quick else 2)
        data["models"] = rows
        parts += ["## tubelet vs transformers, same checkpoint (`bench/models.py`)", "", md]
    if "precision" not in args.skip:
        md, rows = precision.run(size, 2 if args.quick else 8, reps=1 if args.quick else 2)
        data["precision"] = rows
        parts += ["## Fast paths: `tubelet tag --precision` (`bench/precision.py`)", "", md]
    if "race" not in args.skip:
        parts += ["## End-to-end race: tagging a real video into a timeline (`bench/race.py`)", "",
                  "Two models: a small VideoMAE, where decoding and preprocessing dominate (what the pipeline can win), "
                  "and VideoMAE-B, where the model does.", ""]
        for size in ("small",) if args.quick else ("small", "base"):
            md, rows = race.run(size, reps=1 if args.quick else 3)
            data[f"race_{size}"] = rows
            parts += [f"### VideoMAE {size}", "", md]
    parts.append(f"_Total benchmark time: {time.time() - started:.0f} s._")
    atomic_write_text(out / "benchmarks.md", "\n".join(parts) + "\n")
    atomic_write_text(out / "benchmarks.json", json.dumps(data, indent=2, default=str) + "\n")
    print("\n".join(parts))


if __name__ == "__main__":
    main()
