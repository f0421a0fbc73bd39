"""Which moments of a video become model input: one home for clip and window time sampling.

Tagging, training data and the synthetic datasets all choose frames here, so a model is trained on frames
picked the way `tag` picks them:
- `plan_windows`: the (start, end) spans a file is cut into (a timeline), or the whole file as one span.
- `sample_times`: n frames at the centres of n equal parts of a span (evaluation and tagging).
- `jittered_times`: one random moment inside each of those n parts (training's temporal jitter).
"""

from __future__ import annotations


def plan_windows(duration: float, window: float | None, stride: float | None) -> list[tuple[float, float]]:
    """Windows of `window` seconds every `stride` (default window / 2); the last one ends at the end of the file.

    No window, or one longer than the file: the whole file is one span."""
    if window is None or window >= duration:
        return [(0.0, duration)]
    if window <= 0 or (stride is not None and stride <= 0):
        raise ValueError("window and stride must be positive")
    stride = stride or window / 2
    spans, start = [], 0.0
    while start + window <= duration + 1e-9:
        spans.append((start, start + window))
        start += stride
    if spans[-1][1] < duration - 1e-6:  # cover the tail with a window ending at the end
        spans.append((duration - window, duration))
    return spans


def sample_times(start: float, end: float, n: int) -> list[float]:
    """Centres of n equal parts of [start, end): uniform over the span, never past its end."""
    return [start + (i + 0.5) * (end - start) / n for i in range(n)]


def jittered_times(start: float, end: float, n: int, offsets: list[float]) -> list[float]:
    """One moment inside each of n equal parts of [start, end): part k at `offsets[k]` (in [0, 1)) of its width.

    The caller draws the offsets (seeded per clip and epoch, so a resumed run samples what the original did)."""
    if len(offsets) != n:
        raise ValueError(f"need {n} offsets, got {len(offsets)}")
    return [start + (k + u) * (end - start) / n for k, u in enumerate(offsets)]
