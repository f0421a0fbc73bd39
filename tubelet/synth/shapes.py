"""Moving-shapes clips: which shape moves, and how (the VideoMAE testbed).

A label is a shape and a motion, e.g. `triangle_turns_cw`: 3 shapes x 6 motions = 18 classes. Both halves
matter: the shape is appearance, the motion needs the order of the frames (grows / shrinks and the two
rotations are each other's time reversal). Each clip draws a still crop of a real photo (scikit-image's) as
the background, 1-2 static distractor shapes (any of the shapes or a disc, so "which shape" means "which one
moves"), and one moving shape of random colour, size, position, start angle and speed. A static textured
background is what makes the masking strategy matter: random masking lets a model copy a hidden patch from
the next frame, tube masking does not.

Every label is checked on the rendered frames before the clip is kept: the moving object is segmented against
the static scene, and its centroid, area and orientation are tracked frame to frame (`measure_motion`); a draw
whose measured motion is not its label (e.g. clipped by the border, hidden by a distractor) is drawn again.
`render(..., pan=True)` (the `moving-shapes-pan` task) films the same scene with a drifting camera;
`render(..., active=(3, 6))` (`moving-shapes-start-stop`; `moving-shapes-brief`: 2-4) makes the mover start and
stop at random frames.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .content import PHOTOS, photo

SHAPES = ("square", "triangle", "cross")
MOTIONS = ("moves_right", "moves_left", "turns_cw", "turns_ccw", "grows", "shrinks")
LABELS = tuple(f"{s}_{m}" for s in SHAPES for m in MOTIONS)
SIZE, FRAMES, FPS, SUPERSAMPLE = 32, 8, 8.0, 4
PAN_MARGIN = 5  # px of scene beyond each edge of the frame: room for the panning camera


def label_parts(label: str) -> tuple[str, str]:
    """`triangle_turns_cw` -> ("triangle", "turns_cw"): the appearance half and the motion half of a label."""
    shape, _, motion = label.partition("_")
    if shape not in SHAPES or motion not in MOTIONS:
        raise ValueError(f"not a moving-shapes label: {label!r}")
    return shape, motion


def _swap(a: str, b: str) -> dict[str, str]:
    return {**{f"{s}_{a}": f"{s}_{b}" for s in SHAPES}, **{f"{s}_{b}": f"{s}_{a}" for s in SHAPES}}


# a mirror reverses left/right and the sense of rotation; playing backwards reverses every motion
SYMMETRIES = {
    "hflip": {**_swap("moves_right", "moves_left"), **_swap("turns_cw", "turns_ccw")},
    "vflip": _swap("turns_cw", "turns_ccw"),
    "reverse": {**_swap("moves_right", "moves_left"), **_swap("turns_cw", "turns_ccw"), **_swap("grows", "shrinks")},
}


def shape_mask(
    kind: str, cx: float, cy: float, r: float, angle: float, size: int, ss: int = SUPERSAMPLE
) -> torch.Tensor:
    """Coverage in [0, 1] `(size, size)` of a shape centred at (cx, cy) px with half-extent r px, turned by
    `angle` radians clockwise on screen (y points down), anti-aliased by supersampling."""
    n = size * ss
    c = (torch.arange(n, dtype=torch.float32) + 0.5) / ss
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    dx, dy = xx - cx, yy - cy
    cos, sin = math.cos(angle), math.sin(angle)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy  # the shape's own axes
    if kind == "square":
        inside = (u.abs() <= r * 0.8) & (v.abs() <= r * 0.8)
    elif kind == "triangle":  # equilateral, circumradius r, a vertex at -v
        inside = torch.ones_like(u, dtype=torch.bool)
        for k in range(3):
            a = math.pi / 2 + k * 2 * math.pi / 3  # outward normals of the three edges
            inside &= u * math.cos(a) + v * math.sin(a) <= r / 2
    elif kind == "cross":
        arm = r * 0.36
        inside = ((u.abs() <= r) & (v.abs() <= arm)) | ((u.abs() <= arm) & (v.abs() <= r))
    elif kind == "disc":
        inside = u * u + v * v <= (r * 0.8) ** 2
    else:
        raise ValueError(f"unknown shape {kind!r}")
    return F.avg_pool2d(inside.float()[None, None], ss)[0, 0]


def background(rng: np.random.Generator, size: int) -> torch.Tensor:
    """A random crop of a real photo, its detail kept at a coarse scale (shrunk to 3-6 px, then enlarged) and
    toned down so shapes on it stay visible: (3, size, size). Fine texture would be unpredictable under any
    mask: it would dominate the pretraining loss and drown the moving shape's signal."""
    img = photo(PHOTOS[rng.integers(len(PHOTOS))])
    ph, pw = img.shape[1:]
    crop = int(min(ph, pw) * rng.uniform(0.25, 0.7))
    y, x = rng.integers(ph - crop + 1), rng.integers(pw - crop + 1)
    coarse = int(rng.integers(3, 7))
    img = F.interpolate(
        img[None, :, y : y + crop, x : x + crop],
        size=(coarse, coarse),
        mode="bilinear",
        antialias=True,
        align_corners=False,
    )
    img = F.interpolate(img, size=(size, size), mode="bicubic", align_corners=False)[0].clamp(0, 1)
    if rng.random() < 0.5:
        img = img.flip(2)
    lo = rng.uniform(0.1, 0.35)
    return (lo + img * rng.uniform(0.35, 0.55)).clamp(0, 1)


