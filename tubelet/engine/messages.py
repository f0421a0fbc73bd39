"""What crosses a boundary between the decode side, the model side, worker processes and Ray actors: plain
picklable dataclasses, in one module. A field a model does not produce is None (absent), never zeros."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..video.decode import VideoInfo

Span = tuple[float, float]


@dataclass
class WindowOutput:
    """What one model says about one window (None where the model does not produce it)."""

    probs: torch.Tensor | None = None  # (labels,) class probabilities, averaged over the model's views
    embedding: torch.Tensor | None = None  # (dim,) pooled features of the video tower
    values: torch.Tensor | None = None  # (targets,) regression outputs
    similarity: torch.Tensor | None = None  # (labels,) cosine to each label's text (video-language models)


@dataclass
class WindowResult(WindowOutput):
    """One window of one file through one model: its time span, what the model gave, its thumbnail."""

    start: float = 0.0
    end: float = 0.0
    thumbnail: bytes | None = None  # JPEG at the window's centre, when the run asked for thumbnails


@dataclass
class ModelWindows:
    """One model's windows over one file, in time order."""

    model: str
    windows: list[WindowResult]

    def stacked(self, name: str) -> torch.Tensor | None:
        """(windows, ...) of one output ("probs", "embedding", "values", "similarity"), or None if the model gives
        none."""
        rows = [getattr(w, name) for w in self.windows]
        return None if not rows or rows[0] is None else torch.stack(rows)


@dataclass
class FileTagged:
    """A file every model has seen: its metadata, hard cuts (if asked for) and each model's windows."""

    index: int
    path: str
    info: VideoInfo
    cuts: list[float]
    models: list[ModelWindows]


@dataclass
class FileFailed:
    """A file that could not be decoded or tagged: one line saying why."""

    index: int
    path: str
    message: str


@dataclass
class WindowFrames:
    """A window's frames (T, 3, H, W) uint8, decoded for one model (track) of the run; numpy between processes."""

    index: int
    track: int
    window: int
    frames: torch.Tensor | np.ndarray


@dataclass
class FileDecoded:
    """The decode pass of a file ended: every track's spans, the cuts and the thumbnails it found."""

    index: int
    path: str
    info: VideoInfo
    spans: list[list[Span]]  # per track
    cuts: list[float] = field(default_factory=list)
    thumbnails: list[dict[int, bytes]] = field(default_factory=list)  # per track: window -> JPEG


DecodeMessage = WindowFrames | FileDecoded | FileFailed


@dataclass(frozen=True)
class ModelSpec:
    """A model as a run names it, enough to load it again anywhere (a Ray actor on another machine)."""

    model: str  # checkpoint folder or hub id
    name: str = ""  # what outputs call it
    precision: str = "fp32"
    batch_size: int | None = None
    single_view: bool = False
    embeddings: bool = False
    window: float | str | None = None  # this model's window and stride in a run of several (None: the run's)
    stride: float | None = None
    labels: tuple[str, ...] | None = None  # a video-language model's labels for the run, and their template
    template: str = "{}"


@dataclass(frozen=True)
class RunSettings:
    """How a run cuts and decodes files, the same for every worker and actor."""

    window: float | str | None = None
    stride: float | None = None
    shots: bool = False
    thumbnails: bool = False


@dataclass(frozen=True)
class RayOptions:
    """`index --ray [ADDRESS]`: where the cluster is, how the models load there, how files reach the workers."""

    specs: tuple[ModelSpec, ...]
    address: str | None = None  # None: start or join a local instance
    ship: bool = False  # send file bytes through Ray's object store (no shared filesystem)
    actors: int | None = None
