"""`tubelet synth TASK OUT_DIR`: procedurally generated clips as real MP4 files plus train/val/test manifests.

Clip i depends only on (seed, i): the same command makes the same files, and an interrupted run picks up
where it stopped (finished files are kept; each is written to a temp file and renamed).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from . import camera
from .pool import make_all
from .testbeds import TESTBEDS

TASKS = TESTBEDS  # the name the rest of tubelet has always used
SPLITS = ("train", "val", "test")


def plan(task: str, clips: int, seed: int, fractions=(0.8, 0.1, 0.1)) -> list[tuple[int, str, str]]:
    """(index, split, label) for every clip: labels balanced, splits drawn by a seeded permutation."""
    labels = TASKS[task].labels
    perm = np.random.default_rng([seed, 7919]).permutation(clips)
    bounds = np.cumsum([int(round(f * clips)) for f in fractions[:-1]])
    split_of = np.empty(clips, dtype=object)
    for name, part in zip(SPLITS, np.split(perm, bounds), strict=True):
        split_of[part] = name
    return [(i, split_of[i], labels[i % len(labels)]) for i in range(clips)]


def _make_one(args) -> str:
    task, seed, i, path, scenes_from = args
    import torch

    torch.set_num_threads(1)
    from .encode import write_mp4

    testbed = TASKS[task]
    label = testbed.labels[i % len(testbed.labels)]
    rng = np.random.default_rng([seed, i])
    if scenes_from:
        frames, fps, crf = camera.make_real_content_clip(label, rng, scenes_from)
    else:
        frames, fps, crf = testbed.make_clip(label, rng)
    write_mp4(path, frames, fps, crf)
    return path


def clip_path(out: Path, split: str, label: str, i: int) -> Path:
    return out / split / label / f"{i:06d}.mp4"


def synthesize(
    task: str,
    out_dir: str | os.PathLike,
    clips: int,
    seed: int = 0,
    workers: int | None = None,
    progress: bool | None = None,
    scenes_from: list[str] | None = None,
) -> dict:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if scenes_from and task != "camera-motion":
        raise ValueError("--scenes-from is for the camera-motion task")
    scenes_from = tuple(str(Path(p)) for p in scenes_from or ())
    if clips < len(TASKS[task].labels):
        raise ValueError(f"need at least {len(TASKS[task].labels)} clips (one per label)")
    out = Path(out_dir)
    rows = plan(task, clips, seed)
    todo = [
        (task, seed, i, str(clip_path(out, s, label, i)), scenes_from)
        for i, s, label in rows
        if not clip_path(out, s, label, i).exists()
    ]
    make_all(_make_one, todo, clips, f"synth {task}", workers, progress)
    for split in SPLITS:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["path", "label"])
        for i, s, label in rows:
            if s == split:
                w.writerow([clip_path(Path("."), s, label, i).as_posix(), label])
        atomic_write_text(out / f"{split}.csv", buf.getvalue())
    info = {
        "task": task,
        "clips": clips,
        "seed": seed,
        "labels": list(TASKS[task].labels),
        "scenes_from": [Path(p).name for p in scenes_from],
        "symmetries": TASKS[task].symmetries,
        "splits": {s: sum(1 for _, x, _ in rows if x == s) for s in SPLITS},
    }
    atomic_write_text(out / "dataset.json", json.dumps(info, indent=2) + "\n")
    return info
