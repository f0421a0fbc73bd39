"""Write frames as a real H.264 MP4 (the same files the tagger and the trainer decode)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..atomic import atomic_write


def write_mp4(path: str | Path, frames: np.ndarray, fps: float, crf: int = 23) -> Path:
    """frames: (n, h, w, 3) uint8, even h and w. Written to a temp file, then renamed."""

    def write(tmp: Path):
        with av.open(str(tmp), "w", format="mp4") as c:
            s = c.add_stream(
                "libx264",
                rate=Fraction(fps).limit_denominator(1001),
                options={"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"},
            )
            s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
            for img in frames:
                for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)

    return atomic_write(path, write)
