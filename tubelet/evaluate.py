"""Accuracy of a classifier on labelled clips, through the same decode/sample/preprocess path as `tag`."""
from __future__ import annotations

from pathlib import Path

import torch

from .data import ClipDataset, read_manifest
from .preprocess import Preprocessor
from .symmetry import model_views
from .train import evaluate


def evaluate_model(model, data: str | list[str], batch_size: int = 16, workers: int = 0, single_view: bool = False) -> dict:
    """`data`: manifest CSVs, or dataset folders (their test.csv). A model trained with symmetries is scored
    as `tag` runs it (probabilities averaged over its views) unless `single_view`."""
    samples = []
    for item in [data] if isinstance(data, (str, Path)) else data:
        path = Path(item)
        samples += read_manifest(path / "test.csv" if path.is_dir() else path)
    cfg = model.config
    ds = ClipDataset(samples, cfg.label2id, cfg.num_frames, Preprocessor.from_config(model.preprocessor, cfg.image_size))
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, num_workers=workers)
    result = evaluate(model, loader, cfg.num_labels, "cpu", "fp32", views=None if single_view else model_views(model))
    result["labels"] = [cfg.id2label[i] for i in range(cfg.num_labels)]
    return result
