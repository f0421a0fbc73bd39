"""Which tokens VideoMAE hides: boolean masks `(B, t*h*w)` in the tokens' (t h w) order, True = hidden.

    tube    the same spatial positions hidden in every temporal group (VideoMAE's choice: a tube that is
            hidden is hidden all the way through time, so the model cannot copy it from a neighbouring frame)
    random  every token independently (MAE's image masking applied to the whole clip)
    frame   whole temporal groups hidden (the model must predict entire frames from the others)

Every clip hides exactly the same number of tokens (the encoder's batch stays rectangular); the count is
round(ratio * total) for random, round(ratio * h*w) per group for tube, round(ratio * t) groups for frame,
kept between one hidden and one visible. Masks are drawn from a torch.Generator, so a seed gives the same
masks on every machine, and are made on the device the model runs on.
"""

from __future__ import annotations

import torch
from einops import repeat

from ..constants import MASKINGS


def _count(ratio: float, n: int) -> int:
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"mask ratio must be in [0, 1), got {ratio}")
    return min(max(int(round(ratio * n)), 1), n - 1) if n > 1 else 0


def _hide_k_of_n(batch: int, n: int, k: int, generator: torch.Generator | None, device) -> torch.Tensor:
    """(batch, n) bool with exactly k True per row at uniformly random places."""
    noise = torch.rand(batch, n, generator=generator, device="cpu" if generator is None else generator.device)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return (ranks < k).to(device)


def make_mask(
    kind: str,
    batch: int,
    grid: tuple[int, int, int],
    ratio: float = 0.9,
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    t, h, w = grid
    s = h * w
    if kind == "tube":
        spatial = _hide_k_of_n(batch, s, _count(ratio, s), generator, device)
        return repeat(spatial, "b s -> b (t s)", t=t)
    if kind == "random":
        return _hide_k_of_n(batch, t * s, _count(ratio, t * s), generator, device)
    if kind == "frame":
        frames = _hide_k_of_n(batch, t, _count(ratio, t), generator, device)
        return repeat(frames, "b t -> b (t s)", s=s)
    raise ValueError(f"unknown masking {kind!r}; choose from {', '.join(MASKINGS)}")


def hidden_fraction(kind: str, grid: tuple[int, int, int], ratio: float) -> float:
    """The exact share of tokens `make_mask` hides (the ratio after rounding to whole tokens)."""
    t, h, w = grid
    return float(make_mask(kind, 1, grid, ratio, torch.Generator().manual_seed(0)).float().mean())
