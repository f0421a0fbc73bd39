"""Moving-shapes under a panning camera (`tubelet synth moving-shapes-pan`): the same 18 labels, but the camera
drifts 3-8 px per clip in a random direction, so background and distractors shift between frames as they do in
handheld footage. A copy from the neighbouring frame at the same place is then no longer the right answer for a
hidden patch: the testbed for the masking comparison under camera motion."""
from __future__ import annotations

import numpy as np

from .shapes import FPS, LABELS, SYMMETRIES
from .shapes import make_clip as _fixed_camera_clip

__all__ = ["FPS", "LABELS", "SYMMETRIES", "make_clip"]


def make_clip(label: str, rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    """(frames (n, H, W, 3) uint8, fps, crf) whose measured motion, against the moving scene, is its label."""
    return _fixed_camera_clip(label, rng, pan=True)
