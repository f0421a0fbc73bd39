"""How a camera turns a moving viewport into frames: the sampling grid of one viewport, a rolling shutter
(rows read out one after another), motion blur (the shutter open for part of the frame interval) and parallax
(layers at different depths seen through the same moving camera).

A camera path is four arrays (cx, cy, s, theta) over frame indices; `at` reads it at fractional times, so
a row read out a third of a frame late, or a sub-exposure halfway through the shutter, sees the camera where
it was at that moment. The viewport maps an output pixel offset p (from the frame centre, y down) to the world
point X = c + s * R(theta) * p; world coordinates are pixels of the scene with the origin at its centre."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

Path = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Shutter:
    """readout: the delay of the last row behind the first, in frame intervals (0 = global shutter; phones
    are often 0.3-0.9). exposure: the fraction of the frame interval the shutter is open (0 = sharp)."""

    readout: float = 0.0
    exposure: float = 0.0
    samples: int = 4  # sub-exposures averaged when exposure > 0


@dataclass(frozen=True)
class Layer:
    """A cut-out in front of the scene: rgb (3, H, W), alpha (1, H, W), at `depth` times closer than the
    background (translation and dolly-zoom of the camera are felt `depth` times as strongly)."""

    rgb: torch.Tensor
    alpha: torch.Tensor
    depth: float


def at(path: Path, times: np.ndarray) -> Path:
    """The path at fractional frame indices (linear between frames, held at the ends)."""
    index = np.arange(len(path[0]), dtype=np.float64)
    return tuple(np.interp(times, index, np.asarray(p, dtype=np.float64)) for p in path)


def for_layer(path: Path, depth: float) -> Path:
    """The same camera seen against a layer `depth` times closer: translation scales with depth, a zoom
    (read as the camera dollying in) grows `depth` times as fast, a roll is the same."""
    cx, cy, s, th = path
    s = np.asarray(s, dtype=np.float64)
    return np.asarray(cx) * depth, np.asarray(cy) * depth, s[0] * (s / s[0]) ** depth, th


def viewport_grid(path: Path, w: int, h: int, W: int, H: int, supersample: int = 1) -> torch.Tensor:
    """grid_sample's grid (n, h * supersample, w * supersample, 2) for the viewports of `path` on a w x h
    frame; each array is (n,) or (n, rows) (one camera per row, for a rolling shutter). In normalized
    coordinates (u, v in [-1, 1] over the frame at the sampled pixels' centres, the same over the scene):
        Xn = s cos w/W u - s sin h/W v + 2 cx/W,    Yn = s sin w/H u + s cos h/H v + 2 cy/H."""
    cx, cy, s, th = (np.asarray(p, dtype=np.float64) for p in path)
    n = len(cx)
    # the per-frame (or per-row) affine coefficients in float64, the grid itself in float32 (as affine_grid)
    coef = [
        torch.from_numpy(a.reshape(n, -1, 1)).float()
        for a in (
            s * np.cos(th) * w / W,
            -s * np.sin(th) * h / W,
            2 * cx / W,
            s * np.sin(th) * w / H,
            s * np.cos(th) * h / H,
            2 * cy / H,
        )
    ]
    ws, hs = w * supersample, h * supersample
    u = ((2 * torch.arange(ws, dtype=torch.float32) + 1) / ws - 1).view(1, 1, ws)
    v = ((2 * torch.arange(hs, dtype=torch.float32) + 1) / hs - 1).view(1, hs, 1)
    grid = torch.empty(n, hs, ws, 2)
    grid[..., 0] = coef[0] * u + (coef[1] * v + coef[2])
    grid[..., 1] = coef[3] * u + (coef[4] * v + coef[5])
    return grid


def _sample(image: torch.Tensor, grid: torch.Tensor, padding: str) -> torch.Tensor:
    return F.grid_sample(
        image[None].expand(grid.shape[0], -1, -1, -1), grid, mode="bilinear", padding_mode=padding, align_corners=False
    )


def expose(
    scene: torch.Tensor,
    path: Path,
    n: int,
    w: int,
    h: int,
    shutter: Shutter = Shutter(),
    layers: tuple[Layer, ...] = (),
    supersample: int = 1,
) -> torch.Tensor:
    """Frames (n, 3, h, w) of `scene` (3, H, W) through the camera `path` (at least n samples). Frame i's row
    y is read at time i + readout * y / h; with an exposure, each frame averages `samples` moments spread over
    it. Layers are composited over the scene, far to near. Rendered at `supersample`x and averaged down."""
    H, W = scene.shape[1:]
    hs, ws = h * supersample, w * supersample
    rows = shutter.readout * (np.arange(hs) + 0.5) / hs if shutter.readout else np.zeros(1)
    spread = (
        [0.0]
        if shutter.exposure <= 0
        else list(shutter.exposure * (np.arange(shutter.samples) + 0.5) / shutter.samples - shutter.exposure / 2)
    )
    layers = sorted(layers, key=lambda x: x.depth)
    layer_paths = [for_layer(path, layer.depth) for layer in layers]
    frames = torch.zeros(n, 3, hs, ws)
    for offset in spread:
        times = np.arange(n)[:, None] + offset + rows[None, :]  # (n, rows)
        times = times[:, 0] if times.shape[1] == 1 else times
        frame = _sample(scene, viewport_grid(at(path, times), w, h, W, H, supersample), "reflection")
        for layer, layer_path in zip(layers, layer_paths, strict=True):
            grid = viewport_grid(at(layer_path, times), w, h, W, H, supersample)
            alpha = _sample(layer.alpha, grid, "zeros")
            frame = alpha * _sample(layer.rgb, grid, "zeros") + (1 - alpha) * frame
        frames += frame / len(spread)
    return F.avg_pool2d(frames, supersample) if supersample > 1 else frames
