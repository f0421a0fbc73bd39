"""How well a video-language model matches clips and text: text-to-video retrieval (R@1, R@5, R@10, median rank)
and zero-shot classification where the candidates are captions.

Retrieval: each clip's query is its first caption; the candidates are every clip of the split; a clip whose query
is shared with other clips (two static shots described alike) counts as found at the best rank of any of them.
Zero-shot: every distinct caption of the split is a candidate label; a clip is right when its best-scoring caption
is one of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch


@dataclass
class RetrievalMetrics:
    r1: float
    r5: float
    r10: float
    median_rank: float
    zero_shot_top1: float
    clips: int
    captions: int  # distinct captions among the zero-shot candidates

    def to_json(self) -> dict:
        return asdict(self)


@torch.no_grad()
def embed_videos(model, loader, device: str = "cpu") -> torch.Tensor:
    model.eval()
    return torch.cat([model.encode_video(x.to(device)).float().cpu() for x, *_ in loader])


def ranks(similarity: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """(Q, N) similarities and (Q, N) bool positives -> (Q,) 1-based rank of each query's best positive."""
    best = similarity.masked_fill(~positives, float("-inf")).max(dim=1, keepdim=True).values
    return (similarity > best).sum(dim=1) + 1


@torch.no_grad()
def retrieval_metrics(model, videos: torch.Tensor, captions: list[tuple[str, ...]], batch_size: int = 256):
    """videos: (N, D) unit embeddings of N clips; captions: each clip's captions (the first is its query)."""
    queries = [c[0] for c in captions]
    text = model.encode_text(queries, batch_size=batch_size).float().cpu()
    same = torch.tensor([[a == b for b in queries] for a in queries])
    r = ranks(text @ videos.t(), same).float()
    candidates = sorted({t for c in captions for t in c})
    cand = model.encode_text(candidates, batch_size=batch_size).float().cpu()
    best = (videos @ cand.t()).argmax(dim=1).tolist()
    right = [candidates[b] in set(c) for b, c in zip(best, captions, strict=True)]
    return RetrievalMetrics(
        r1=float((r <= 1).float().mean()),
        r5=float((r <= 5).float().mean()),
        r10=float((r <= 10).float().mean()),
        median_rank=float(r.median()),
        zero_shot_top1=sum(right) / len(right),
        clips=len(captions),
        captions=len(candidates),
    )
