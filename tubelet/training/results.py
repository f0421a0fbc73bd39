"""What `train`, `pretrain` and `eval` return, typed, each with one `to_json()` (the metrics.json and `eval --json`
documents, keys in the order they have always had). An epoch's record stays a dict: it is the resumable
trainer state's own JSON, and its keys differ between training and pretraining."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Metrics:
    """A classifier on labelled clips: top-1 / top-5 accuracy, mean loss, and the confusion (rows: true label)."""

    top1: float
    top5: float
    loss: float
    clips: int
    confusion: list[list[int]]
    labels: list[str] | None = None

    def to_json(self) -> dict:
        doc = {
            "top1": self.top1,
            "top5": self.top5,
            "loss": self.loss,
            "clips": self.clips,
            "confusion": self.confusion,
        }
        if self.labels is not None:
            doc["labels"] = self.labels
        return doc


@dataclass
class TrainResult:
    history: list[dict]  # one record per epoch: epoch, train_loss, train_top1, val_*, seconds
    labels: list[str]
    test: Metrics | None = None  # the best checkpoint on the test split, when there is one

    def to_json(self) -> dict:
        doc = {"history": self.history, "labels": self.labels}
        if self.test is not None:
            doc["test"] = self.test.to_json()
        return doc


@dataclass
class PretrainResult:
    history: list[dict]  # one record per epoch: epoch, loss, seconds
    steps: int

    @property
    def final_loss(self) -> float:
        return self.history[-1]["loss"] if self.history else float("nan")

    def to_json(self) -> dict:
        return {"history": self.history, "steps": self.steps}