def _colour_on(rng: np.random.Generator, under: torch.Tensor) -> torch.Tensor:
    """A saturated colour that stands out from the pixels `under` it (3,) -> (3,)."""
    c = torch.from_numpy(rng.uniform(0, 1, 3).astype(np.float32))
    c[rng.integers(3)] = float(rng.uniform(0.85, 1.0))
    if (c - under).abs().mean() < 0.3:
        c = (1 - under).clamp(0, 1) * 0.5 + c * 0.5
        c[(c - under).abs().argmax()] = 1.0 if under.mean() < 0.5 else 0.0
    return c


def _composite(canvas: torch.Tensor, alpha: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    return canvas * (1 - alpha) + colour[:, None, None] * alpha


def start_stop_profile(rng: np.random.Generator, n: int, active: tuple[int, int] = (3, 6)) -> np.ndarray:
    """How much of its motion the mover has done by each of `n` frames, 0 -> 1: it moves during a random run of
    `active` = (fewest, most) of the n - 1 frame steps, each step at its own speed (weights 0.6-1.4), and
    stands still before and after. (n,)"""
    steps = n - 1
    k = int(rng.integers(active[0], active[1] + 1))
    start = int(rng.integers(0, steps - k + 1))
    w = np.zeros(steps)
    w[start : start + k] = rng.uniform(0.6, 1.4, k)
    return np.concatenate([[0.0], np.cumsum(w) / w.sum()])


def _path(motion: str, rng: np.random.Generator, n: int, size: int, active: tuple[int, int] | None = None):
    """Per-frame (cx, cy, r, angle) of the moving shape: at constant speed, or moving during `active` frame steps
    (`start_stop_profile`). A turn then takes one step more and at most 36 degrees a step, which the tracker
    follows."""
    if active:
        turns = motion.startswith("turns")
        t = start_stop_profile(rng, n, (min(active[0] + turns, active[1]), active[1]))
    else:
        t = np.linspace(0, 1, n)
    r = rng.uniform(5.5, 7.5)
    angle0 = rng.uniform(0, 2 * np.pi)
    cx, cy = rng.uniform(r + 3, size - r - 3, 2)
    if motion in ("moves_right", "moves_left"):
        r = rng.uniform(5.0, 7.0)
        travel = rng.uniform(0.3, 0.4) * size
        cy = rng.uniform(r + 2, size - r - 2)
        x0 = rng.uniform(r + 1, size - r - 1 - travel)
        xs = x0 + travel * t
        xs = xs if motion == "moves_right" else xs[::-1]
        return [(x, cy, r, angle0) for x in xs]
    if motion in ("turns_cw", "turns_ccw"):
        turn = rng.uniform(np.radians(120), np.radians(230))
        turn = min(turn, np.radians(36) / np.diff(t).max()) * (1 if motion == "turns_cw" else -1)
        return [(cx, cy, r * 1.1, angle0 + turn * s) for s in t]
    r0, r1 = rng.uniform(3.0, 4.0), rng.uniform(8.5, 10.5)
    cx, cy = rng.uniform(r1 + 1, size - r1 - 1, 2)
    rs = r0 + (r1 - r0) * t
    rs = rs if motion == "grows" else rs[::-1]
    return [(cx, cy, float(rr), angle0) for rr in rs]


def render(
    label: str,
    rng: np.random.Generator,
    size: int = SIZE,
    n: int = FRAMES,
    pan: bool = False,
    active: tuple[int, int] | None = None,
):
    """(frames (n, 3, size, size) float in [0, 1], the scene behind the mover (3, size, size), or one per frame
    (n, 3, size, size) with `pan`, alpha of the mover (n, size, size)). `pan`: the camera drifts 3-8 px over the
    clip in a random direction, so the background and distractors shift between frames; the mover's path (and
    so its label) is in screen coordinates. `active` (fewest, most): the mover moves during that many of the
    n - 1 frame steps, starting and stopping at random frames, at an uneven speed (`start_stop_profile`)."""
    shape, motion = next((s, label[len(s) + 1 :]) for s in SHAPES if label.startswith(s + "_"))
    canvas = size + 2 * PAN_MARGIN if pan else size
    scene = background(rng, canvas)
    for _ in range(rng.integers(1, 3)):  # static distractors
        kind = ("disc",) + SHAPES
        d = shape_mask(
            kind[rng.integers(len(kind))],
            *rng.uniform(4, canvas - 4, 2),
            rng.uniform(3.5, 5.5),
            rng.uniform(0, 2 * np.pi),
            canvas,
        )
        under = (scene * (d > 0.5)).sum((1, 2)) / (d > 0.5).sum().clamp_min(1)
        scene = _composite(scene, d, _colour_on(rng, under))
    path = _path(motion, rng, n, size, active)
    alphas = torch.stack([shape_mask(shape, *p, size) for p in path])
    if pan:  # drawn after everything else, so the fixed-camera clips of a seed stay what they were
        scene = camera_views(scene, size, rng.uniform(3, 2 * PAN_MARGIN - 2), rng.uniform(0, 2 * np.pi), n)
    on = alphas.amax(0) > 0.5
    behind = scene.mean(0) if pan else scene
    under = (behind * on).sum((1, 2)) / on.sum().clamp_min(1)
    colour = _colour_on(rng, under)
    frames = torch.stack([_composite(scene[k] if pan else scene, a, colour) for k, a in enumerate(alphas)])
    return frames, scene, alphas


def camera_views(canvas: torch.Tensor, size: int, travel: float, direction: float, n: int) -> torch.Tensor:
    """What a camera sees of `canvas` (3, S, S) while its `size` px window slides `travel` px along `direction`
    (radians; centred on the canvas, sub-pixel positions interpolated): (n, 3, size, size). The content moves
    the opposite way on screen."""
    big = canvas.shape[-1]
    t = torch.linspace(-0.5, 0.5, n)
    dx, dy = travel * t * math.cos(direction), travel * t * math.sin(direction)
    # affine_grid's coordinates: [-1, 1] spans the canvas; a window of size px is scaled by size / big
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = size / big
    theta[:, 0, 2], theta[:, 1, 2] = dx * 2 / big, dy * 2 / big
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    return F.grid_sample(canvas[None].expand(n, -1, -1, -1), grid, mode="bilinear", align_corners=False).clamp(0, 1)


# --- checking a label on the pixels ----------------------------------------------------------------------
def _rotate(mask: torch.Tensor, centre: tuple[float, float], angles: torch.Tensor) -> torch.Tensor:
    """`mask` (H, W) turned clockwise on screen about `centre` by each angle: (len(angles), H, W)."""
    h, w = mask.shape
    cx, cy = centre[0] / w * 2 - 1, centre[1] / h * 2 - 1
    cos, sin = angles.cos(), angles.sin()
    # output pixel p samples the input at R(-a) (p - c) + c (normalized coordinates; square frames)
    theta = torch.zeros(len(angles), 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = cos, sin, -sin, cos
    theta[:, 0, 2] = cx - (cos * cx + sin * cy)
    theta[:, 1, 2] = cy - (-sin * cx + cos * cy)
    grid = F.affine_grid(theta, (len(angles), 1, h, w), align_corners=False)
    return F.grid_sample(mask[None, None].expand(len(angles), 1, h, w), grid, align_corners=False)[:, 0]


def measure_motion(frames: torch.Tensor, scene: torch.Tensor, threshold: float = 0.08) -> dict:
    """Track the one moving object of `frames` (n, 3, H, W) over the `scene` behind it (3, H, W) or, under a
    moving camera, one per frame (n, 3, H, W): its segmented
    mask per frame -> horizontal travel (px), area ratio (last / first) and summed frame-to-frame rotation
    (degrees, clockwise positive; the best of -40..40 degrees per step aligning consecutive masks)."""
    masks = ((frames - (scene if scene.dim() == 4 else scene[None])).abs().amax(1) > threshold).float()
    area = masks.sum((1, 2))
    if (area < 4).any():
        return {"visible": False}
    n, h, w = masks.shape
    c = torch.arange(w, dtype=torch.float32) + 0.5
    cx = (masks.sum(1) * c).sum(1) / area
    cy = (masks.sum(2) * c[:h]).sum(1) / area
    steps = torch.linspace(-40, 40, 81)
    turn = 0.0
    for k in range(n - 1):
        rotated = _rotate(masks[k], (float(cx[k]), float(cy[k])), torch.deg2rad(steps))
        shifted = torch.roll(rotated, (round(float(cy[k + 1] - cy[k])), round(float(cx[k + 1] - cx[k]))), (1, 2))
        turn += float(steps[(shifted - masks[k + 1]).abs().sum((1, 2)).argmin()])
    return {
        "visible": True,
        "travel_px": float(cx[-1] - cx[0]),
        "area_ratio": float(area[-1] / area[0]),
        "turn_deg": turn,
    }


def motion_of(m: dict) -> str | None:
    """The motion label a measurement shows, or None when it shows none clearly (or more than one)."""
    if not m.get("visible"):
        return None
    moved, scaled, turned = (
        abs(m["travel_px"]) >= 6,
        abs(math.log(m["area_ratio"])) >= math.log(2.5),
        abs(m["turn_deg"]) >= 60,
    )
    if moved + scaled + turned != 1:
        return None
    if moved:
        return "moves_right" if m["travel_px"] > 0 else "moves_left"
    if scaled:
        return "grows" if m["area_ratio"] > 1 else "shrinks"
    return "turns_cw" if m["turn_deg"] > 0 else "turns_ccw"


def make_clip(
    label: str, rng: np.random.Generator, tries: int = 20, pan: bool = False, active: tuple[int, int] | None = None
) -> tuple[np.ndarray, float, int]:
    """(frames (n, H, W, 3) uint8, fps, crf) whose measured motion is its label."""
    motion = next(label[len(s) + 1 :] for s in SHAPES if label.startswith(s + "_"))
    for _ in range(tries):
        frames, scene, _ = render(label, rng, pan=pan, active=active)
        if motion_of(measure_motion(frames, scene)) == motion:
            return (frames.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy(), FPS, 12
    raise RuntimeError(f"no draw of {label} passed its motion check in {tries} tries")
