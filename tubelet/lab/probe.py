"""A frozen-feature probe: how far an encoder's features separate the labels before any fine-tuning.

k-nearest neighbours (cosine similarity, votes weighted by similarity) from the labelled clips to the test
clips, on each clip's mean-pooled, layer-normed encoder output. Nothing is trained, so the score says what the
pretraining put into the features; it understates MAE (judge MAE by fine-tuning; the papers say as much),
but it must be above chance and above the same encoder with random weights.
"""

from __future__ import annotations

import torch

from ..modeling.model import VideoTransformer
from ..training.data import ClipDataset, Sample
from ..video.preprocess import Preprocessor, preprocessor_config


@torch.no_grad()
def features(encoder: VideoTransformer, ds: ClipDataset, batch_size: int = 64, device: str = "cpu") -> torch.Tensor:
    """(N, D) pooled features of every clip of `ds`, in order."""
    encoder.eval().to(device)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=False)
    return torch.cat([encoder.pool(encoder.forward_features(x.to(device))).cpu() for x, _ in loader])


def knn_top1(
    memory: torch.Tensor, memory_labels: torch.Tensor, queries: torch.Tensor, labels: torch.Tensor, k: int = 10
) -> float:
    """Share of queries whose similarity-weighted vote among their k nearest memory clips is their label."""
    m, q = torch.nn.functional.normalize(memory, dim=1), torch.nn.functional.normalize(queries, dim=1)
    sim, idx = (q @ m.T).topk(min(k, len(m)), dim=1)
    votes = torch.zeros(len(q), int(memory_labels.max()) + 1)
    votes.scatter_add_(1, memory_labels[idx], sim.clamp_min(0) + 1e-6)
    return float((votes.argmax(1) == labels).float().mean())


def knn_probe(
    encoder: VideoTransformer,
    labelled: list[Sample],
    test: list[Sample],
    labels: list[str],
    k: int = 10,
    device: str = "cpu",
) -> float:
    """kNN top-1 on `test` with `labelled` as the memory, through `encoder` (frozen)."""
    cfg = encoder.config
    pre = Preprocessor.from_config(encoder.preprocessor or preprocessor_config(cfg.image_size), cfg.image_size)
    label2id = {x: i for i, x in enumerate(labels)}
    sets = [ClipDataset(s, label2id, cfg.num_frames, pre).cache() for s in (labelled, test)]
    feats = [features(encoder, ds, device=device) for ds in sets]
    ys = [torch.tensor([label2id[s.label] for s in samples]) for samples in (labelled, test)]
    return knn_top1(feats[0], ys[0], feats[1], ys[1], k=k)
