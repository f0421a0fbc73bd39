"""`make bench`: every benchmark in one run, written to docs/benchmarks/benchmarks.md (+ docs/attention-bench/).

Sections: start-up of the command (bench/startup.py), attention layers (tubelet.lab.attention_bench), tubelet vs
transformers (bench/models.py), fast paths (bench/precision.py), the end-to-end race (bench/race.py), the web
server under load (bench/serve_load.py). (The library, segment rules, memory, preprocessing and tag_default
benchmarks write their own folders or files; `make bench` runs them after this one.) Each prints ratios against
a reference measured in the same run. --quick runs small configurations (a smoke run; its numbers mean little).

The whole run takes about an hour on 2 cores, so each finished section is saved at once (runs/bench/, and
docs/benchmarks/benchmarks.md is rewritten with what is done so far): an interrupted run loses at most the section it
was in, and `--resume` measures only the sections not yet saved.
Run: .venv/bin/python -m bench.report [--quick] [--out docs] [--resume] [--skip SECTION ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from bench import models, precision, race, serve_load, startup
from tubelet.atomic import atomic_write_text
from tubelet.lab import attention_bench as ab
from tubelet.lab.measure import hardware
from tubelet.lab.reports import report_dir

SECTIONS = ("startup", "attention", "models", "precision", "race", "serve")


def attention(quick: bool, out: Path, device: str) -> tuple[str, object]:
    ts = (1, 2) if quick else (4, 8, 16, 32)
    rows = ab.run(ts, device, dim=64 if quick else 768, heads=4 if quick else 12, reps=1 if quick else 3)
    md = ab.write_report(rows, hardware(device), out, t_ratio=16 if 16 in ts else ts[-1])
    md = md.replace("](attention-bench.png)", "](../attention-bench/attention-bench.png)")
    return "\n".join(["## Attention layers (`tubelet bench attention`)", "", md]), rows


def model_speed(quick: bool) -> tuple[str, object]:
    md, rows = models.run("small" if quick else "base", (1, 2) if quick else (1, 8), reps=1 if quick else 2)
    return "\n".join(["## tubelet vs transformers, same checkpoint (`bench/models.py`)", "", md]), rows


def fast_paths(quick: bool) -> tuple[str, object]:
    md, rows = precision.run("small" if quick else "base", (2,) if quick else None, reps=1 if quick else 2)
    return "\n".join(["## Fast paths: `tubelet tag --precision` (`bench/precision.py`)", "", md]), rows


def start_up(quick: bool) -> tuple[str, object]:
    md, rows = startup.run(reps=1 if quick else 7)
    return "\n".join(["## Start-up: the command line in a fresh process (`bench/startup.py`)", "", md]), rows


def the_server(quick: bool) -> tuple[str, object]:
    md, rows = serve_load.run(files=2000 if quick else 100_000, clients=10 if quick else 50, seconds=5 if quick else 30)
    return "\n".join(["## `tubelet serve` under load (`bench/serve_load.py`)", "", md]), rows


def the_race(quick: bool) -> tuple[str, object]:
    parts = [
        "## End-to-end race: tagging a real video into a timeline (`bench/race.py`)",
        "",
        "Two models: a small VideoMAE, where decoding and preprocessing dominate (what the pipeline can win), "
        "and VideoMAE-B, where the model does.",
        "",
    ]
    data = {}
    for size in ("small",) if quick else ("small", "base"):
        md, rows = race.run(size, reps=1 if quick else 3)
        data[size] = rows
        parts += [f"### VideoMAE {size}", "", md]
    return "\n".join(parts), data


def write(out: Path, saved: dict, device: str) -> str:
    missing = [s for s in SECTIONS if s not in saved]
    parts = [
        "# Benchmarks",
        "",
        f"Hardware: {hardware(device)}.",
        "",
        "Regenerate: `make bench` (or `.venv/bin/python -m bench.report`; `--resume` measures only sections not "
        "saved yet). Every ratio compares runs made in the same process; the model, precision and race sections "
        "time their runners in interleaved rounds (A B C, A B C, ...) and take medians, because a shared "
        "machine's speed drifts.",
        "",
    ]
    parts += [saved[s]["markdown"] for s in SECTIONS if s in saved]
    if missing:
        parts.append(f"_Not measured in this run: {', '.join(missing)}._")
    took = ", ".join(f"{s} {saved[s]['seconds']:.0f} s" for s in SECTIONS if (saved.get(s) or {}).get("seconds"))
    parts.append(f"_Time each section took to measure: {took}._")
    text = "\n".join(parts) + "\n"
    folder = report_dir(out, "benchmarks")
    atomic_write_text(folder / "benchmarks.md", text)
    rows = {s: saved[s]["rows"] for s in saved}
    atomic_write_text(folder / "benchmarks.json", json.dumps(rows, indent=2, default=str) + "\n")
    return text


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="docs")
    ap.add_argument("--parts", default="runs/bench", help="where finished sections are saved (for --resume)")
    ap.add_argument("--resume", action="store_true", help="reuse the sections already saved in --parts")
    ap.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    args = ap.parse_args(argv)
    out, store = Path(args.out), Path(args.parts) / ("quick" if args.quick else "full")
    out.mkdir(parents=True, exist_ok=True)
    store.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    saved = {}
    if args.resume:
        saved = {s: json.loads((store / f"{s}.json").read_text()) for s in SECTIONS if (store / f"{s}.json").exists()}
        if saved:
            print(f"resuming: reusing {', '.join(saved)} from {store}", flush=True)
    measure = {
        "startup": lambda: start_up(args.quick),
        "attention": lambda: attention(args.quick, out, device),
        "models": lambda: model_speed(args.quick),
        "serve": lambda: the_server(args.quick),
        "precision": lambda: fast_paths(args.quick),
        "race": lambda: the_race(args.quick),
    }
    for section in SECTIONS:
        if section in saved or section in args.skip:
            continue
        print(f"measuring {section} ...", flush=True)
        t0 = time.time()
        md, rows = measure[section]()
        saved[section] = {"markdown": md, "rows": rows, "seconds": time.time() - t0}
        atomic_write_text(store / f"{section}.json", json.dumps(saved[section], default=str) + "\n")
        write(out, saved, device)
        print(md, flush=True)
    print(write(out, saved, device))


if __name__ == "__main__":
    main()
