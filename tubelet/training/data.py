"""Video clips for training: manifests (`path,label` CSV), a folder-per-class tree (UCF101 layout) or a plain
folder of unlabelled videos, decoded, sampled and preprocessed through the same path `tubelet tag` uses; the
label order and the label symmetries a dataset declares."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..video.decode import VIDEO_EXTENSIONS, VideoError, find_videos, probe, read_frames, to_rgb
from ..video.preprocess import Preprocessor
from ..video.sampling import jittered_times, sample_times
from ..video.symmetry import apply_views, dataset_meta, dataset_symmetries, relabel


@dataclass(frozen=True)
class Sample:
    path: Path
    label: str


def read_manifest(path: str | os.PathLike) -> list[Sample]:
    """A CSV with `path,label` columns; relative paths are relative to the CSV's folder."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise ValueError(f"no such manifest: {path}") from None
    if not rows or not {"path", "label"} <= set(rows[0]):
        raise ValueError(f"{path} needs a header with 'path' and 'label' columns")
    return [
        Sample((path.parent / r["path"]).resolve() if not os.path.isabs(r["path"]) else Path(r["path"]), r["label"])
        for r in rows
    ]


def read_class_folders(root: str | os.PathLike) -> list[Sample]:
    """root/<label>/**/<video>: every video file under a class folder."""
    root = Path(root)
    samples = [
        Sample(p, d.name)
        for d in sorted(root.iterdir())
        if d.is_dir()
        for p in sorted(d.rglob("*"))
        if p.suffix.lower() in VIDEO_EXTENSIONS
    ]
    if not samples:
        raise ValueError(f"{root} has no class folders with videos in them")
    return samples


def unlabelled_clips(data: str | os.PathLike) -> list[Sample]:
    """Every video of a folder (recursively), a manifest CSV's paths, or a synth dataset's train split;
    labels, when present, are ignored (pretraining)."""
    data = Path(data)
    if data.is_dir() and (data / "train.csv").exists():
        rows = read_manifest(data / "train.csv")
    elif data.is_file() and data.suffix.lower() == ".csv":
        rows = read_manifest(data)
    elif data.is_dir():
        rows = [Sample(p, "") for p in find_videos([str(data)])[0]]
    else:
        raise ValueError(f"no such videos folder or manifest: {data}")
    if not rows:
        raise ValueError(f"{data}: no video files")
    return [Sample(r.path, "") for r in rows]


def dataset_labels(data: str, splits: dict) -> list[str]:
    """The dataset's own label order when it says one (dataset.json from `tubelet synth`), else sorted."""
    found = sorted({s.label for s in splits["train"]})
    meta = dataset_meta(data)
    if meta.exists():
        order = json.loads(meta.read_text()).get("labels", [])
        if set(order) >= set(found):
            return [x for x in order if x in set(found)]
    return found


def chosen_symmetries(data: str, choice: str | bool) -> dict[str, dict[str, str]]:
    """--symmetries: "" none, "all" (or True) every one the dataset declares, else a comma-separated subset."""
    if not choice:
        return {}
    declared = dataset_symmetries(data)
    if not declared:
        raise ValueError(f"--symmetries: {data} declares none (dataset.json from `tubelet synth` does)")
    if choice is True or choice == "all":
        return declared
    names = [x.strip() for x in choice.split(",") if x.strip()]
    unknown = [x for x in names if x not in declared]
    if unknown:
        raise ValueError(
            f"--symmetries: {data} does not declare {', '.join(unknown)} (it declares {', '.join(sorted(declared))})"
        )
    return {x: declared[x] for x in names}


