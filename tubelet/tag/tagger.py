"""Tag a video file: sample windows over time, classify them in batches, merge them into segments.

- No `window`: one clip with frames sampled uniformly over the whole file (the seed's method; the
  transformers video-classification pipeline looks only at the first 16 frames).
- `window`/`stride` seconds: a timeline. Each window is sampled to the model's frame count; a file
  shorter than a window is one window (frames repeat when it has fewer than needed).
- File labels = the mean of the window probabilities. Segments = runs of windows with the same top
  label; each window owns the time closer to its centre than to its neighbours', so segments tile the
  file without overlapping.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..constants import WINDOW_SECONDS_KEY
from ..video.decode import VideoInfo, probe, read_frames, to_rgb
from ..video.preprocess import Preprocessor
from ..video.sampling import plan_windows, sample_times
from ..video.symmetry import averaged_probabilities, model_views
from .precision import fast_forward


def top_k(probs: torch.Tensor, id2label: dict[int, str], k: int) -> list[dict]:
    scores, idx = probs.topk(min(k, probs.numel()))
    return [{"label": id2label.get(int(i), str(int(i))), "score": round(float(s), 6)} for s, i in zip(scores, idx)]


def merge_segments(windows: list[dict], probs: torch.Tensor, id2label: dict[int, str], duration: float,
                   min_score: float = 0.0) -> list[dict]:
    centres = [(w["start"] + w["end"]) / 2 for w in windows]
    bounds = [0.0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [duration]
    top = probs.argmax(dim=1).tolist()
    segments, i = [], 0
    while i < len(top):
        j = i
        while j + 1 < len(top) and top[j + 1] == top[i]:
            j += 1
        score = float(probs[i:j + 1, top[i]].mean())
        if score >= min_score:
            segments.append({"start": round(bounds[i], 3), "end": round(bounds[j + 1], 3),
                             "label": id2label.get(top[i], str(top[i])), "score": round(score, 6)})
        i = j + 1
    return segments


@dataclass
class TagResult:
    file: str
    duration: float
    model: str
    labels: list[dict]
    windows: list[dict]
    segments: list[dict]
    info: VideoInfo | None = field(default=None, repr=False)
    probs: torch.Tensor | None = field(default=None, repr=False)      # (windows, classes)
    id2label: dict[int, str] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {"file": self.file, "duration": round(self.duration, 3), "model": self.model, "labels": self.labels,
                "windows": self.windows, "segments": self.segments}


def _l3_cache_bytes(default: int = 32 * 2**20) -> int:
    try:
        text = Path("/sys/devices/system/cpu/cpu0/cache/index3/size").read_text().strip()    # e.g. "32768K"
        return int(text[:-1]) * {"K": 2**10, "M": 2**20}[text[-1]]
    except (OSError, ValueError, KeyError, IndexError):
        return default


def auto_batch_size(cfg, most: int = 8, cache_bytes: int | None = None) -> int:
    """Windows per forward pass on a CPU: as many as keep the widest activation of one pass (tokens x MLP
    width, fp32) within the last-level cache, at least 1 and at most `most`. Past the cache, the
    element-wise work (norms, GELU, residual adds) waits on memory and a bigger batch is slower per clip
    (VideoMAE-B 16x224 needs 19 MiB per clip; measured in docs/speed.md); the small bundled model is unaffected."""
    per_clip = cfg.num_patches * cfg.mlp_dim * 4
    return max(1, min(most, (cache_bytes or _l3_cache_bytes()) // per_clip))


class Tagger:
    def __init__(self, model: torch.nn.Module, name: str = "", batch_size: int | None = None, top_k: int = 5,
                 precision: str = "fp32", single_view: bool = False):
        cfg = getattr(model.config, "encoder", model.config)
        if not getattr(model.config, "num_labels", 0):
            raise ValueError("this model has no classification head (a pretraining or feature model); it cannot tag")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model, self.name, self.k = model.eval(), name, top_k
        self.batch_size = batch_size or auto_batch_size(cfg)
        self.forward = fast_forward(self.model, precision)
        self.num_frames, self.id2label = cfg.num_frames, cfg.id2label
        self.pre = Preprocessor.from_config(getattr(model, "preprocessor", None), cfg.image_size)
        # a model trained on short clips (the camera-motion default) says which window it expects
        self.default_window = (getattr(model, "preprocessor", None) or {}).get(WINDOW_SECONDS_KEY)
        # a model trained with label symmetries (mirrors, time reversal) is run on every view of each window
        self.views = None if single_view else model_views(model)

    def plan(self, info: VideoInfo, window: float | str | None, stride: float | None) -> list[tuple[float, float]]:
        """window: seconds; None = the model's own window if it declares one, else the whole file;
        "file" = the whole file."""
        if window is None:
            window = self.default_window
        return plan_windows(info.duration, None if window == "file" else window, stride)

    @torch.inference_mode()
    def _classify(self, clips: list[torch.Tensor]) -> torch.Tensor:
        x = self.pre.normalize(torch.stack(clips))
        if self.views:
            return averaged_probabilities(self.forward, x, self.views)
        return self.forward(x).float().softmax(dim=-1)

    def tag(self, path: str | Path, window: float | str | None = None, stride: float | None = None,
            min_score: float = 0.0,
            info: VideoInfo | None = None, on_window: Callable[[int], None] | None = None) -> TagResult:
        info = info or probe(path)
        spans = self.plan(info, window, stride)
        n = self.num_frames
        times = [t for s, e in spans for t in sample_times(s, e, n)]
        slots: dict[int, list] = {}
        ready: list[int] = []
        probs: dict[int, torch.Tensor] = {}

        def flush(force: bool = False):
            while ready and (force or len(ready) >= self.batch_size):
                batch, ready[:] = ready[:self.batch_size], ready[self.batch_size:]
                out = self._classify([torch.stack(slots.pop(w)) for w in batch])
                probs.update(zip(batch, out))
                if on_window:
                    on_window(len(batch))

        convert = lambda frame, rotation: self.pre.frame(to_rgb(frame, rotation))  # noqa: E731
        for i, frame in read_frames(path, times, info, convert=convert):
            w, slot = divmod(i, n)
            frames = slots.setdefault(w, [None] * n)
            frames[slot] = frame
            if all(f is not None for f in frames):
                ready.append(w)
                flush()
        flush(force=True)
        p = torch.stack([probs[w] for w in range(len(spans))])
        windows = [{"start": round(s, 3), "end": round(e, 3), "labels": top_k(p[w], self.id2label, self.k)}
                   for w, (s, e) in enumerate(spans)]
        return TagResult(str(path), info.duration, self.name, top_k(p.mean(dim=0), self.id2label, self.k), windows,
                         merge_segments(windows, p, self.id2label, info.duration, min_score), info, p, self.id2label)
