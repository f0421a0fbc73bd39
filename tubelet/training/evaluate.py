"""Accuracy of a classifier on labelled clips (top-1, top-5, loss, confusion matrix), through the same
decode / sample / preprocess path as `tag`; used after each training epoch and by `tubelet eval`."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from ..video.preprocess import Preprocessor
from ..video.symmetry import averaged_probabilities, model_views
from .data import ClipDataset, read_manifest
from .results import Metrics


@torch.inference_mode()
def evaluate(model, loader, num_labels: int, *, device: str = "cpu", precision: str = "fp32", views=None) -> Metrics:
    """Top-1 / top-5 / loss / confusion; `views` (symmetry.view_table) averages probabilities over them."""
    model.eval()
    confusion = torch.zeros(num_labels, num_labels, dtype=torch.long)
    top5 = total = 0
    loss = 0.0
    for x, y in loader:
        with torch.no_grad(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16"):
            # averaged probabilities -> their logs, so the loss below is the ensemble's NLL
            logits = (
                averaged_probabilities(model, x.to(device), views).cpu().log()
                if views
                else model(x.to(device)).float().cpu()
            )
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        pairs = torch.bincount(y * num_labels + logits.argmax(1), minlength=num_labels**2)
        confusion += pairs.view(num_labels, num_labels)
        top5 += (logits.topk(min(5, num_labels), dim=1).indices == y[:, None]).any(1).sum().item()
        total += len(y)
    return Metrics(
        confusion.diag().sum().item() / max(1, total),
        top5 / max(1, total),
        loss / max(1, total),
        total,
        confusion.tolist(),
    )


def evaluate_model(
    model, data: str | list[str], *, batch_size: int = 16, workers: int = 0, single_view: bool = False
) -> Metrics:
    """`data`: manifest CSVs, or dataset folders (their test.csv). A model trained with symmetries is scored
    as `tag` runs it (probabilities averaged over its views) unless `single_view`."""
    samples = []
    for item in [data] if isinstance(data, (str, Path)) else data:
        path = Path(item)
        samples += read_manifest(path / "test.csv" if path.is_dir() else path)
    cfg = model.config
    pre = Preprocessor.from_config(model.preprocessor, cfg.image_size)
    ds = ClipDataset(samples, cfg.label2id, cfg.num_frames, pre)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, num_workers=workers)
    result = evaluate(model, loader, cfg.num_labels, views=None if single_view else model_views(model))
    result.labels = [cfg.id2label[i] for i in range(cfg.num_labels)]
    return result


def format_confusion(metrics: Metrics, labels: list[str]) -> str:
    """The confusion matrix as text; with many labels (an ImageNet model), only those that occur as truth or as
    a prediction."""
    keep = list(range(len(labels)))
    if len(labels) > 30:
        keep = [i for i in keep if sum(metrics.confusion[i]) or sum(row[i] for row in metrics.confusion)]
    width = max(len(labels[i]) for i in keep)
    lines = [
        f"test: top1 {metrics.top1:.4f}  top5 {metrics.top5:.4f}  ({metrics.clips} clips)",
        " " * (width + 2) + " ".join(f"{labels[i][:6]:>6}" for i in keep),
    ]
    for i in keep:
        lines.append(f"{labels[i]:>{width}}  " + " ".join(f"{metrics.confusion[i][j]:>6}" for j in keep))
    return "\n".join(lines)
