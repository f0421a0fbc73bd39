"""What the synthetic camera looks at: real still photos that ship with scikit-image, and procedural
textures (multi-scale noise, shapes, stripes, gradients), so a model learns motion, not a look."""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

# still images that scikit-image ships inside its wheel (no download)
PHOTOS = (
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "moon",
    "page",
    "text",
    "horse",
    "clock",
    "coins",
    "grass",
    "gravel",
    "brick",
    "colorwheel",
    "logo",
    "retina",
    "cat",
    "cell",
)


@functools.lru_cache(maxsize=None)
def photo(name: str) -> torch.Tensor:
    """(3, H, W) float in [0, 1]."""
    import skimage.data

    img = np.asarray(getattr(skimage.data, name)())
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = img[..., :3].astype(np.float32)
    img /= 255.0 if img.max() > 1.5 else 1.0
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).clamp(0, 1)


def _noise(rng: np.random.Generator, h: int, w: int, octaves: int = 5) -> torch.Tensor:
    """Multi-scale value noise: smooth blobs at several sizes, coloured."""
    out = torch.zeros(3, h, w)
    amp = 1.0
    for o in range(octaves):
        cells = 2 ** (o + 1) + 1
        grid = torch.from_numpy(rng.random((1, 3, cells, cells), dtype=np.float32))
        out += amp * F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=True)[0]
        amp *= rng.uniform(0.4, 0.7)
    out -= out.amin(dim=(1, 2), keepdim=True)
    return out / out.amax(dim=(1, 2), keepdim=True).clamp_min(1e-6)


def _shapes(rng: np.random.Generator, canvas: torch.Tensor, count: int) -> torch.Tensor:
    _, h, w = canvas.shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    for _ in range(count):
        colour = torch.from_numpy(rng.random(3, dtype=np.float32))[:, None, None]
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.02, 0.15) * min(h, w)
        kind = rng.integers(3)
        if kind == 0:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
        elif kind == 1:
            mask = ((xx - cx).abs() < r) & ((yy - cy).abs() < r * rng.uniform(0.3, 1.5))
        else:  # a line segment of some thickness
            a = rng.uniform(0, np.pi)
            d = (xx - cx) * np.sin(a) - (yy - cy) * np.cos(a)
            along = (xx - cx) * np.cos(a) + (yy - cy) * np.sin(a)
            mask = (d.abs() < max(1.0, r / 6)) & (along.abs() < 3 * r)
        canvas = torch.where(mask, colour, canvas)
    return canvas


def procedural(rng: np.random.Generator, h: int, w: int) -> torch.Tensor:
    kind = rng.integers(4)
    if kind == 0:
        img = _noise(rng, h, w)
    elif kind == 1:  # stripes / checks, rotated, on noise
        a, f = rng.uniform(0, np.pi), rng.uniform(0.02, 0.12)
        yy, xx = torch.meshgrid(
            torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij"
        )
        s = torch.sin((xx * np.cos(a) + yy * np.sin(a)) * f * 2 * np.pi)
        if rng.random() < 0.5:
            s = s * torch.sin((-xx * np.sin(a) + yy * np.cos(a)) * f * 2 * np.pi)
        colour = torch.from_numpy(rng.random((3, 1, 1), dtype=np.float32))
        img = 0.5 * _noise(rng, h, w, 3) + 0.5 * (s[None] > 0).float() * colour
    elif kind == 2:  # gradient with shapes
        colour = torch.from_numpy(rng.random((3, 1, 1), dtype=np.float32))
        g = torch.linspace(0, 1, w)[None, None].expand(3, h, w) * colour
        img = 0.6 * g + 0.4 * _noise(rng, h, w, 4)
    else:
        img = _noise(rng, h, w, 3) * 0.5
    return _shapes(rng, img.clamp(0, 1), int(rng.integers(3, 25)))


def world(rng: np.random.Generator, h: int, w: int, photo_weight: float = 0.6, shapes: bool = True) -> torch.Tensor:
    """A (3, h, w) scene: a random crop of a real photo (flipped, recoloured) or a procedural texture; `shapes`:
    sometimes with flat shapes drawn on the photo."""
    if rng.random() < photo_weight:
        img = photo(PHOTOS[rng.integers(len(PHOTOS))])
        ph, pw = img.shape[1:]
        scale = max(h / ph, w / pw) * rng.uniform(1.0, 1.6)
        img = F.interpolate(
            img[None],
            size=(max(h, int(ph * scale)), max(w, int(pw * scale))),
            mode="bilinear",
            antialias=True,
            align_corners=False,
        )[0]
        y, x = rng.integers(img.shape[1] - h + 1), rng.integers(img.shape[2] - w + 1)
        img = img[:, y : y + h, x : x + w]
        if rng.random() < 0.5:
            img = img.flip(2)
        if shapes and rng.random() < 0.3:
            img = _shapes(rng, img, int(rng.integers(1, 8)))
    else:
        img = procedural(rng, h, w)
    gain = torch.from_numpy(rng.uniform(0.8, 1.2, (3, 1, 1)).astype(np.float32))
    return (img * gain).clamp(0, 1).contiguous()


def cutout(rng: np.random.Generator, h: int, w: int, view_w: float, view_h: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Something nearer than the scene, for parallax: (rgb (3, h, w), alpha (1, h, w)) with 1-4 soft-edged
    poles, bushes or wall edges placed where the first view (view_w x view_h around the centre) sees them."""
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float32) - h / 2, torch.arange(w, dtype=torch.float32) - w / 2, indexing="ij"
    )
    alpha = torch.zeros(h, w)
    for _ in range(rng.integers(1, 5)):
        x0, y0 = rng.uniform(-0.6, 0.6) * view_w, rng.uniform(-0.6, 0.6) * view_h
        kind = rng.integers(3)
        if kind == 0:  # a pole or trunk: a vertical bar through the whole view
            half = rng.uniform(0.03, 0.1) * view_w
            mask = (xx - x0).abs() < half
        elif kind == 1:  # a bush: an ellipse
            rx, ry = rng.uniform(0.1, 0.3) * view_w, rng.uniform(0.1, 0.3) * view_h
            mask = ((xx - x0) / rx) ** 2 + ((yy - y0) / ry) ** 2 < 1
        else:  # the edge of a wall or doorway: everything beyond a line
            side = rng.choice([-1, 1])
            mask = side * (xx - x0) > 0 if rng.random() < 0.5 else side * (yy - y0) > 0
        alpha = torch.maximum(alpha, mask.float())
    soft = int(max(1, round(0.01 * view_w))) * 2 + 1
    alpha = F.avg_pool2d(alpha[None, None], soft, stride=1, padding=soft // 2, count_include_pad=False)[0]
    return world(rng, h, w), alpha
