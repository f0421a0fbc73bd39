"""Hard cuts: where one shot ends and the next begins, found in the decode pass tagging already makes.

The score of a frame is how much its content changed from the previous frame: the mean absolute difference of
hue, saturation and value on a 64x36 thumbnail (0-255), as PySceneDetect's ContentDetector computes it. A cut
is a frame whose score stands out from its neighbours' (`ratio` times their mean, PySceneDetect's adaptive rule)
and is large in itself (`min_score`): a camera pan changes every frame a little, a cut changes one frame a lot.
Shots shorter than `min_shot` seconds are not split off.

Why not PySceneDetect itself: its detectors need OpenCV (a 60 MB wheel) for the colour conversion and decode
through their own video backends; tubelet already decodes every frame once through PyAV, so it scores them in
that pass with numpy (the same score, measured in tests/test_shots.py on real clips cut together).
"""

from __future__ import annotations

import numpy as np

SIZE = (64, 36)


def hsv(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W, 3) float32 HSV with every channel on 0-255 (hue as OpenCV's 0-180 x 255/180)."""
    x = rgb.astype(np.float32)
    v = x.max(axis=2)
    c = v - x.min(axis=2)
    s = np.where(v > 0, c / np.maximum(v, 1e-6) * 255.0, 0.0)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    safe = np.maximum(c, 1e-6)
    h = np.where(v == r, (g - b) / safe % 6, np.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4))
    h = np.where(c > 0, h * 60.0, 0.0) / 360.0 * 255.0
    return np.stack([h, s, v], axis=2)


class CutDetector:
    """Feed it every decoded frame (`watch(time, frame)` of video.decode.read_frames), then ask for `cuts()`."""

    def __init__(self, ratio: float = 3.0, min_score: float = 15.0, window: int = 2, min_shot: float = 0.5):
        self.ratio, self.min_score, self.window, self.min_shot = ratio, min_score, window, min_shot
        self.times: list[float] = []
        self.scores: list[float] = []
        self._previous: np.ndarray | None = None

    def __call__(self, time: float, frame) -> None:
        small = hsv(frame.to_ndarray(format="rgb24", width=SIZE[0], height=SIZE[1]))
        score = 0.0 if self._previous is None else float(np.abs(small - self._previous).mean())
        self._previous = small
        self.times.append(time)
        self.scores.append(score)

    def cuts(self) -> list[float]:
        """Times (seconds) of the first frame of every shot after the first."""
        s, w, found = np.asarray(self.scores), self.window, []
        for i in range(1, len(s)):
            neighbours = np.concatenate([s[max(1, i - w) : i], s[i + 1 : i + 1 + w]])
            background = neighbours.mean() if len(neighbours) else 0.0
            stands_out = s[i] >= self.ratio * max(background, 1e-3)
            if s[i] >= self.min_score and stands_out and (not found or self.times[i] - found[-1] >= self.min_shot):
                if self.times[i] >= self.min_shot:
                    found.append(self.times[i])
        return [round(t, 3) for t in found]


def shots(cuts: list[float], duration: float) -> list[tuple[float, float]]:
    """The (start, end) spans the cuts divide [0, duration] into."""
    bounds = [0.0] + [c for c in cuts if 0.0 < c < duration] + [duration]
    return [(round(a, 3), round(b, 3)) for a, b in zip(bounds, bounds[1:], strict=False)]
