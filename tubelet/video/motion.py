"""The camera's own motion between two frames, measured: tiled phase correlation, then one similarity fit.

Each tile of a grid gives the shift of its content (phase correlation: the peak of the normalized cross-power
spectrum). A camera move makes those shifts a field v(p) = t + a p + b p_perp over tile centres p (from the
frame centre, y down): t is the pan / tilt, a the zoom (content grows when a > 0), b the roll (b > 0: content
turns clockwise on screen, y down). Least squares over the tiles whose peak is clear, then once more without the
tiles that disagree most (people walking through a static shot). Used to annotate real footage by hand
(bench/real_footage.py prints it), not by the tagger."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Motion:
    """Between two frames: content shift in frame widths (dx > 0: content moves right, dy > 0: moves down),
    scale change (zoom > 0: content grows, as a fraction), rotation in radians (> 0: content turns clockwise),
    and the share of tiles that agreed with the fit."""

    dx: float
    dy: float
    zoom: float
    roll: float
    agreement: float


def _grey(frame: np.ndarray, width: int) -> np.ndarray:
    """(h, w, 3) uint8 -> (h', width) float32 grey, area-averaged down by an integer factor."""
    g = frame.astype(np.float32).mean(axis=2)
    k = max(1, g.shape[1] // width)
    h, w = g.shape[0] // k * k, g.shape[1] // k * k
    return g[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(dy, dx, peak) with b ~ a shifted by (dy, dx); sub-pixel by a parabola through the peak."""
    win = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    fa, fb = np.fft.fft2((a - a.mean()) * win), np.fft.fft2((b - b.mean()) * win)
    cross = fb * np.conj(fa)
    r = np.fft.ifft2(cross / np.maximum(np.abs(cross), 1e-6)).real
    iy, ix = np.unravel_index(np.argmax(r), r.shape)
    out = []
    for axis, i in ((0, iy), (1, ix)):
        n = r.shape[axis]
        lo, hi = (i - 1) % n, (i + 1) % n
        c, m, p = (r[lo, ix], r[iy, ix], r[hi, ix]) if axis == 0 else (r[iy, lo], r[iy, ix], r[iy, hi])
        den = c - 2 * m + p
        frac = 0.5 * (c - p) / den if abs(den) > 1e-9 else 0.0
        out.append(((i + 0.5 * n) % n - 0.5 * n) + frac)
    return out[0], out[1], float(r[iy, ix])


def global_motion(prev: np.ndarray, cur: np.ndarray, width: int = 256, grid: int = 4, min_peak: float = 0.05) -> Motion:
    """The camera motion from frame `prev` to frame `cur` (both (h, w, 3) uint8 RGB)."""
    a, b = _grey(prev, width), _grey(cur, width)
    h, w = a.shape
    th, tw = h // grid, w // grid
    rows = []
    for gy in range(grid):
        for gx in range(grid):
            ys, xs = slice(gy * th, (gy + 1) * th), slice(gx * tw, (gx + 1) * tw)
            dy, dx, peak = _shift(a[ys, xs], b[ys, xs])
            if peak >= min_peak:
                rows.append(((gx + 0.5) * tw - w / 2, (gy + 0.5) * th - h / 2, dx, dy))
    if len(rows) < 4:
        return Motion(0.0, 0.0, 0.0, 0.0, 0.0)
    p = np.asarray(rows)
    keep = np.ones(len(p), dtype=bool)
    for _ in range(2):
        x, y, vx, vy = (p[keep, k] for k in range(4))
        one, zero = np.ones_like(x), np.zeros_like(x)
        # vx = tx + a x - b y ;  vy = ty + a y + b x
        A = np.concatenate([np.stack([one, zero, x, -y], 1), np.stack([zero, one, y, x], 1)])
        sol = np.linalg.lstsq(A, np.concatenate([vx, vy]), rcond=None)[0]
        tx, ty, za, rb = sol
        err = np.hypot(p[:, 2] - (tx + za * p[:, 0] - rb * p[:, 1]), p[:, 3] - (ty + za * p[:, 1] + rb * p[:, 0]))
        new = err <= max(1.0, np.percentile(err, 70))
        if new.sum() < 4 or (new == keep).all():
            break
        keep = new
    return Motion(float(tx / w), float(ty / w), float(za), float(rb), float(keep.mean()))
