"""How the segment rules (tag/segments.py) change a timeline, measured on demo clips whose camera moves are known.

Each clip is a `tubelet demo-clip` (seeds 0..N-1: static, pan left, zoom in, tilt down, roll, pan right over one
real photo), tagged once by the bundled model (2 s windows every 1 s); every rule setting is then applied to the
same window probabilities. Reported: the share of time whose segment label is the true move (accuracy over time),
and segments per clip (the truth has 6).
Both the model's own windows (2 s every 1 s) and 1 s windows every 0.5 s are measured in one run, written to
docs/segment-rules/segment-rules.md and .json.
Run: .venv/bin/python -m bench.segment_rules [--clips 5] [--out docs]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
from pathlib import Path

import numpy as np

from tubelet import load_model
from tubelet.atomic import atomic_write_text
from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.lab.reports import report_dir
from tubelet.synth.camera import make_shot_sequence
from tubelet.synth.demo import DEMO_SHOTS
from tubelet.synth.encode import write_mp4
from tubelet.tag.segments import SegmentRules, merge_segments
from tubelet.tag.tagger import Tagger

GRID = dict(smooth=(1, 3), open=(0.0, 0.5, 0.6, 0.7), keep=(0.0, 0.3, 0.4), min_duration=(0.0, 1.0, 2.0))


def time_accuracy(segments: list[dict], truth: list[dict], duration: float, step: float = 0.05) -> float:
    def label_at(items, t):
        return next((x["label"] for x in items if x["start"] <= t < x["end"]), None)

    ts = np.arange(step / 2, duration, step)
    return float(np.mean([label_at(segments, t) == label_at(truth, t) for t in ts]))


def measure(clips: int = 5, window: float | None = None, stride: float | None = None) -> list[dict]:
    tagger = Tagger(load_model(bundled_model_path()), name="default")
    tagged = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(clips):
            frames, truth = make_shot_sequence(DEMO_SHOTS, np.random.default_rng(seed))
            path = Path(tmp) / f"demo{seed}.mp4"
            write_mp4(path, frames, 25.0, crf=20)
            tagged.append((tagger.tag(path, window, stride), truth))
    rows = []
    for values in itertools.product(*GRID.values()):
        rules = SegmentRules(**dict(zip(GRID, values, strict=True)))
        acc, counts = [], []
        for r, truth in tagged:
            segs = [
                s.to_json()
                for s in merge_segments(
                    [(w.start, w.end) for w in r.windows], r.probs, r.id2label, r.duration, rules=rules
                )
            ]
            acc.append(time_accuracy(segs, truth, r.duration))
            counts.append(len(segs))
        rows.append(
            {
                **rules.to_dict(),
                "accuracy": statistics.mean(acc),
                "accuracy_min": min(acc),
                "segments": statistics.mean(counts),
            }
        )
    return rows


def markdown(rows: list[dict], clips: int, window: str = "2 s windows every 1 s") -> str:
    plain = next(r for r in rows if (r["smooth"], r["open"], r["keep"], r["min_duration"]) == (1, 0.0, 0.0, 0.0))
    default = SegmentRules()
    chosen = next(
        r
        for r in rows
        if (r["smooth"], r["open"], r["keep"], r["min_duration"])
        == (default.smooth, default.open, default.keep, default.min_duration)
    )
    best = sorted(rows, key=lambda r: (-r["accuracy"], abs(r["segments"] - 6)))[:8]
    lines = [
        f"{clips} demo clips (seeds 0-{clips - 1}, 6 true moves each), bundled model, {window}; "
        "accuracy = share of time whose segment label is the true move (mean over clips; worst clip).",
        "",
        "| rules | smooth | open | keep | min duration s | accuracy | worst clip | segments per clip |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in [("plain (no rules)", plain), ("**default**", chosen)] + [("", r) for r in best]:
        lines.append(
            f"| {name} | {r['smooth']} | {r['open']:g} | {r['keep']:g} | {r['min_duration']:g} | "
            f"{r['accuracy']:.1%} | {r['accuracy_min']:.1%} | {r['segments']:.1f} |"
        )
    return "\n".join(lines) + "\n"


SETTINGS = (("2 s windows every 1 s (the model's own)", None, None), ("1 s windows every 0.5 s", 1.0, 0.5))


def _key(r: dict) -> tuple:
    return (r["smooth"], r["open"], r["keep"], r["min_duration"])


def verdict(rows: list[dict]) -> dict:
    """The default rules against the plain merge and against the best smoothed / hysteresis setting."""
    d = SegmentRules()
    default = next(r for r in rows if _key(r) == (d.smooth, d.open, d.keep, d.min_duration))
    plain = next(r for r in rows if _key(r) == (1, 0.0, 0.0, 0.0))
    others = [r for r in rows if r["smooth"] > 1 or r["open"] > 0]
    best = max(others, key=lambda r: (r["accuracy"], r["accuracy_min"]))
    return {
        "default": default,
        "plain": plain,
        "best_other": best,
        "default_vs_plain": default["accuracy"] - plain["accuracy"],
        "default_worst_vs_plain": default["accuracy_min"] - plain["accuracy_min"],
        "best_other_vs_default": best["accuracy"] - default["accuracy"],
        "best_other_worst_vs_default": best["accuracy_min"] - default["accuracy_min"],
    }


def _points(x: float) -> str:
    return f"{x * 100:+.1f} points"


def run(clips: int = 5, out: str | Path = "docs") -> str:
    parts, data = ["# Segment rules on demo clips with known moves (`bench/segment_rules.py`)", ""], []
    for what, window, stride in SETTINGS:
        rows = measure(clips, window, stride)
        v = verdict(rows)
        data.append({"windows": what, "window": window, "stride": stride, "rows": rows, "verdict": v})
        parts += [
            f"## {what}",
            "",
            markdown(rows, clips, what),
            f"The default against the plain merge: {_points(v['default_vs_plain'])} of time accuracy, worst clip "
            f"{_points(v['default_worst_vs_plain'])}. The best setting with smoothing or hysteresis (smooth "
            f"{v['best_other']['smooth']}, open {v['best_other']['open']:g}, keep {v['best_other']['keep']:g}, "
            f"min duration {v['best_other']['min_duration']:g} s) against the default: "
            f"{_points(v['best_other_vs_default'])}, worst clip {_points(v['best_other_worst_vs_default'])}.",
            "",
        ]
    parts.append(f"Regenerate: `.venv/bin/python -m bench.segment_rules --clips {clips}`")
    md = "\n".join(parts) + "\n"
    folder = report_dir(out, "segment-rules")
    atomic_write_text(folder / "segment-rules.md", md)
    atomic_write_text(folder / "segment-rules.json", json.dumps({"clips": clips, "settings": data}, indent=2) + "\n")
    return md


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=5)
    ap.add_argument("--out", default="docs")
    args = ap.parse_args()
    print(run(args.clips, args.out))
