"""Captioned clips for contrastive training: a manifest CSV of `path,caption` (several rows per clip allowed; more
columns are kept as the clip's facts), read into one entry per clip with all its captions.

The video side is `data.ClipDataset` (the same decoding, temporal jitter, crops and cache as `train`); an item is
(clip, one of its captions drawn by (seed, epoch, clip), the clip's index).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..video.preprocess import Preprocessor
from .data import ClipDataset, Sample


@dataclass(frozen=True)
class CaptionedClip:
    path: Path
    captions: tuple[str, ...]
    facts: dict = field(default_factory=dict, hash=False, compare=False)  # the manifest's other columns


def read_captions(path: str | os.PathLike) -> list[CaptionedClip]:
    """`path,caption[,...]` CSV -> one entry per clip, in order of first appearance; relative paths are relative
    to the CSV's folder."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise ValueError(f"no such manifest: {path}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    if not rows or not {"path", "caption"} <= set(rows[0]):
        raise ValueError(f"{path} needs a header with 'path' and 'caption' columns")
    clips: dict[Path, tuple[list[str], dict]] = {}
    for r in rows:
        p = Path(r["path"]) if os.path.isabs(r["path"]) else (path.parent / r["path"]).resolve()
        caption = (r["caption"] or "").strip()
        if not caption:
            raise ValueError(f"{path}: an empty caption for {r['path']}")
        texts, _ = clips.setdefault(p, ([], {k: v for k, v in r.items() if k not in ("path", "caption")}))
        texts.append(caption)
    return [CaptionedClip(p, tuple(texts), facts) for p, (texts, facts) in clips.items()]


def caption_splits(data: str | os.PathLike) -> dict[str, list[CaptionedClip]]:
    """A folder with train.csv (and val.csv, test.csv), or one CSV (training only)."""
    data = Path(data)
    if data.is_file():
        return {"train": read_captions(data)}
    if not (data / "train.csv").exists():
        raise ValueError(f"{data} has no train.csv (a path,caption manifest)")
    return {s: read_captions(data / f"{s}.csv") for s in ("train", "val", "test") if (data / f"{s}.csv").exists()}


class CaptionDataset(torch.utils.data.Dataset):
    def __init__(self, clips: list[CaptionedClip], num_frames: int, pre: Preprocessor, train: bool = False,
                 seed: int = 0, crop_scale: float = 1.0):  # fmt: skip
        self.clips = clips
        samples = [Sample(c.path, "") for c in clips]
        self.video = ClipDataset(samples, {"": 0}, num_frames, pre, train=train, seed=seed, crop_scale=crop_scale)

    def __len__(self):
        return len(self.clips)

    @property
    def epoch(self) -> int:
        return self.video.epoch

    @epoch.setter
    def epoch(self, value: int):
        self.video.epoch = value

    def cache(self, workers: int = 0, progress: bool | None = None) -> "CaptionDataset":
        self.video.cache(workers, progress)
        return self

    def caption(self, i: int) -> str:
        """Training: one of the clip's captions, drawn by (seed, epoch, clip); evaluation: the first."""
        texts = self.clips[i].captions
        if not self.video.train or len(texts) == 1:
            return texts[0]
        return texts[int(torch.randint(len(texts), (1,), generator=self.video._rng(i, stream=3)))]

    def __getitem__(self, i: int):
        x, _ = self.video[i]
        return x, self.caption(i), i
