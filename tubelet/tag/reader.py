"""The decode side of tagging, apart from the model so it can run in other processes (`index --workers N`):
one forward decode of a file gives every window's frames (resized and cropped, uint8), and, when asked, the
hard cuts (video/shots.py) and a small JPEG at each window's centre (for the library's segment thumbnails)."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator

import numpy as np
import torch

from ..video.decode import VideoInfo, read_frames, to_rgb
from ..video.preprocess import Preprocessor
from ..video.sampling import sample_times
from ..video.shots import CutDetector

THUMB_WIDTH = 160


def jpeg(rgb: np.ndarray, quality: int = 5) -> bytes:
    """(H, W, 3) uint8 -> JPEG bytes, through FFmpeg's mjpeg encoder (no imaging library needed)."""
    import av
    h, w = rgb.shape[:2]
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[: h - h % 2, : w - w % 2]), format="rgb24")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = frame.width, frame.height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qmin": str(quality), "qmax": str(quality)}
    packets = codec.encode(frame.reformat(format="yuvj420p")) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)


@dataclass
class DecodedExtras:
    """What the decode pass found besides the windows' frames."""
    cuts: list[float] = field(default_factory=list)
    thumbnails: dict[int, bytes] = field(default_factory=dict)    # window index -> JPEG at its centre


class _Watcher:
    """Sees every decoded frame: feeds the cut detector, grabs a thumbnail at each window centre."""

    def __init__(self, centres: list[float] | None, rotation: int, shots: bool):
        self.detector = CutDetector() if shots else None
        self.order = sorted(range(len(centres)), key=lambda i: centres[i]) if centres else []
        self.centres, self.rotation, self.next, self.thumbs = centres or [], rotation, 0, {}

    def __call__(self, time: float, frame):
        if self.detector is not None:
            self.detector(time, frame)
        while self.next < len(self.order) and self.centres[self.order[self.next]] <= time + 1e-6:
            height = max(2, round(frame.height * THUMB_WIDTH / frame.width / 2) * 2)
            small = to_rgb(frame.reformat(width=THUMB_WIDTH, height=height), self.rotation)
            self.thumbs[self.order[self.next]] = jpeg(small)
            self.next += 1


@dataclass
class ClipReader:
    pre: Preprocessor
    num_frames: int

    def windows(self, path, info: VideoInfo, spans: list[tuple[float, float]], *, shots: bool = False,
                thumbnails: bool = False, extras: DecodedExtras | None = None) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield (window index, frames (T, 3, H, W) uint8) as each window's frames are decoded; `extras` is
        filled with the cuts and thumbnails when the decode ends."""
        n = self.num_frames
        times = [t for s, e in spans for t in sample_times(s, e, n)]
        watcher = None
        if shots or thumbnails:
            watcher = _Watcher([(s + e) / 2 for s, e in spans] if thumbnails else None, info.rotation, shots)
        slots: dict[int, list] = {}
        convert = lambda frame, rotation: self.pre.frame(to_rgb(frame, rotation))  # noqa: E731
        for i, frame in read_frames(path, times, info, convert=convert, watch=watcher):
            w, slot = divmod(i, n)
            frames = slots.setdefault(w, [None] * n)
            frames[slot] = frame
            if all(f is not None for f in frames):
                yield w, torch.stack(slots.pop(w))
        if extras is not None and watcher is not None:
            extras.cuts = watcher.detector.cuts() if watcher.detector else []
            extras.thumbnails = watcher.thumbs
