"""`tubelet synth captions OUT --clips N`: the captioned dataset (synth/captions.py) as MP4 files and manifests.

`train.csv`, `val.csv`, `test.csv`: `path,caption,mentions,shape,colour,motion,camera,held_out`, three rows per
clip (its three captions; `mentions`: the facts a caption states, so training knows which clips it is true of).
Clip i depends only on (seed, i); finished files are kept, so an interrupted run goes on.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from . import captions
from .pool import make_all

SPLITS = ("train", "val", "test")
COLUMNS = ("path", "caption", "mentions", "shape", "colour", "motion", "camera", "held_out")
# the facts each of a clip's three captions states (captions.captions: the whole scene, the object, the camera)
MENTIONS = ("shape,colour,motion,camera", "shape,colour,motion", "camera")


@dataclass(frozen=True)
class CaptionedClip:
    index: int
    split: str
    facts: captions.Facts
    captions: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{self.split}/{self.index:06d}.mp4"


def plan(clips: int, seed: int, fractions=(0.8, 0.1, 0.1)) -> list[CaptionedClip]:
    perm = np.random.default_rng([seed, 7919]).permutation(clips)
    bounds = np.cumsum([int(round(f * clips)) for f in fractions[:-1]])
    split_of = {}
    for name, part in zip(SPLITS, np.split(perm, bounds), strict=True):
        split_of.update(dict.fromkeys(part.tolist(), name))
    out = []
    for i in range(clips):
        rng = np.random.default_rng([seed, i, 1])  # the facts and captions: apart from the pixels' stream
        facts = captions.draw_facts(rng, split_of[i])
        out.append(CaptionedClip(i, split_of[i], facts, tuple(captions.captions(facts, split_of[i], rng))))
    return out


def _make_one(args) -> str:
    facts, seed, i, path = args
    import torch

    torch.set_num_threads(1)
    from .encode import write_mp4

    frames, fps, crf = captions.make_clip(facts, np.random.default_rng([seed, i]))
    write_mp4(path, frames, fps, crf)
    return path


def synthesize_captions(
    out_dir: str | os.PathLike, clips: int, seed: int = 0, workers: int | None = None, progress: bool | None = None
) -> dict:
    if clips < 10:
        raise ValueError("need at least 10 clips (every split gets some)")
    out = Path(out_dir)
    rows = plan(clips, seed)
    todo = [(c.facts, seed, c.index, str(out / c.path)) for c in rows if not (out / c.path).exists()]
    make_all(_make_one, todo, clips, "synth captions", workers, progress)
    for split in SPLITS:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for c in rows:
            if c.split == split:
                f = c.facts
                for text, mentions in zip(c.captions, MENTIONS, strict=True):
                    w.writerow([c.path, text, mentions, f.shape, f.colour, f.motion, f.camera, int(f.held_out)])
        atomic_write_text(out / f"{split}.csv", buf.getvalue())
    info = {
        "task": "captions",
        "clips": clips,
        "seed": seed,
        "splits": {s: sum(1 for c in rows if c.split == s) for s in SPLITS},
        "held_out_test_clips": sum(1 for c in rows if c.split == "test" and c.facts.held_out),
        "held_out_combinations": [list(h) for h in captions.HELD_OUT],
    }
    atomic_write_text(out / "dataset.json", json.dumps(info, indent=2) + "\n")
    return info
