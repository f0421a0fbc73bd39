"""Moving shapes that start and stop: the same 18 labels and fixed camera, but the mover moves during only part
of the clip, starting and stopping at random frames, at an uneven speed in between. Two neighbouring frames then
no longer tell how the rest of the clip goes: a model that sees one moment of the clip (frame masking) cannot
extrapolate the others, while one that sees part of every moment (tube or random masking) can still follow the
mover. Two doses, as `tubelet synth` tasks:

    moving-shapes-start-stop   moves during 3-6 of the 7 frame steps (stands still for 1-4)
    moving-shapes-brief        moves during 2-4 of them (stands still for 3-5)
"""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np

from .shapes import FPS, LABELS, SYMMETRIES
from .shapes import make_clip as _shapes_clip

ACTIVE_STEPS = {"moving-shapes-start-stop": (3, 6), "moving-shapes-brief": (2, 4)}


def make_clip(label: str, rng: np.random.Generator, active: tuple[int, int]) -> tuple[np.ndarray, float, int]:
    """(frames (n, H, W, 3) uint8, fps, crf) whose measured motion is its label."""
    return _shapes_clip(label, rng, active=active)


def task(name: str) -> SimpleNamespace:
    """What `tubelet synth` needs of a task: its labels, symmetries, frame rate and clip maker."""
    return SimpleNamespace(LABELS=LABELS, SYMMETRIES=SYMMETRIES, FPS=FPS,
                           make_clip=partial(make_clip, active=ACTIVE_STEPS[name]))
