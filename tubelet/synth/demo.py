"""The `make demo` clip: a camera that does a known series of moves, and what a window of it may rightly be called."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# (camera move, seconds): the demo's script, in order
DEMO_SHOTS = [
    ("static", 2.0),
    ("pan_left", 3.0),
    ("zoom_in", 3.0),
    ("tilt_down", 2.5),
    ("roll_clockwise", 2.5),
    ("pan_right", 3.0),
]
DEMO_FPS = 25.0


def demo_clip(seed: int = 0) -> tuple[np.ndarray, list[dict]]:
    """(frames (n, H, W, 3) uint8, truth [{start, end, label}]) of the demo clip."""
    from .camera import make_shot_sequence

    return make_shot_sequence(DEMO_SHOTS, np.random.default_rng(seed))


def write_demo_clip(path: str | Path, seed: int = 0) -> list[dict]:
    """Encode the demo clip to `path` (MP4); returns its truth."""
    from .encode import write_mp4

    frames, truth = demo_clip(seed)
    write_mp4(path, frames, DEMO_FPS, crf=20)
    return truth


def expected_labels(truth: list[dict], start: float, end: float) -> set[str]:
    """The labels a window may rightly name: the moves it overlaps by more than a tenth of a second."""
    return {t["label"] for t in truth if min(end, t["end"]) - max(start, t["start"]) > 0.1}