def _hash_split(sample: Sample, fractions=(0.8, 0.1, 0.1)) -> str:
    """A stable split for folder-per-class data: by a hash of the file name, the same on every run."""
    u = int(hashlib.sha1(sample.path.name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if u < fractions[0] else "val" if u < fractions[0] + fractions[1] else "test"


def load_splits(data: str | os.PathLike, val: str | None = None, test: str | None = None) -> dict[str, list[Sample]]:
    """`data` = a folder with train.csv (and val.csv, test.csv), a train CSV, or a folder-per-class tree."""
    data = Path(data)
    if data.is_dir() and (data / "train.csv").exists():
        splits = {s: read_manifest(data / f"{s}.csv") for s in ("train", "val", "test") if (data / f"{s}.csv").exists()}
    elif data.is_file():
        splits = {"train": read_manifest(data)}
    elif data.is_dir():
        samples = read_class_folders(data)
        splits = {s: [x for x in samples if _hash_split(x) == s] for s in ("train", "val", "test")}
    else:
        raise ValueError(f"no such dataset: {data}")
    if val:
        splits["val"] = read_manifest(val)
    if test:
        splits["test"] = read_manifest(test)
    splits = {k: v for k, v in splits.items() if v}
    if "train" not in splits:
        raise ValueError(f"{data}: no training clips")
    return splits


class ClipDataset(torch.utils.data.Dataset):
    """Item i -> (clip (3, T, H, W) float, label index). Training samples one random time inside each of T
    equal parts of the clip (temporal jitter), optionally a random resized crop, and applies each declared
    symmetry with probability 1/2 (the label mapped accordingly); evaluation takes the centres, exactly as `tag`
    does. `cache()` decodes every clip once into memory (uint8, at the centre times: no jitter), for small
    datasets and many epochs."""

    def __init__(
        self,
        samples: list[Sample],
        label2id: dict[str, int],
        num_frames: int,
        pre: Preprocessor,
        train: bool = False,
        seed: int = 0,
        symmetries: dict[str, dict[str, str]] | None = None,
        crop_scale: float = 1.0,
    ):
        unknown = sorted({s.label for s in samples} - set(label2id))
        if unknown:
            raise ValueError(f"labels not in the model: {', '.join(unknown[:5])}")
        self.samples, self.label2id, self.n, self.pre = samples, label2id, num_frames, pre
        self.train, self.seed = train, seed
        self.symmetries = symmetries or {}
        if not 0.05 <= crop_scale <= 1.0:
            raise ValueError(f"crop scale must be in [0.05, 1], got {crop_scale}")
        self.crop_scale = crop_scale
        self.epoch = 0
        self.cached: torch.Tensor | None = None

    def __len__(self):
        return len(self.samples)

    def rng(self, i: int, stream: int = 0) -> torch.Generator:
        """Reproducible per (seed, epoch, clip, stream): a resumed run draws what the original drew."""
        return torch.Generator().manual_seed(hash((self.seed, self.epoch, i, stream)) & 0x7FFF_FFFF_FFFF)

    def times(self, i: int, duration: float, jitter: bool) -> list[float]:
        if not jitter:
            return sample_times(0.0, duration, self.n)
        return jittered_times(0.0, duration, self.n, torch.rand(self.n, generator=self.rng(i)).tolist())

    def frames(self, i: int, jitter: bool = False) -> torch.Tensor:
        """Clip i decoded, resized and cropped: `(T, 3, H, W)` uint8."""
        if self.cached is not None:
            return self.cached[i]
        s = self.samples[i]
        try:
            info = probe(s.path)
            got = dict(
                read_frames(
                    s.path,
                    self.times(i, info.duration, jitter),
                    info,
                    convert=lambda f, r: self.pre.frame(to_rgb(f, r)),
                )
            )
        except VideoError as e:
            raise ValueError(f"cannot use training clip: {e}") from None
        return torch.stack([got[k] for k in range(self.n)])

    def cache(self, workers: int = 0, progress: bool | None = None) -> "ClipDataset":
        from tqdm import tqdm

        # spawned workers: a forked one inherits whatever lock another thread held at the fork (PyAV's, a progress
        # bar's) and can wait on it forever; decoding is the work here, so the start-up of a spawn costs little
        if len(self) < 64 * workers:  # a small set decodes faster here than a spawned worker starts
            workers = 0
        context = "spawn" if workers else None
        loader = torch.utils.data.DataLoader(
            _Frames(self), batch_size=16, num_workers=workers, multiprocessing_context=context
        )
        bar = tqdm(
            total=len(self),
            unit="clip",
            desc="decoding into memory",
            disable=(not progress) if progress is not None else None,
        )
        parts = []
        for x in loader:
            parts.append(x)
            bar.update(len(x))
        bar.close()
        self.cached = torch.cat(parts)
        return self

    def random_resized_crop(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """One box per clip (area crop_scale..1 of the frame, aspect 3:4..4:3), the same in every frame so
        motion keeps its direction, resized back to the frame size: `(T, 3, H, W)` uint8 -> same."""
        t, _, h, w = x.shape
        u = torch.rand(4, generator=self.rng(i, stream=2)).tolist()
        area = h * w * (self.crop_scale + (1 - self.crop_scale) * u[0])
        aspect = math.exp(math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * u[1])
        ch, cw = min(h, round(math.sqrt(area / aspect))), min(w, round(math.sqrt(area * aspect)))
        y0, x0 = round((h - ch) * u[2]), round((w - cw) * u[3])
        crop = x[:, :, y0 : y0 + ch, x0 : x0 + cw].float()
        return F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False).round().clamp(0, 255).to(x.dtype)

    def __getitem__(self, i: int):
        x, label = self.frames(i, jitter=self.train), self.samples[i].label
        if self.train and self.crop_scale < 1:
            x = self.random_resized_crop(i, x)
        if self.train and self.symmetries:
            flips = torch.rand(len(self.symmetries), generator=self.rng(i, stream=1)).tolist()
            names = [name for u, name in zip(flips, sorted(self.symmetries), strict=True) if u < 0.5]
            x, label = apply_views(names, x, time_dim=0), relabel(names, label, self.symmetries)
        return self.pre.normalize(x[None])[0], self.label2id[label]


class _Frames(torch.utils.data.Dataset):
    """Decoding view of a ClipDataset for `cache()` (a module-level class so worker processes can pickle it)."""

    def __init__(self, ds: ClipDataset):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        return self.ds.frames(i)
