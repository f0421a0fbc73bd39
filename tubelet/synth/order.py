"""Temporal-order clips: classes that no model can tell apart without the order of the frames.

Each pair below shows the same frames in a different order (one class is the other reversed, or two
events swap places), so a model that pools frames without their order is at chance within the pair:
    moves_right / moves_left            grows / shrinks
    appears_then_moves_right / moves_right_then_disappears
    turns_red_to_blue / turns_blue_to_red
Two control classes need no order at all: still_circle / still_square.
"""

from __future__ import annotations

import numpy as np
import torch

from .content import procedural

PAIRS = (
    ("moves_right", "moves_left"),
    ("grows", "shrinks"),
    ("appears_then_moves_right", "moves_right_then_disappears"),
    ("turns_red_to_blue", "turns_blue_to_red"),
)
CONTROLS = ("still_circle", "still_square")
LABELS = tuple(x for pair in PAIRS for x in pair) + CONTROLS
ORDER_DEPENDENT = tuple(x for pair in PAIRS for x in pair)
SIZE, FPS, FRAMES = 64, 8.0, 16


def _draw(frame: torch.Tensor, x: float, y: float, r: float, colour: torch.Tensor, square: bool):
    h, w = frame.shape[1:]
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    mask = ((xx - x).abs() < r) & ((yy - y).abs() < r) if square else (xx - x) ** 2 + (yy - y) ** 2 < r * r
    frame[:] = torch.where(mask, colour[:, None, None], frame)


def make_clip(label: str, rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    n, size = FRAMES, SIZE
    background = procedural(rng, size, size) * rng.uniform(0.3, 0.6)
    frames = background[None].repeat(n, 1, 1, 1)
    square = rng.random() < 0.5 if label not in CONTROLS else label == "still_square"
    colour = torch.from_numpy(rng.uniform(0.6, 1.0, 3).astype(np.float32))
    r = rng.uniform(5, 9)
    y = rng.uniform(r + 2, size - r - 2)
    x0, x1 = rng.uniform(r + 2, 0.35 * size), rng.uniform(0.65 * size, size - r - 2)
    states = []  # per frame: (x, y, r, colour) or None (not visible)
    base = label.replace("moves_left", "moves_right").replace("shrinks", "grows")
    base = base.replace("turns_blue_to_red", "turns_red_to_blue")
    if base == "moves_right":
        states = [(x0 + (x1 - x0) * i / (n - 1), y, r, colour) for i in range(n)]
    elif base == "grows":
        r0, r1 = rng.uniform(3, 5), rng.uniform(12, 18)
        states = [(size / 2, size / 2, r0 + (r1 - r0) * i / (n - 1), colour) for i in range(n)]
    elif base == "turns_red_to_blue":
        red, blue = torch.tensor([1.0, 0.15, 0.1]), torch.tensor([0.1, 0.2, 1.0])
        states = [(size / 2, size / 2, r + 3, red + (blue - red) * i / (n - 1)) for i in range(n)]
    elif label in CONTROLS:
        x, yc = rng.uniform(r + 2, size - r - 2), rng.uniform(r + 2, size - r - 2)
        states = [(x, yc, r, colour)] * n
    else:  # the two event-order classes share one multiset of frames: k empty + m moving
        k = int(rng.integers(4, 8))
        moving = [(x0 + (x1 - x0) * i / (n - k - 1), y, r, colour) for i in range(n - k)]
        states = [None] * k + moving if label == "appears_then_moves_right" else moving + [None] * k
    if label in ("moves_left", "shrinks", "turns_blue_to_red"):
        states = states[::-1]
    for frame, st in zip(frames, states, strict=True):
        if st is not None:
            _draw(frame, st[0], st[1], st[2], st[3], square)
    frames = frames + torch.from_numpy(rng.normal(0, 0.01, frames.shape).astype(np.float32))
    return (frames.clamp(0, 1).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy(), FPS, 18
