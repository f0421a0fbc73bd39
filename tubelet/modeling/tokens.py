"""Turning a clip into tokens: tubelet embedding and position embeddings.

A clip `(B, C, T, H, W)` is cut into non-overlapping t x p x p tubes by one Conv3d whose kernel equals
its stride. With t = 1 this is exactly TimeSformer's per-frame patch embedding (a Conv2d applied to
every frame). Tokens come out flattened in (t h w) order, the order every tubelet module assumes.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from .config import VideoTransformerConfig


class ConvStem(nn.Module):
    """A small convolutional stem with the same output grid as a t x p x p tubelet (Xiao et al. 2021, "Early
    convolutions help transformers see better"): log2(p) stride-2 convolutions with BatchNorm and ReLU
    (the first 5x5, then 3x3), then a 1x1 projection to the width.

    Time is strided (by t) only in the last convolution: every earlier layer sees neighbouring frames at full
    frame rate, where motion is a small local shift a 3-frame kernel can detect. Striding time first (as a
    tubelet does) throws that away: trained from scratch on camera motion, that variant (and the linear
    patchify) sat near chance for a thousand steps where this one learns at once."""

    def __init__(self, dim: int, *, patch_size: int, tubelet_size: int, num_channels: int = 3, width: int = 32):
        super().__init__()
        steps = patch_size.bit_length() - 1
        if 2**steps != patch_size or tubelet_size not in (1, 2) or steps < 1:
            raise ValueError("the conv stem needs a power-of-two patch size and a tubelet of 1 or 2 frames")
        chans = [num_channels] + [width * 2 ** min(i, 2) for i in range(steps)]
        # with one frame per tubelet the stem must not mix frames (tokens stay per-frame, as TimeSformer's)
        kt = 1 if tubelet_size == 1 else 3
        layers = []
        for i in range(steps):
            k = 5 if i == 0 else 3
            stride = (tubelet_size if i == steps - 1 else 1, 2, 2)
            conv = nn.Conv3d(chans[i], chans[i + 1], (kt, k, k), stride=stride, padding=(kt // 2, k // 2, k // 2))
            layers += [conv, nn.BatchNorm3d(chans[i + 1]), nn.ReLU()]
        self.layers = nn.Sequential(*layers)
        self.proj = nn.Conv3d(chans[-1], dim, 1)

    def reset_parameters(self):
        """PyTorch's default (Kaiming-uniform) conv init: the ViT's trunc-normal(0.02) starves a ReLU stack."""
        for m in self.modules():
            if isinstance(m, (nn.Conv3d, nn.BatchNorm3d)):
                m.reset_parameters()

    def forward(self, x):
        return self.proj(self.layers(x))


class TubeletEmbed(nn.Module):
    def __init__(
        self, dim: int, *, patch_size: int, tubelet_size: int = 2, num_channels: int = 3, stem: str = "linear"
    ):
        super().__init__()
        self.patch_size, self.tubelet_size, self.num_channels = patch_size, tubelet_size, num_channels
        kernel = (tubelet_size, patch_size, patch_size)
        if stem == "linear":
            self.proj = nn.Conv3d(num_channels, dim, kernel_size=kernel, stride=kernel)
        else:
            self.proj = ConvStem(dim, patch_size=patch_size, tubelet_size=tubelet_size, num_channels=num_channels)

    def grid(self, video_shape) -> tuple[int, int, int]:
        """The (t, h, w) token grid for a clip of this shape (B, C, T, H, W). The linear stem, like transformers'
        patch convolution, drops a remainder the tubelet does not cover; the conv stem needs an exact tiling."""
        if len(video_shape) != 5:
            raise ValueError(f"expected a video tensor (B, C, T, H, W), got shape {tuple(video_shape)}")
        _, c, t, h, w = video_shape
        if c != self.num_channels:
            raise ValueError(f"expected {self.num_channels} channels, got {c} (layout is B, C, T, H, W)")
        too_small = t < self.tubelet_size or h < self.patch_size or w < self.patch_size
        inexact = t % self.tubelet_size or h % self.patch_size or w % self.patch_size
        if too_small or (inexact and isinstance(self.proj, ConvStem)):
            tube = f"{self.tubelet_size}x{self.patch_size}x{self.patch_size}"
            raise ValueError(f"clip of {t} frames at {h}x{w} does not tile into {tube} tubelets")
        return t // self.tubelet_size, h // self.patch_size, w // self.patch_size

    def forward(self, video: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
        grid = self.grid(video.shape)
        x = self.proj(video)  # (B, D, t, h, w)
        return rearrange(x, "b d t h w -> b (t h w) d"), grid


def sinusoid_table(num_positions: int, dim: int) -> torch.Tensor:
    """VideoMAE's fixed table: angle(pos, j) = pos / 10000^(2*(j//2)/dim); sin on even j, cos on odd j.

    Computed in float64 then cast, as the reference implementation does, so the values match bit for bit.
    """
    pos = torch.arange(num_positions, dtype=torch.float64)[:, None]
    j = torch.arange(dim, dtype=torch.float64)
    exponent = 2 * torch.div(j, 2, rounding_mode="floor") / dim
    angles = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), exponent)
    table = torch.empty_like(angles)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table.float()[None]  # (1, N, D)


class PositionEmbedding(nn.Module):
    """Adds positions to a token sequence `(B, [cls] + t*h*w, D)` in (t h w) order.

    - `sincos`: VideoMAE's fixed table over the flattened token index (the class token gets none).
    - `learned`: ViViT's single learned table over [cls] + every token.
    - `learned_space_time`: TimeSformer's learned spatial table over [cls] + h*w, plus a learned temporal
      table over t added to every patch token (absent for space-only attention, which never mixes frames).
    """

    def __init__(self, config: VideoTransformerConfig):
        super().__init__()
        self.kind, self.class_token = config.pos_embed, config.class_token
        t, h, w = config.grid
        n_cls = int(config.class_token)
        if self.kind == "sincos":
            self.register_buffer("table", sinusoid_table(t * h * w, config.dim), persistent=False)
        elif self.kind == "learned":
            self.table = nn.Parameter(torch.zeros(1, n_cls + t * h * w, config.dim))
        else:
            self.space = nn.Parameter(torch.zeros(1, n_cls + h * w, config.dim))
            self.time = nn.Parameter(torch.zeros(1, t, config.dim)) if config.scheme != "space_only" else None
        self.grid = (t, h, w)

    def forward(self, x: torch.Tensor, grid: tuple[int, int, int]) -> torch.Tensor:
        if tuple(grid) != self.grid:
            raise ValueError(
                f"token grid {tuple(grid)} does not match the model's {self.grid} "
                "(resample the clip to the model's frame count and size)"
            )
        n_cls = int(self.class_token)
        if self.kind == "sincos":
            return torch.cat([x[:, :n_cls], x[:, n_cls:] + self.table.to(x.dtype)], dim=1)
        if self.kind == "learned":
            return x + self.table
        t, h, w = grid
        cls, patches = x[:, :n_cls], x[:, n_cls:]
        patches = rearrange(patches, "b (t s) d -> b t s d", t=t) + self.space[:, None, n_cls:]
        if self.time is not None:
            patches = patches + self.time[:, :, None]
        return torch.cat([cls + self.space[:, :n_cls], rearrange(patches, "b t s d -> b (t s) d")], dim=1)
