"""The decode side of the engine, apart from the models so it can run in other processes: one forward decode of
a file gives every track's window frames (each track: one model's frame count, size and windows), resized and
cropped as decoded (uint8), plus, when asked, the hard cuts (video/shots.py) and a small JPEG at each window's
centre. The window rule (the model's own window, the whole file, or seconds) lives here, in `WindowPlan`."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np
import torch

from ..video.decode import VideoError, VideoInfo, probe, read_frames, to_rgb
from ..video.preprocess import Preprocessor
from ..video.sampling import plan_windows, sample_times
from ..video.shots import CutDetector
from .messages import DecodeMessage, FileDecoded, FileFailed, Span, WindowFrames

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


@dataclass(frozen=True)
class WindowPlan:
    """Which spans of a file a model sees. `window`: seconds, or None / "file" for the whole file as one span."""

    window: float | str | None = None
    stride: float | None = None

    @classmethod
    def choose(cls, window: float | str | None, stride: float | None, model_window: float | None) -> "WindowPlan":
        """The window rule: no window asked for = the model's own window if it declares one, else the whole file."""
        return cls(model_window if window is None else window, stride)

    def spans(self, duration: float) -> list[Span]:
        return plan_windows(duration, None if self.window in (None, "file") else self.window, self.stride)


@dataclass(frozen=True)
class Track:
    """What the decoder must produce for one model: its preprocessing, frames per window and windows."""

    pre: Preprocessor
    num_frames: int
    plan: WindowPlan


class _Frame:
    """A decoded frame shared by every track that samples it: RGB once, each track's resize once."""

    def __init__(self, rgb: np.ndarray):
        self.rgb, self.sized = rgb, {}

    def for_track(self, k: int, pre: Preprocessor) -> torch.Tensor:
        if k not in self.sized:
            self.sized[k] = pre.frame(self.rgb)
        return self.sized[k]


class _Watcher:
    """Sees every decoded frame: feeds the cut detector, grabs a thumbnail at each requested centre."""

    def __init__(self, centres: list[float], rotation: int, shots: bool):
        self.detector = CutDetector() if shots else None
        self.order = sorted(range(len(centres)), key=lambda i: centres[i])
        self.centres, self.rotation, self.next, self.thumbs = centres, rotation, 0, {}

    def __call__(self, time: float, frame):
        if self.detector is not None:
            self.detector(time, frame)
        while self.next < len(self.order) and self.centres[self.order[self.next]] <= time + 1e-6:
            height = max(2, round(frame.height * THUMB_WIDTH / frame.width / 2) * 2)
            small = to_rgb(frame.reformat(width=THUMB_WIDTH, height=height), self.rotation)
            self.thumbs[self.order[self.next]] = jpeg(small)
            self.next += 1


@dataclass(frozen=True)
class Decoder:
    tracks: tuple[Track, ...]
    shots: bool = False
    thumbnails: bool = False

    def spans(self, info: VideoInfo) -> list[list[Span]]:
        return [t.plan.spans(info.duration) for t in self.tracks]

    def decode(self, index: int, path, info: VideoInfo | None = None) -> Iterator[DecodeMessage]:
        """WindowFrames as each window's frames are complete, then FileDecoded; or FileFailed with one line
        (one bad file never stops a run: every error is a message)."""
        try:
            info = info or probe(path)
            yield from self._windows(index, path, info)
        except VideoError as e:
            yield FileFailed(index, str(path), str(e))
        except Exception as e:
            yield FileFailed(index, str(path), f"{type(e).__name__}: {e}".splitlines()[0])

    def _windows(self, index: int, path, info: VideoInfo) -> Iterator[DecodeMessage]:
        spans = self.spans(info)
        owner = [
            (k, w, slot)
            for k, (track, s) in enumerate(zip(self.tracks, spans, strict=True))
            for w, (a, b) in enumerate(s)
            for slot in range(track.num_frames)
        ]
        times = [
            t
            for track, s in zip(self.tracks, spans, strict=True)
            for a, b in s
            for t in sample_times(a, b, track.num_frames)
        ]
        centres = sorted({(a + b) / 2 for s in spans for a, b in s}) if self.thumbnails else []
        watcher = _Watcher(centres, info.rotation, self.shots) if (self.shots or self.thumbnails) else None
        slots: dict[tuple[int, int], list] = {}
        convert = lambda frame, rotation: _Frame(to_rgb(frame, rotation))  # noqa: E731
        for i, frame in read_frames(path, times, info, convert=convert, watch=watcher):
            k, w, slot = owner[i]
            track = self.tracks[k]
            frames = slots.setdefault((k, w), [None] * track.num_frames)
            frames[slot] = frame.for_track(k, track.pre)
            if all(f is not None for f in frames):
                yield WindowFrames(index, k, w, torch.stack(slots.pop((k, w))))
        thumbs = watcher.thumbs if watcher is not None else {}
        by_time = {centres[i]: jpg for i, jpg in thumbs.items()}
        per_track = [{w: by_time[(a + b) / 2] for w, (a, b) in enumerate(s) if (a + b) / 2 in by_time} for s in spans]
        cuts = watcher.detector.cuts() if watcher is not None and watcher.detector else []
        yield FileDecoded(index, str(path), info, spans, cuts, per_track)
