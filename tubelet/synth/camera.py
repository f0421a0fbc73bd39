"""Camera-motion clips: a virtual camera moves over a still scene.

The viewport maps an output pixel offset p (from the frame centre, y down) to the world point
X = c + s * R(theta) * p, so content appears on screen at p = R(-theta) (X - c) / s:
    pan_right: c_x grows (content moves left)      pan_left: c_x shrinks (content moves right)
    tilt_down: c_y grows (content moves up)        tilt_up: c_y shrinks (content moves down)
    zoom_in:   s shrinks (content grows)           zoom_out: s grows (content shrinks)
    roll_clockwise: theta grows (content turns counter-clockwise on screen); roll_counterclockwise: the reverse
Variety: speed (slow drifts to fast whips), easing, secondary drift, hand-held shake, parallax (cut-outs nearer
than the scene), rolling shutter, motion blur, objects moving inside the shot, noise, defocus, brightness, frame
sizes and aspect ratios, letterboxing, frame rate, compression strength.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from ..video.decode import probe, read_frames
from ..video.sampling import sample_times
from . import optics
from .content import cutout, procedural, world

LABELS = (
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "zoom_in",
    "zoom_out",
    "roll_clockwise",
    "roll_counterclockwise",
)
# Label-preserving views of a clip, as label maps (labels not named stay): mirroring left-right turns a pan
# left into a pan right and flips the sense of a roll; mirroring up-down swaps tilts and rolls; playing the clip
# backwards reverses every motion; transposing the (square) model input swaps the x and y axes, so content moving
# right (pan_left) moves down (tilt_up) and a roll turns the other way. Training uses them as augmentation
# (`tubelet train --symmetries`).
SYMMETRIES = {
    "hflip": {
        "pan_left": "pan_right",
        "pan_right": "pan_left",
        "roll_clockwise": "roll_counterclockwise",
        "roll_counterclockwise": "roll_clockwise",
    },
    "vflip": {
        "tilt_up": "tilt_down",
        "tilt_down": "tilt_up",
        "roll_clockwise": "roll_counterclockwise",
        "roll_counterclockwise": "roll_clockwise",
    },
    "reverse": {
        "pan_left": "pan_right",
        "pan_right": "pan_left",
        "tilt_up": "tilt_down",
        "tilt_down": "tilt_up",
        "zoom_in": "zoom_out",
        "zoom_out": "zoom_in",
        "roll_clockwise": "roll_counterclockwise",
        "roll_counterclockwise": "roll_clockwise",
    },
    "transpose": {
        "pan_left": "tilt_up",
        "tilt_up": "pan_left",
        "pan_right": "tilt_down",
        "tilt_down": "pan_right",
        "roll_clockwise": "roll_counterclockwise",
        "roll_counterclockwise": "roll_clockwise",
    },
}
SIZES = ((160, 90), (160, 120), (128, 128), (176, 144), (192, 108), (144, 112), (120, 160), (200, 84))
FPS = (10, 12, 15, 24, 25, 30)
# speeds per second, drawn log-uniformly: pans and tilts in frame widths (heights), zooms as the log of the
# scale change (0.03 = 3% a second), rolls in degrees. Real footage has slow drifts and fast whips.
SPEEDS = {"pan": (0.04, 1.5), "zoom": (0.025, 0.8), "roll": (3.0, 90.0)}
# moves anyone can see (the ranges of tubelet 0.1's data): the demo clip draws from these
VISIBLE_SPEEDS = {"pan": (0.08, 0.8), "zoom": (0.1, 0.8), "roll": (5.0, 60.0)}
EASINGS = (lambda x: x, lambda x: x * x * (3 - 2 * x), lambda x: x * x, lambda x: 1 - (1 - x) ** 2)


def _log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def camera_path(label: str, rng: np.random.Generator, n: int, fps: float, w: int, h: int, speeds: dict = SPEEDS):
    """Per-frame (cx, cy, s, theta) for the label, before shake; c in world pixels with c0 = 0."""
    t = np.arange(n) / fps
    T = max(t[-1], 1e-6)
    e = EASINGS[rng.integers(len(EASINGS))](t / T) * T  # eased seconds: same start and end as linear
    s0 = rng.uniform(1.0, 1.8)
    cx, cy, s, th = np.zeros(n), np.zeros(n), np.full(n, s0), np.zeros(n)
    drift = rng.uniform(0, 0.2)  # a little of another motion, as real shots have
    if label.startswith("pan"):
        v = _log_uniform(rng, *speeds["pan"]) * w * s0
        cx = (1 if label == "pan_right" else -1) * v * e
        cy = rng.choice([-1, 1]) * drift * v * e
    elif label.startswith("tilt"):
        v = _log_uniform(rng, *speeds["pan"]) * h * s0
        cy = (1 if label == "tilt_down" else -1) * v * e
        cx = rng.choice([-1, 1]) * drift * v * e
    elif label.startswith("zoom"):
        k = _log_uniform(rng, *speeds["zoom"])
        s = s0 * np.exp((-1 if label == "zoom_in" else 1) * k * e)
        sx, sy = rng.choice([-1, 1], 2)
        cx, cy = sx * drift * 0.1 * w * s0 * e, sy * drift * 0.1 * h * s0 * e
    elif label.startswith("roll"):
        w_rad = math.radians(_log_uniform(rng, *speeds["roll"]))
        th = (1 if label == "roll_clockwise" else -1) * w_rad * e
    return cx, cy, s, th


def _shake(rng, n, w, s0):
    if rng.random() < 0.5:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    amp = rng.uniform(0.001, 0.006) * w * s0
    walk = np.cumsum(rng.normal(0, 1, (3, n)), axis=1)
    walk = np.stack([np.convolve(r, np.ones(3) / 3, mode="same") for r in walk])
    walk -= walk.mean(axis=1, keepdims=True)
    return amp * walk[0], amp * walk[1], 0.002 * walk[2]


def render(scene: torch.Tensor, cx, cy, s, th, w: int, h: int, supersample: int = 2) -> torch.Tensor:
    """Sample the scene through each frame's viewport -> (n, 3, h, w); `scene` is (3, H, W), world origin
    at its centre. Rendered at `supersample`x and averaged down, so zoomed-out frames do not alias. A global
    shutter and no blur: `optics.expose` adds those."""
    return optics.expose(scene, (cx, cy, s, th), len(cx), w, h, supersample=supersample)


def _objects(rng, frames: torch.Tensor) -> torch.Tensor:
    """1-3 things moving inside the shot (screen space): motion that is not the camera's. Some are
    person-sized (tall, textured, a fifth of the frame), as in a static shot of people walking by."""
    n, _, h, w = frames.shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    for _ in range(rng.integers(1, 4)):
        r = rng.uniform(0.04, 0.2) * min(h, w)
        tall = rng.uniform(1.0, 2.5)
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        vx, vy = rng.normal(0, 0.4 * w) / n, rng.normal(0, 0.4 * h) / n
        if rng.random() < 0.5:
            look = torch.from_numpy(rng.random(3, dtype=np.float32))[:, None, None].expand(3, h, w)
        else:
            look = procedural(rng, h, w)
        square = rng.random() < 0.5
        for i in range(n):
            dx, dy = xx - (x0 + vx * i), (yy - (y0 + vy * i)) / tall
            mask = (dx.abs() < r) & (dy.abs() < r) if square else dx**2 + dy**2 < r**2
            frames[i] = torch.where(mask, look.roll((int(vy * i), int(vx * i)), dims=(1, 2)), frames[i])
    return frames


def _blur(frames: torch.Tensor, sigma: float) -> torch.Tensor:
    k = int(2 * round(2 * sigma) + 1)
    x = torch.arange(k, dtype=torch.float32) - k // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = (g / g.sum()).view(1, 1, -1)
    c = frames.shape[1]
    across = F.pad(frames, (k // 2, k // 2, 0, 0), mode="replicate")
    f = F.conv2d(across, g.view(1, 1, 1, -1).expand(c, 1, 1, k), groups=c)
    down = F.pad(f, (0, 0, k // 2, k // 2), mode="replicate")
    return F.conv2d(down, g.view(1, 1, -1, 1).expand(c, 1, k, 1), groups=c)


def degrade(rng, frames: torch.Tensor) -> torch.Tensor:
    n, _, h, w = frames.shape
    if rng.random() < 0.4:
        frames = _blur(frames, rng.uniform(0.4, 1.5))
    gain, bias, gamma = rng.uniform(0.6, 1.3), rng.uniform(-0.1, 0.1), rng.uniform(0.7, 1.4)
    frames = (frames.clamp(0, 1) ** gamma) * gain + bias
    if rng.random() < 0.3:  # desaturate
        grey = frames.mean(dim=1, keepdim=True)
        frames = grey + (frames - grey) * rng.uniform(0, 0.7)
    if rng.random() < 0.2:  # flicker
        frames = frames * torch.from_numpy(rng.normal(1, 0.03, (n, 1, 1, 1)).astype(np.float32))
    if rng.random() < 0.6:
        frames = frames + torch.from_numpy(rng.normal(0, rng.uniform(0.005, 0.04), frames.shape).astype(np.float32))
    if rng.random() < 0.2:  # letterbox or pillarbox
        if rng.random() < 0.7:
            bar = int(h * rng.uniform(0.08, 0.18))
            frames[:, :, :bar], frames[:, :, h - bar :] = 0, 0
        else:
            bar = int(w * rng.uniform(0.08, 0.18))
            frames[..., :bar], frames[..., w - bar :] = 0, 0
    return frames.clamp(0, 1)


def make_clip(label: str, rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    """-> (frames uint8 (n, h, w, 3), fps, crf)."""
    w, h = SIZES[rng.integers(len(SIZES))]
    fps = float(FPS[rng.integers(len(FPS))])
    n = max(8, int(round(rng.uniform(1.5, 3.0) * fps)))
    # one sample more than frames: a rolling shutter reads the last frame's bottom rows a moment later
    cx, cy, s, th = camera_path(label, rng, n + 1, fps, w, h)
    jx, jy, jt = _shake(rng, n + 1, w, s[0])
    path = (cx + jx, cy + jy, s, th + jt)
    # a scene a few views wide; beyond it grid_sample reflects, so long pans never leave the world
    # (a scene sized to hold every viewport would need photos upscaled until they are flat)
    H, W = int(h * s[0] * rng.uniform(1.5, 3.0)), int(w * s[0] * rng.uniform(1.5, 3.0))
    scene = world(rng, H, W)
    layers = ()
    if rng.random() < 0.3:  # parallax: things nearer than the scene
        layers = tuple(
            optics.Layer(*cutout(rng, H, W, w * s[0], h * s[0]), depth=rng.uniform(1.3, 3.0))
            for _ in range(rng.integers(1, 3))
        )
    shutter = optics.Shutter(
        readout=rng.uniform(0.2, 0.9) if rng.random() < 0.35 else 0.0,
        exposure=rng.uniform(0.3, 1.0) if rng.random() < 0.35 else 0.0,
    )
    frames = optics.expose(scene, path, n, w, h, shutter, layers, supersample=2 if s.max() > 1.25 else 1)
    if rng.random() < (0.6 if label == "static" else 0.25):
        frames = _objects(rng, frames)
    frames = degrade(rng, frames)
    crf = int(rng.integers(18, 36))
    return (frames.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy(), fps, crf


@functools.lru_cache(maxsize=8)
def _footage(path: str, count: int = 8) -> tuple[torch.Tensor, ...]:
    """`count` frames spread over a real video, as (3, H, W) scenes in [0, 1]."""
    info = probe(path)
    got = dict(read_frames(path, sample_times(0, info.duration, count), info))
    return tuple(torch.from_numpy(got[i]).permute(2, 0, 1).float() / 255 for i in range(count))


def make_real_content_clip(label: str, rng: np.random.Generator, videos: tuple[str, ...]):
    """The same camera moves, filmed over frames of real footage, with no added noise, objects or bars:
    a check of whether a model trained on synthetic scenes sees camera motion in real pictures."""
    w, h = SIZES[rng.integers(len(SIZES))]
    fps = float(FPS[rng.integers(len(FPS))])
    n = max(8, int(round(rng.uniform(1.5, 3.0) * fps)))
    cx, cy, s, th = camera_path(label, rng, n, fps, w, h)
    frames = _footage(videos[rng.integers(len(videos))])
    scene = frames[rng.integers(len(frames))]
    need = 1.5 * max(h / scene.shape[1], w / scene.shape[2]) * s[0]  # a few views' worth of real pixels
    if need > 1:
        scene = F.interpolate(scene[None], scale_factor=need, mode="bilinear", align_corners=False)[0]
    rendered = render(scene, cx, cy, s, th, w, h, supersample=2 if s.max() > 1.25 else 1)
    frames = (rendered.clamp(0, 1).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
    return frames, fps, int(rng.integers(18, 30))


def make_shot_sequence(
    shots: list[tuple[str, float]],
    rng: np.random.Generator,
    w: int = 192,
    h: int = 108,
    fps: float = 25.0,
    speeds: dict = VISIBLE_SPEEDS,
) -> tuple[np.ndarray, list[dict]]:
    """One continuous clip in which the camera does each (label, seconds) in turn over one scene, at speeds
    drawn from `speeds` (by default moves anyone can see: a demo of a tilt too slow to notice shows nothing).

    Returns frames (n, h, w, 3) uint8 and the ground truth [{"start", "end", "label"}]."""
    cx, cy, s, th, truth, t0 = [np.zeros(1)], [np.zeros(1)], [np.full(1, 1.3)], [np.zeros(1)], [], 0.0
    for label, seconds in shots:
        n = int(round(seconds * fps))
        sub = np.random.default_rng(rng.integers(1 << 30))
        dx, dy, ds, dth = camera_path(label, sub, n + 1, fps, w, h, speeds)
        scale0, th0 = s[-1][-1], th[-1][-1]
        # continue from where the last shot ended; a pan or tilt moves along the camera's own (rolled) axes
        ux, uy = dx[1:] * scale0 / ds[0], dy[1:] * scale0 / ds[0]
        cx.append(cx[-1][-1] + math.cos(th0) * ux - math.sin(th0) * uy)
        cy.append(cy[-1][-1] + math.sin(th0) * ux + math.cos(th0) * uy)
        s.append(scale0 * ds[1:] / ds[0])
        th.append(th[-1][-1] + dth[1:])
        truth.append({"start": round(t0, 3), "end": round(t0 + n / fps, 3), "label": label})
        t0 += n / fps
    cx, cy, s, th = (np.concatenate(a)[1:] for a in (cx, cy, s, th))
    scene = world(rng, int(h * 1.3 * 3), int(w * 1.3 * 3), photo_weight=1.0)
    frames = torch.cat(
        [
            render(scene, cx[i : i + 64], cy[i : i + 64], s[i : i + 64], th[i : i + 64], w, h)
            for i in range(0, len(cx), 64)
        ]
    )
    return (frames.clamp(0, 1).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy(), truth
