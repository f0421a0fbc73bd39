"""Tag a video file: sample windows over time, classify them in batches, merge them into segments.

- No `window`: one clip with frames sampled uniformly over the whole file (the seed's method; the
  transformers video-classification pipeline looks only at the first 16 frames).
- `window`/`stride` seconds: a timeline. Each window is sampled to the model's frame count; a file
  shorter than a window is one window (frames repeat when it has fewer than needed).
- File labels = the mean of the window probabilities. Segments follow the rules of segments.py (smoothing,
  hysteresis, a minimum duration; never across a cut when `shots` is on).
The decode side is reader.py (it can run in other processes); this file owns the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..constants import WINDOW_SECONDS_KEY
from ..video.decode import VideoInfo, probe
from ..video.preprocess import Preprocessor
from ..video.sampling import plan_windows
from ..video.shots import shots as shot_spans
from ..video.symmetry import averaged_probabilities, model_views
from .precision import fast_forward
from .reader import ClipReader, DecodedExtras
from .segments import SegmentRules, merge_segments


def top_k(probs: torch.Tensor, id2label: dict[int, str], k: int) -> list[dict]:
    scores, idx = probs.topk(min(k, probs.numel()))
    return [{"label": id2label.get(int(i), str(int(i))), "score": round(float(s), 6)} for s, i in zip(scores, idx)]


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
    shots: list[dict] | None = None                                   # [{start, end}] when cuts were detected
    thumbnails: dict[int, bytes] = field(default_factory=dict, repr=False)   # window index -> JPEG

    def to_dict(self) -> dict:
        doc = {"file": self.file, "duration": round(self.duration, 3), "model": self.model, "labels": self.labels,
               "windows": self.windows, "segments": self.segments}
        if self.shots is not None:
            doc["shots"] = self.shots
        return doc


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
                 precision: str = "fp32", single_view: bool = False, rules: SegmentRules | None = None,
                 shots: bool = False):
        cfg = getattr(model.config, "encoder", model.config)
        if not getattr(model.config, "num_labels", 0):
            raise ValueError("this model has no classification head (a pretraining or feature model); it cannot tag")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model, self.name, self.k = model.eval(), name, top_k
        self.batch_size = batch_size or auto_batch_size(cfg)
        self.precision = precision
        self.forward = fast_forward(self.model, precision)
        self.num_frames, self.id2label = cfg.num_frames, cfg.id2label
        self.pre = Preprocessor.from_config(getattr(model, "preprocessor", None), cfg.image_size)
        self.reader = ClipReader(self.pre, self.num_frames)
        self.rules, self.shots = rules or SegmentRules(), shots
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
    def classify(self, clips: list[torch.Tensor]) -> torch.Tensor:
        """Window frames (T, 3, H, W) uint8 -> probabilities (windows, labels), averaged over the model's views."""
        x = self.pre.normalize(torch.stack(clips))
        if self.views:
            return averaged_probabilities(self.forward, x, self.views)
        return self.forward(x).float().softmax(dim=-1)

    def tag(self, path: str | Path, window: float | str | None = None, stride: float | None = None,
            min_score: float = 0.0, info: VideoInfo | None = None, on_window: Callable[[int], None] | None = None,
            thumbnails: bool = False) -> TagResult:
        info = info or probe(path)
        spans = self.plan(info, window, stride)
        extras = DecodedExtras()
        ready: list[tuple[int, torch.Tensor]] = []
        probs: dict[int, torch.Tensor] = {}

        def flush(force: bool = False):
            while ready and (force or len(ready) >= self.batch_size):
                batch, ready[:] = ready[:self.batch_size], ready[self.batch_size:]
                probs.update(zip([w for w, _ in batch], self.classify([clip for _, clip in batch])))
                if on_window:
                    on_window(len(batch))

        for w, clip in self.reader.windows(path, info, spans, shots=self.shots, thumbnails=thumbnails, extras=extras):
            ready.append((w, clip))
            flush()
        flush(force=True)
        return self.result(path, info, spans, torch.stack([probs[w] for w in range(len(spans))]), min_score, extras)

    def result(self, path, info: VideoInfo, spans, probs: torch.Tensor, min_score: float = 0.0,
               extras: DecodedExtras | None = None) -> TagResult:
        """Window probabilities -> the file's labels, windows and segments."""
        extras = extras or DecodedExtras()
        windows = [{"start": round(s, 3), "end": round(e, 3), "labels": top_k(probs[w], self.id2label, self.k)}
                   for w, (s, e) in enumerate(spans)]
        segments = merge_segments(windows, probs, self.id2label, info.duration, min_score, self.rules, extras.cuts)
        shots = [{"start": a, "end": b} for a, b in shot_spans(extras.cuts, info.duration)] if self.shots else None
        return TagResult(str(path), info.duration, self.name, top_k(probs.mean(dim=0), self.id2label, self.k),
                         windows, segments, info, probs, self.id2label, shots, extras.thumbnails)
