"""What `tag` returns, typed: labels, windows, segments and shots as dataclasses, each with one `to_json()` (a
JSON-ready dict in the key order the files have always had); `TagResult` is one file's whole answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..video.decode import VideoInfo


@dataclass
class Label:
    label: str
    score: float
    similarity: float | None = None  # a video-language model's cosine to the label's text (score: the softmax)

    def to_json(self) -> dict:
        out = {"label": self.label, "score": self.score}
        if self.similarity is not None:
            out["similarity"] = self.similarity
        return out


@dataclass
class Window:
    start: float
    end: float
    labels: list[Label]

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "labels": [x.to_json() for x in self.labels]}


@dataclass
class Segment:
    start: float
    end: float
    label: str
    score: float

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "score": self.score}


@dataclass
class Shot:
    start: float
    end: float

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end}


def top_k(probs: torch.Tensor, id2label: dict[int, str], k: int, similarity: torch.Tensor | None = None) -> list[Label]:
    scores, idx = probs.topk(min(k, probs.numel()))
    return [
        Label(
            id2label.get(int(i), str(int(i))),
            round(float(s), 6),
            None if similarity is None else round(float(similarity[i]), 6),
        )
        for s, i in zip(scores, idx, strict=True)
    ]


@dataclass
class TagResult:
    file: str
    duration: float
    model: str
    labels: list[Label]
    windows: list[Window]
    segments: list[Segment]
    info: VideoInfo | None = field(default=None, repr=False)
    probs: torch.Tensor | None = field(default=None, repr=False)  # (windows, classes)
    id2label: dict[int, str] = field(default_factory=dict, repr=False)
    shots: list[Shot] | None = None  # when cuts were detected
    thumbnails: dict[int, bytes] = field(default_factory=dict, repr=False)  # window index -> JPEG
    embeddings: torch.Tensor | None = field(default=None, repr=False)  # (windows, dim) when asked for

    def to_json(self) -> dict:
        doc = {
            "file": self.file,
            "duration": round(self.duration, 3),
            "model": self.model,
            "labels": [x.to_json() for x in self.labels],
            "windows": [w.to_json() for w in self.windows],
            "segments": [s.to_json() for s in self.segments],
        }
        if self.shots is not None:
            doc["shots"] = [s.to_json() for s in self.shots]
        return doc
