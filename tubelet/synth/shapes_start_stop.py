"""Moving shapes that start and stop (`tubelet synth moving-shapes-start-stop`): the same 18 labels, fixed
camera, but the mover stands still for 1-4 of the 7 frame steps (before it starts, after it stops, or both) and
moves at an uneven speed in between. Two neighbouring frames then no longer tell how the rest of the clip goes:
a model that sees one moment of the clip (frame masking) cannot extrapolate the others, while one that sees part
of every moment (tube or random masking) can still follow the mover: the testbed for the masking comparison
when motion is not constant."""
from __future__ import annotations

import numpy as np

from .shapes import FPS, LABELS, SYMMETRIES
from .shapes import make_clip as _constant_speed_clip

__all__ = ["FPS", "LABELS", "SYMMETRIES", "make_clip"]


def make_clip(label: str, rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    """(frames (n, H, W, 3) uint8, fps, crf) whose measured motion is its label."""
    return _constant_speed_clip(label, rng, start_stop=True)
