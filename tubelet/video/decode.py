"""Reading video files with PyAV (FFmpeg): check, probe, and decode once, converting only frames asked for.

`read_frames(path, times)` walks the stream forward one time and hands back, for every requested time,
the frame on screen at that moment (the last frame whose timestamp is <= the time), so variable frame
rates are handled by the real timestamps. Frames nobody asked for are decoded but never converted to
RGB, and decoding stops once the last requested time is reached. Rotation metadata is applied.
Every failure is a `VideoError` with a one-line message for the user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import TubeletError

VIDEO_EXTENSIONS = {
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".gif",
    ".mpg",
    ".mpeg",
    ".ts",
    ".mts",
    ".m2ts",
    ".wmv",
    ".flv",
    ".3gp",
    ".ogv",
    ".y4m",
}


class VideoError(TubeletError):
    """A file that cannot be used as a video; the message is one line for the user."""


@dataclass
class VideoInfo:
    path: str
    duration: float  # seconds of video (first frame's start to last frame's end)
    start: float  # timestamp of the first frame, seconds
    fps: float | None
    frames: int | None  # as declared by the container (may be absent or approximate)
    width: int  # as displayed (after rotation)
    height: int
    rotation: int  # counter-clockwise degrees applied to decoded frames
    codec: str
    container: str


def _av():
    import av

    return av


def open_container(path: str | os.PathLike):
    """Open `path` with FFmpeg after the checks that give clear errors; returns (container, video stream)."""
    av = _av()
    p = Path(path)
    if not p.exists():
        raise VideoError(f"no such file: {p}")
    if p.is_dir():
        raise VideoError(f"{p} is a directory")
    if not os.access(p, os.R_OK):
        raise VideoError(f"permission denied: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"empty file (0 bytes): {p}")
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except PermissionError:
        raise VideoError(f"permission denied: {p}") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise VideoError(f"not a video FFmpeg can read: {p} ({_reason(e)})") from None
    fmt = container.format.name
    if fmt == "image2" or fmt.endswith("_pipe"):
        container.close()
        raise VideoError(f"a still image ({fmt.replace('_pipe', '')}), not a video: {p}")
    if not container.streams.video:
        kind = "audio only" if container.streams.audio else "no streams FFmpeg can use"
        container.close()
        raise VideoError(f"no video stream ({kind}): {p}")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame + slice threads in the decoder
    return container, stream


def _reason(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return text.splitlines()[0][:120] if text else type(e).__name__


def _seconds(value, time_base) -> float | None:
    return None if value is None or time_base is None else float(value * time_base)


def probe(path: str | os.PathLike) -> VideoInfo:
    """Duration, rate, size and rotation, from headers (or a demux pass when headers lack a duration)."""
    container, stream = open_container(path)
    with container:
        tb = stream.time_base
        start = _seconds(stream.start_time, tb) or 0.0
        duration = _seconds(stream.duration, tb)
        if not duration and container.duration:
            duration = container.duration / 1e6 - max(0.0, start - (container.start_time or 0) / 1e6)
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        if not duration:
            duration = _demux_duration(container, stream, start)
        frames = stream.frames or (int(round(duration * fps)) if fps else None)
        rotation = _first_rotation(container, stream)
        w, h = stream.codec_context.width, stream.codec_context.height
        if rotation % 180:
            w, h = h, w
        return VideoInfo(
            str(path),
            float(duration),
            start,
            fps,
            frames,
            w,
            h,
            rotation,
            stream.codec_context.name,
            container.format.name,
        )


def _demux_duration(container, stream, start: float) -> float:
    """Read packets (no decoding) to find where the video ends."""
    end = 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    except _av().error.FFmpegError as e:
        raise VideoError(f"corrupt file: {container.name} ({_reason(e)})") from None
    container.seek(0)
    if end <= start:
        raise VideoError(f"no video packets with timestamps: {container.name}")
    return end - start


def _first_rotation(container, stream) -> int:
    av = _av()
    try:
        for frame in container.decode(stream):
            rotation = int(round(frame.rotation or 0))
            break
        else:
            raise VideoError(f"no decodable frames: {container.name}")
    except av.error.FFmpegError as e:
        raise VideoError(f"corrupt video, the first frame does not decode: {container.name} ({_reason(e)})") from None
    container.seek(0)
    return rotation


def to_rgb(frame, rotation: int) -> np.ndarray:
    """Decoded frame -> upright RGB uint8 (H, W, 3); any pixel format (10-bit, gray, ...) converts here."""
    rgb = frame.to_ndarray(format="rgb24")
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


def read_frames(
    path: str | os.PathLike, times: Sequence[float], info: VideoInfo | None = None, convert=to_rgb, watch=None
) -> Iterator[tuple[int, object]]:
    """Yield `(i, convert(frame, rotation))` for each `times[i]` (seconds from the first frame), in time order.

    One forward decode. A frame shown at several requested times is converted once. Times past the last
    frame get the last frame; if the stream ends well before the times asked for, the file is truncated
    and a VideoError says so. `watch(time, frame)`, if given, sees every decoded frame (shot detection,
    thumbnails), and the decode then runs to the end of the stream."""
    av = _av()
    info = info or probe(path)
    order = sorted(range(len(times)), key=lambda i: times[i])
    container, stream = open_container(path)
    k, last, last_converted, last_time, index = 0, None, None, None, -1
    frame_step = 1.0 / info.fps if info.fps else 0.04
    with container:
        try:
            for index, frame in enumerate(container.decode(stream)):
                t = frame.time - info.start if frame.time is not None else index * frame_step
                if watch is not None:
                    watch(t, frame)
                while k < len(order) and times[order[k]] < t and last is not None:
                    if last_converted is None:
                        last_converted = convert(last, info.rotation)
                    yield order[k], last_converted
                    k += 1
                if k == len(order) and watch is None:
                    break
                last, last_converted, last_time = frame, None, t
        except av.error.FFmpegError as e:
            at = f" at {last_time:.2f} s" if last_time is not None else ""
            raise VideoError(f"decoding failed{at} (corrupt or truncated file): {path} ({_reason(e)})") from None
        if last is None:
            raise VideoError(f"no decodable frames: {path}")
        if index == 0:
            raise VideoError(f"a single frame, not a video (nothing happens over time): {path}")
        if k < len(order):
            wanted = times[order[-1]]
            if wanted > last_time + max(0.5, 3 * frame_step) and wanted < info.duration:
                raise VideoError(f"truncated file: video stops at {last_time:.2f} s of {info.duration:.2f} s: {path}")
            converted = last_converted if last_converted is not None else convert(last, info.rotation)
            for i in order[k:]:
                yield i, converted


def find_videos(inputs: Sequence[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files, folders (recursively, by video extension) and glob patterns.

    Returns (paths, problems) where problems are (input, message) for inputs that name nothing usable."""
    import glob

    paths, problems = [], []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_EXTENSIONS)
            if not found:
                problems.append((item, f"no video files in directory {item}"))
            paths.extend(found)
        elif p.exists() or not glob.has_magic(item):
            paths.append(p)  # a missing file is reported when it is opened
        else:
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
            if not matches:
                problems.append((item, f"no files match {item}"))
            paths.extend(matches)
    seen, unique = set(), []
    for p in paths:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique, problems
