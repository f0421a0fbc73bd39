"""Frames -> model input, exactly as the checkpoint's preprocessor_config.json says, on tensors.

Two steps so memory stays small: `frame` runs on each frame as it is decoded (shortest-edge resize, the
result in uint8 as the image processors' PIL path gives, then the center crop), and `normalize` runs batched
on whole windows (rescale with optional offset, normalize) and returns `(B, C, T, H, W)` floats.
`preprocessor_config` writes the JSON a trained model is saved with (the reverse of `Preprocessor.from_config`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..constants import IMAGENET_MEAN, IMAGENET_STD, TEST_VIEWS_KEY, WINDOW_SECONDS_KEY

RESAMPLE = {2: "bilinear", 3: "bicubic", "bilinear": "bilinear", "bicubic": "bicubic"}


@dataclass
class Preprocessor:
    shortest_edge: int | None = 224  # resize so the short side has this length (aspect kept) ...
    size: tuple[int, int] | None = None  # ... or to exactly (height, width)
    crop: tuple[int, int] | None = (224, 224)
    rescale: float = 1 / 255
    offset: bool = False  # ViViT: x * rescale - 1
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    resample: str = "bilinear"

    @classmethod
    def from_config(cls, pre: dict | None, image_size: int) -> "Preprocessor":
        """From an HF image/video processor config; without one, resize + crop to the model's size, ImageNet stats."""
        if not pre:
            return cls(shortest_edge=image_size, crop=(image_size, image_size))
        size = pre.get("size") or {"shortest_edge": image_size}
        if isinstance(size, int):
            size = {"shortest_edge": size}
        crop = pre.get("crop_size") or {"height": image_size, "width": image_size}
        if isinstance(crop, int):
            crop = {"height": crop, "width": crop}
        return cls(
            shortest_edge=size.get("shortest_edge") if pre.get("do_resize", True) else None,
            size=(size["height"], size["width"]) if pre.get("do_resize", True) and "height" in size else None,
            crop=(crop["height"], crop["width"]) if pre.get("do_center_crop", True) else None,
            rescale=pre.get("rescale_factor", 1 / 255) if pre.get("do_rescale", True) else 1.0,
            offset=bool(pre.get("offset", False)),
            mean=tuple(pre.get("image_mean", IMAGENET_MEAN)) if pre.get("do_normalize", True) else (0.0,) * 3,
            std=tuple(pre.get("image_std", IMAGENET_STD)) if pre.get("do_normalize", True) else (1.0,) * 3,
            resample=RESAMPLE.get(pre.get("resample", 2), "bilinear"),
        )

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        if self.size:
            return self.size
        if not self.shortest_edge:
            return height, width
        short, long = min(height, width), max(height, width)
        new_long = int(self.shortest_edge * long / short)
        return (self.shortest_edge, new_long) if height <= width else (new_long, self.shortest_edge)

    def resize(self, rgb: np.ndarray) -> torch.Tensor:
        """One decoded frame (H, W, 3) uint8 -> resized (3, h, w) uint8."""
        x = torch.from_numpy(rgb).permute(2, 0, 1)
        h, w = self.output_size(x.shape[1], x.shape[2])
        if (h, w) == tuple(x.shape[1:]):
            return x.contiguous()
        if self.resample == "bilinear":
            # torch's uint8 antialiased bilinear kernel (Pillow-SIMD's algorithm, AVX2): faster than resizing
            # floats (docs/speed.md), and within one grey level of PIL, like the float path
            return F.interpolate(x[None], size=(h, w), mode="bilinear", antialias=True, align_corners=False)[0]
        y = F.interpolate(x[None].float(), size=(h, w), mode=self.resample, antialias=True, align_corners=False)
        return y[0].round_().clamp_(0, 255).to(torch.uint8)

    def center_crop(self, frames: torch.Tensor) -> torch.Tensor:
        """`(..., h, w)` uint8 -> `(..., crop_h, crop_w)`, zero-padded first when smaller."""
        if self.crop:
            ch, cw = self.crop
            h, w = frames.shape[-2:]
            if h < ch or w < cw:  # as the image processors do: pad with zeros to the crop size
                frames = F.pad(frames, (0, max(0, cw - w), 0, max(0, ch - h)))
                h, w = frames.shape[-2:]
            top, left = (h - ch) // 2, (w - cw) // 2
            frames = frames[..., top : top + ch, left : left + cw]
        return frames

    def normalize(self, frames: torch.Tensor) -> torch.Tensor:
        """Cropped frames `(B, T, 3, H, W)` uint8 -> model input `(B, 3, T, H, W)` float32.

        (x * rescale [- 1] - mean) / std folded into one multiply-add per channel, done in place after a single
        uint8 -> float pass over a (B, 3, T, H, W) copy: one pass over memory instead of one per step."""
        x = frames.permute(0, 2, 1, 3, 4).contiguous().float()
        std = torch.tensor(self.std, dtype=torch.float64)
        scale = (self.rescale / std).float().view(1, -1, 1, 1, 1)
        shift = ((-1.0 if self.offset else 0.0) - torch.tensor(self.mean, dtype=torch.float64)) / std
        return x.mul_(scale).add_(shift.float().view(1, -1, 1, 1, 1))

    def frame(self, rgb: np.ndarray) -> torch.Tensor:
        """One decoded frame -> resized and cropped (3, H, W) uint8: all per-frame work, done as frames arrive."""
        return self.center_crop(self.resize(rgb))

    def __call__(self, frames: list[np.ndarray]) -> torch.Tensor:
        """A list of RGB frames -> one clip `(1, 3, T, H, W)`."""
        return self.normalize(torch.stack([self.frame(f) for f in frames])[None])


def preprocessor_config(
    image_size: int,
    existing: dict | None = None,
    *,
    window_seconds: float | None = None,
    test_views: dict[str, dict[str, str]] | None = None,
) -> dict:
    """The preprocessor_config.json of a model tubelet trains: VideoMAEImageProcessor's fields (shortest-edge
    resize and center crop to `image_size`, ImageNet statistics) under whatever `existing` already says, plus
    tubelet's keys: the window `tag` uses by default and the label symmetries to average over."""
    pre = {
        "image_processor_type": "VideoMAEImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": image_size},
        "do_center_crop": True,
        "crop_size": {"height": image_size, "width": image_size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": list(IMAGENET_MEAN),
        "image_std": list(IMAGENET_STD),
        "resample": 2,
        **(existing or {}),
    }
    if window_seconds:
        pre[WINDOW_SECONDS_KEY] = window_seconds
    if test_views:  # trained with these symmetries: inference averages over them (video/symmetry.py)
        pre[TEST_VIEWS_KEY] = test_views
    return pre
