"""Tag a video file: the engine's window results for one model, turned into a timeline.

- No `window`: the model's own window if it declares one, else one clip with frames sampled uniformly over the
  whole file (the transformers video-classification pipeline looks only at the first 16 frames).
- `window`/`stride` seconds: a timeline. Each window is sampled to the model's frame count; a file
  shorter than a window is one window (frames repeat when it has fewer than needed).
- File labels = the mean of the window probabilities. Segments follow the rules of segments.py (smoothing,
  hysteresis, a minimum duration; never across a cut when `shots` is on).
Decoding and batching are the engine's (engine/); this file owns what a tagging run makes of its outputs.
"""

from __future__ import annotations

import torch

from ..engine.decoder import WindowPlan
from ..engine.engine import Engine
from ..engine.messages import FileTagged, ModelSpec, RunSettings
from ..engine.runner import ModelRunner
from ..video.decode import VideoInfo
from ..video.shots import shots as shot_spans
from .results import Shot, TagResult, Window, top_k
from .segments import SegmentRules, merge_segments


class Tagger:
    def __init__(
        self,
        model: torch.nn.Module,
        name: str = "",
        batch_size: int | None = None,
        top_k: int = 5,
        precision: str = "fp32",
        single_view: bool = False,
        rules: SegmentRules | None = None,
        shots: bool = False,
        embeddings: bool = False,
    ):
        self.runner = ModelRunner(
            model, name, precision=precision, batch_size=batch_size, single_view=single_view, embeddings=embeddings
        )
        if not self.runner.classifies:
            raise ValueError("this model has no classification head (a pretraining or feature model); it cannot tag")
        self.name, self.k, self.rules, self.shots = name, top_k, rules or SegmentRules(), shots

    # what the runner knows, read by callers that record a run's settings
    pre = property(lambda self: self.runner.pre)
    batch_size = property(lambda self: self.runner.batch_size)
    precision = property(lambda self: self.runner.precision)
    default_window = property(lambda self: self.runner.default_window)
    single_view = property(lambda self: self.runner.views is None)

    def resolve_window(self, window: float | str | None) -> float | str | None:
        """The window a run uses: the one asked for, else the model's own (None or "file": the whole file)."""
        return WindowPlan.choose(window, None, self.runner.default_window).window

    def settings(self, window: float | str | None, stride: float | None) -> dict:
        """Everything that decides what a run stores, as the library records it (a change means a re-tag)."""
        out = {
            "window": window,
            "stride": stride,
            "shots": self.shots,
            "segment_rules": self.rules.to_dict(),
            "top_k": self.k,
            "single_view": self.single_view,
        }
        labels, template = self.typed_labels()
        if labels is not None:  # a video-language model's results depend on the labels typed for the run
            out.update(labels=list(labels), template=template)
        return out

    def spec(self, model: str, window: float | str | None = None, stride: float | None = None) -> ModelSpec:
        """How a Ray actor loads this tagger's model again (`model`: its folder or hub id)."""
        r = self.runner
        labels, template = self.typed_labels()
        return ModelSpec(
            model, self.name, r.precision, r.batch_size, self.single_view, r.embeddings, window, stride,
            labels=labels, template=template,
        )  # fmt: skip

    def typed_labels(self) -> tuple[tuple[str, ...] | None, str]:
        """A video-language model's labels for this run and their template; (None, "{}") for a classifier."""
        if not self.runner.text_labels:
            return None, "{}"
        r = self.runner
        return tuple(r.id2label[i] for i in range(len(r.id2label))), r.model.label_template

    def engine(
        self, window: float | str | None = None, stride: float | None = None, thumbnails: bool = False
    ) -> Engine:
        """window: seconds; None = the model's own window if it declares one, else the whole file; "file" = the
        whole file."""
        return Engine([self.runner], RunSettings(window, stride, self.shots, thumbnails))

    def plan(self, info: VideoInfo, window: float | str | None, stride: float | None) -> list[tuple[float, float]]:
        return self.engine(window, stride).spans(info)[0]

    def tag(
        self,
        path,
        window: float | str | None = None,
        stride: float | None = None,
        min_score: float = 0.0,
        info: VideoInfo | None = None,
        on_window=None,
        thumbnails: bool = False,
    ) -> TagResult:
        out = self.engine(window, stride, thumbnails).tag_file(path, info, on_window)
        return self.result(out, min_score)

    def result(self, out: FileTagged, min_score: float = 0.0, track: int = 0) -> TagResult:
        """One model's window outputs -> the file's labels, windows and segments."""
        mw, info, id2label = out.models[track], out.info, self.runner.id2label
        probs, sim = mw.stacked("probs"), mw.stacked("similarity")
        windows = [
            Window(round(w.start, 3), round(w.end, 3), top_k(p, id2label, self.k, None if sim is None else sim[i]))
            for i, (w, p) in enumerate(zip(mw.windows, probs, strict=True))
        ]
        segments = merge_segments(
            [(w.start, w.end) for w in windows], probs, id2label, info.duration, min_score, self.rules, out.cuts
        )
        shots = [Shot(a, b) for a, b in shot_spans(out.cuts, info.duration)] if self.shots else None
        thumbnails = {i: w.thumbnail for i, w in enumerate(mw.windows) if w.thumbnail is not None}
        return TagResult(
            out.path,
            info.duration,
            self.name,
            top_k(probs.mean(dim=0), id2label, self.k, None if sim is None else sim.mean(dim=0)),
            windows,
            segments,
            info,
            probs,
            id2label,
            shots,
            thumbnails,
            mw.stacked("embedding"),
        )
