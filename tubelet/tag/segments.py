"""From window probabilities to a timeline of segments: the rules users expect of a tagger.

Each window owns the time nearer its centre than its neighbours', so segments tile the file. Then, inside each
shot (segments never cross a cut):
- smoothing: each window's probabilities averaged with its neighbours' (`smooth` windows, centred);
- hysteresis: a label different from the current one starts a new segment only when its score reaches `open`;
  the current label continues while it is the top label or its score stays at or above `keep` (so a label needs
  more to open a segment than to continue it, and one doubtful window does not break a segment);
- a minimum duration: a segment shorter than `min_duration` is absorbed by the neighbour (in the same shot)
  whose label scores higher over it.
A segment's score is the mean, over its windows, of its label's unsmoothed probability; `min_score` drops the
weak ones afterwards (the timeline then has gaps). `SegmentRules.plain()` is the rule-free merge of runs of
equal top labels. The defaults rest on a measurement (bench/segment_rules.py,
docs/segment-rules/segment-rules.md, the bundled model on 5 demo clips): with its own 2 s windows no rule changes
the timeline; with 1 s windows the 1 s minimum gains 3.1 points of time accuracy (worst clip 4.4) and smoothing
over 3 windows 0.3 more (worst clip 1.6), too little on 5 clips to change every user's output, so smoothing and
hysteresis stay options, off by default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .results import Segment


@dataclass(frozen=True)
class SegmentRules:
    smooth: int = 1
    open: float = 0.0
    keep: float = 0.0
    min_duration: float = 1.0

    @classmethod
    def plain(cls) -> "SegmentRules":
        return cls(smooth=1, open=0.0, keep=0.0, min_duration=0.0)

    def to_dict(self) -> dict:
        return asdict(self)


def _owned_time(centres: list[float], lo: float, hi: float) -> list[tuple[float, float]]:
    """Each centre owns the time nearer it than its neighbours', within [lo, hi]."""
    bounds = [lo] + [(a + b) / 2 for a, b in zip(centres, centres[1:], strict=False)] + [hi]
    return [(max(lo, a), min(hi, b)) for a, b in zip(bounds, bounds[1:], strict=False)]


def _labels(probs: torch.Tensor, rules: SegmentRules) -> list[int]:
    """One label per window (rows of a shot), by smoothing then hysteresis."""
    n, half = probs.shape[0], rules.smooth // 2
    smoothed = torch.stack([probs[max(0, i - half) : i + half + 1].mean(dim=0) for i in range(n)])
    labels = [int(smoothed[0].argmax())]
    for p in smoothed[1:]:
        top, current = int(p.argmax()), labels[-1]
        stay = top == current or (p[top] < rules.open and p[current] >= rules.keep)
        labels.append(current if stay else top)
    return labels


def _runs(labels: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _absorb_short(labels: list[int], spans: list[tuple[float, float]], probs: torch.Tensor, min_duration: float):
    """Relabel the shortest run under min_duration with its better neighbour, until none is left (or one run)."""
    while True:
        runs = _runs(labels)
        short = [r for r in runs if spans[r[-1]][1] - spans[r[0]][0] < min_duration]
        if len(runs) < 2 or not short:
            return labels
        run = min(short, key=lambda r: spans[r[-1]][1] - spans[r[0]][0])
        k = runs.index(run)
        neighbours = [labels[runs[j][0]] for j in (k - 1, k + 1) if 0 <= j < len(runs)]
        best = max(neighbours, key=lambda label: float(probs[run, label].mean()))
        for i in run:
            labels[i] = best


def merge_segments(
    windows: list[tuple[float, float]],
    probs: torch.Tensor,
    id2label: dict[int, str],
    duration: float,
    min_score: float = 0.0,
    rules: SegmentRules | None = None,
    cuts: list[float] = (),
) -> list[Segment]:
    """Segments tiling [0, duration] (before `min_score`), never crossing a cut; `windows`: (start, end) each."""
    rules = rules or SegmentRules()
    centres = [(start + end) / 2 for start, end in windows]
    bounds = [0.0] + sorted(c for c in cuts if 0.0 < c < duration) + [duration]
    segments = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        members = [i for i, c in enumerate(centres) if lo <= c < hi or (hi == duration and c == hi)]
        if not members:  # a shot shorter than the window spacing: the nearest window speaks for it
            members = [min(range(len(centres)), key=lambda i: abs(centres[i] - (lo + hi) / 2))]
        p = probs[members]
        spans = _owned_time([centres[i] for i in members], lo, hi)
        labels = _absorb_short(_labels(p, rules), spans, p, rules.min_duration)
        for run in _runs(labels):
            label = labels[run[0]]
            score = float(p[run, label].mean())
            if score >= min_score:
                segments.append(
                    Segment(
                        round(spans[run[0]][0], 3),
                        round(spans[run[-1]][1], 3),
                        id2label.get(label, str(label)),
                        round(score, 6),
                    )
                )
    return segments
