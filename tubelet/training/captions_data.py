"""Captioned clips for contrastive training: a manifest CSV of `path,caption` (several rows per clip allowed), read
into one entry per clip with all its captions.

What makes two clips positives of one caption: by default, the same caption text. A manifest may say more: its
other columns are the clip's facts (`camera=pan_left`, `colour=red`, ...), and a `mentions` column names the facts
each caption states (`camera`, or `shape,colour,motion`). A caption is then true of every clip that has those
facts, whatever words it uses: "panning to the left" is true of every pan left in the batch, not a negative for
all but one of them (with nine camera moves, most of a batch would be such false negatives).

The video side is `data.ClipDataset` (the same decoding, temporal jitter, crops and cache as `train`); an item is
(clip, one of its captions drawn by (seed, epoch, clip), the clip's index, the caption's index).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..video.preprocess import Preprocessor
from .data import ClipDataset, Sample

Meaning = frozenset  # of (fact, value) pairs a caption states
RESERVED = ("path", "caption", "mentions")


@dataclass(frozen=True)
class CaptionedClip:
    path: Path
    captions: tuple[str, ...]
    meanings: tuple[Meaning, ...] = ()  # what each caption states
    facts: dict = field(default_factory=dict, hash=False, compare=False)  # the manifest's other columns

    @property
    def truths(self) -> frozenset:
        """Everything true of the clip: its facts, and each of its captions as text."""
        return frozenset(self.facts.items()) | {("caption", t) for t in self.captions}

    def satisfies(self, meaning: Meaning) -> bool:
        return meaning <= self.truths


def meaning_of(row: dict, caption: str) -> Meaning:
    """The facts a manifest row's caption states (its `mentions`), or the caption text itself."""
    mentions = [m.strip() for m in (row.get("mentions") or "").split(",") if m.strip()]
    if not mentions:
        return frozenset({("caption", caption)})
    unknown = [m for m in mentions if m not in row or m in RESERVED]
    if unknown:
        raise ValueError(f"'mentions' names {', '.join(unknown)}, which is not a fact column")
    return frozenset((m, row[m]) for m in mentions)


def read_captions(path: str | os.PathLike) -> list[CaptionedClip]:
    """`path,caption[,mentions][,fact columns]` CSV -> one entry per clip, in order of first appearance; relative
    paths are relative to the CSV's folder."""
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
    clips: dict[Path, tuple[list[str], list[Meaning], dict]] = {}
    for r in rows:
        p = Path(r["path"]) if os.path.isabs(r["path"]) else (path.parent / r["path"]).resolve()
        caption = (r["caption"] or "").strip()
        if not caption:
            raise ValueError(f"{path}: an empty caption for {r['path']}")
        try:
            meaning = meaning_of(r, caption)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        texts, meanings, _ = clips.setdefault(p, ([], [], {k: v for k, v in r.items() if k not in RESERVED}))
        texts.append(caption)
        meanings.append(meaning)
    return [CaptionedClip(p, tuple(t), tuple(m), facts) for p, (t, m, facts) in clips.items()]


def caption_splits(data: str | os.PathLike) -> dict[str, list[CaptionedClip]]:
    """A folder with train.csv (and val.csv, test.csv), or one CSV (training only)."""
    data = Path(data)
    if data.is_file():
        return {"train": read_captions(data)}
    if not (data / "train.csv").exists():
        raise ValueError(f"{data} has no train.csv (a path,caption manifest)")
    return {s: read_captions(data / f"{s}.csv") for s in ("train", "val", "test") if (data / f"{s}.csv").exists()}


def positives(meanings: list[Meaning], clips: list[CaptionedClip]) -> torch.Tensor:
    """(captions, clips) bool: caption a is true of clip b."""
    return torch.tensor([[c.satisfies(m) for c in clips] for m in meanings])


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

    def caption(self, i: int) -> int:
        """Which of clip i's captions: in training one drawn by (seed, epoch, clip); in evaluation the first."""
        n = len(self.clips[i].captions)
        if not self.video.train or n == 1:
            return 0
        return int(torch.randint(n, (1,), generator=self.video.rng(i, stream=3)))

    def __getitem__(self, i: int):
        x, _ = self.video[i]
        k = self.caption(i)
        return x, self.clips[i].captions[k], i, k
