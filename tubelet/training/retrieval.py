"""How well a video-language model matches clips and text: text-to-video retrieval (R@1, R@5, R@10, median rank)
and zero-shot classification where the candidates are captions.

Retrieval: each clip's query is its first caption; the candidates are every clip of the split; a query true of
several clips (the same text, or the same facts: captions_data.py) counts as found at the best rank of any of them.
Zero-shot: every distinct caption of the split is a candidate label; a clip is right when its best-scoring caption
is true of it.
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
def retrieval_metrics(model, videos: torch.Tensor, clips: list, batch_size: int = 256) -> RetrievalMetrics:
    """videos: (N, D) unit embeddings of N captioned clips (captions_data.CaptionedClip), in the same order."""
    from .captions_data import positives

    queries = [c.captions[0] for c in clips]
    text = model.encode_text(queries, batch_size=batch_size).float().cpu()
    r = ranks(text @ videos.t(), positives([c.meanings[0] for c in clips], clips)).float()
    meaning = {t: m for c in clips for t, m in zip(c.captions, c.meanings, strict=True)}
    candidates = sorted(meaning)
    cand = model.encode_text(candidates, batch_size=batch_size).float().cpu()
    best = (videos @ cand.t()).argmax(dim=1).tolist()
    right = [c.satisfies(meaning[candidates[b]]) for b, c in zip(best, clips, strict=True)]
    return RetrievalMetrics(
        r1=float((r <= 1).float().mean()),
        r5=float((r <= 5).float().mean()),
        r10=float((r <= 10).float().mean()),
        median_rank=float(r.median()),
        zero_shot_top1=sum(right) / len(right),
        clips=len(clips),
        captions=len(candidates),
    )


def embed_captioned(model, clips: list, batch_size: int = 16, device: str = "cpu") -> torch.Tensor:
    """(N, D) unit video embeddings of captioned clips, decoded and sampled as the model's preprocessor says."""
    from ..video.preprocess import Preprocessor
    from .captions_data import CaptionDataset
    from .loop import make_loader

    cfg = model.config
    pre = Preprocessor.from_config(getattr(model, "preprocessor", None), cfg.image_size)
    data = CaptionDataset(clips, cfg.num_frames, pre)
    return embed_videos(model, make_loader(data, batch_size=batch_size, shuffle=False, workers=0, seed=0), device)


def evaluate_captions(model, csv_path, batch_size: int = 16, device: str = "cpu") -> RetrievalMetrics:
    """A video-language model on a captioned manifest (`path,caption[,mentions,facts]`): retrieval and zero-shot."""
    from .captions_data import read_captions

    if not hasattr(model, "encode_text"):
        raise ValueError("this model is not a video-language model (it has no text tower)")
    clips = read_captions(csv_path)
    return retrieval_metrics(model, embed_captioned(model, clips, batch_size, device), clips)
