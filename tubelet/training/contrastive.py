"""`tubelet train-text`: a video-language model trained contrastively on captioned clips, one flat loop.

The model: one of tubelet's video transformers (optionally started from a VideoMAE-pretrained encoder, `--init`),
pooled and projected, and CLIP's text tower with a byte-pair tokenizer learnt from the training captions. The
loss is CLIP's symmetric InfoNCE with a learned temperature, with one change: a caption is a positive of every
clip in the batch it is true of (the same text, or, when the manifest says which facts each caption states, every
clip with those facts; captions_data.py), not of its own clip alone. After each epoch rank 0 scores retrieval on
the validation split and keeps the best model; the test split scores it at the end. Loop machinery (torchrun,
loaders, schedule, resumable checkpoints) is loop.py's, shared with `train` and `pretrain`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import islice

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoints.convert import load_model
from ..checkpoints.files import CheckpointError
from ..modeling.clip import ClipTextConfig
from ..modeling.config import VideoTransformerConfig
from ..modeling.model import VideoTransformer
from ..modeling.video_text import VideoTextConfig, VideoTextModel
from ..modeling.videomae import VideoMAE
from ..text.tokenizer import train_clip_tokenizer
from ..video.preprocess import Preprocessor, preprocessor_config
from .captions_data import CaptionDataset, caption_splits, positives
from .curves import save_curves
from .loop import EpochMeter, Run, begin_epoch, make_loader, optimizer_and_schedule, restore, save_best
from .retrieval import embed_videos, retrieval_metrics

MAX_LOGIT_SCALE = math.log(100.0)  # CLIP's clamp: the temperature never goes below 0.01


@dataclass
class TextTrainConfig:
    data: str
    out: str
    model: dict = field(default_factory=dict)  # the video transformer's fields (ignored with --init)
    text: dict = field(default_factory=lambda: {"dim": 128, "depth": 2, "heads": 4, "mlp_dim": 512,
                                                "context_length": 32})  # fmt: skip
    projection_dim: int = 128
    vocab_size: int = 1000
    init: str | None = None  # a VideoMAE / video transformer checkpoint: the video tower's starting weights
    epochs: int = 10
    batch_size: int = 32
    lr: float = 5e-4
    min_lr: float = 1e-5
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    grad_clip: float = 1.0
    crop_scale: float = 1.0
    workers: int = 2
    cache: bool = False
    seed: int = 0
    window_seconds: float | None = None
    device: str = "cpu"


def video_encoder(cfg: TextTrainConfig) -> VideoTransformer:
    """The video tower: the --init checkpoint's encoder (its head dropped), or a fresh transformer."""
    if not cfg.init:
        return VideoTransformer(VideoTransformerConfig(**{**cfg.model, "num_labels": 0, "id2label": {}}))
    source = load_model(cfg.init)
    encoder = source.encoder if isinstance(source, VideoMAE) else source
    if not isinstance(encoder, VideoTransformer):
        raise CheckpointError(f"{cfg.init} holds no video transformer encoder")
    tower = VideoTransformer(encoder.config.replace(num_labels=0, id2label={}))
    tower.load_state_dict({k: v for k, v in encoder.state_dict().items() if not k.startswith("head.")})
    return tower


def build_model(cfg: TextTrainConfig, captions: list[str]) -> VideoTextModel:
    tokenizer = train_clip_tokenizer(captions, cfg.vocab_size, cfg.text.get("context_length", 32))
    text = ClipTextConfig(**{
        **cfg.text,
        "vocab_size": len(tokenizer.tokenizer.get_vocab()),
        "projection_dim": cfg.projection_dim,
        "bos_token_id": tokenizer.bos_id,
        "eos_token_id": tokenizer.eos_id,
        "pad_token_id": tokenizer.pad_id,
    })  # fmt: skip
    tower = video_encoder(cfg)
    config = VideoTextConfig(video=tower.config.to_dict(), text=text.to_dict(), video_tower="transformer")
    model = VideoTextModel(config)
    model.video.load_state_dict(tower.state_dict())
    model.tokenizer = tokenizer
    return model


class ContrastivePair(nn.Module):
    """(video, token ids) -> (video embeddings, text embeddings, logit scale): one forward for DDP to wrap."""

    def __init__(self, model: VideoTextModel):
        super().__init__()
        self.model = model

    def forward(self, video: torch.Tensor, ids: torch.Tensor):
        return self.model.encode_video(video), self.model.encode_tokens(ids), self.model.logit_scale.exp()


def contrastive_loss(video: torch.Tensor, text: torch.Tensor, scale: torch.Tensor, true_of: torch.Tensor):
    """Symmetric InfoNCE over a batch: `true_of[a, b]` says caption a is true of clip b (its own, or another with
    the facts it states), and every such pair is a positive. -> (loss, clips whose best caption is true of them)."""
    logits = scale * video @ text.t()  # (clips, captions)
    pos = true_of.t().to(logits.device).float()
    video_loss = F.cross_entropy(logits, pos / pos.sum(dim=1, keepdim=True))
    text_loss = F.cross_entropy(logits.t(), pos.t() / pos.t().sum(dim=1, keepdim=True))
    found = pos[torch.arange(len(pos)), logits.argmax(dim=1)].sum().item()
    return (video_loss + text_loss) / 2, found


def train_epoch(cfg: TextTrainConfig, pair, data: CaptionDataset, batches, optimizer, scheduler, bar) -> EpochMeter:
    meter = EpochMeter()
    tokenizer = pair_model(pair).tokenizer
    for x, captions, index, which in batches:
        clips = [data.clips[i] for i in index.tolist()]
        true_of = positives([c.meanings[k] for c, k in zip(clips, which.tolist(), strict=True)], clips)
        ids = tokenizer(list(captions)).to(cfg.device)
        video, text, scale = pair(x.to(cfg.device), ids)
        loss, found = contrastive_loss(video, text, scale, true_of)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(pair.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            pair_model(pair).logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        meter.add(loss.item(), len(captions), correct=found)
        bar.set_postfix(loss=f"{meter.loss:.3f}", found=f"{meter.accuracy:.3f}", T=f"{1 / scale.item():.3f}")
        bar.update()
    bar.close()
    return meter


def pair_model(pair) -> VideoTextModel:
    return getattr(pair, "module", pair).model


def epoch_line(r: dict) -> str:
    val = ""
    if "val_r1" in r:
        val = " val R@1 {val_r1:.3f} R@5 {val_r5:.3f} zero-shot {val_zero_shot_top1:.3f};".format(**r)
    train = f"train loss {r['train_loss']:.3f} in-batch top1 {r['train_top1']:.3f};"
    return f"epoch {r['epoch']}: {train}{val} ({r['seconds']:.0f} s)"


def test_line(t: dict) -> str:
    return (
        f"test: R@1 {t['r1']:.3f} R@5 {t['r5']:.3f} R@10 {t['r10']:.3f} median rank {t['median_rank']:.0f}, "
        f"zero-shot top1 {t['zero_shot_top1']:.3f} over {t['captions']} captions ({t['clips']} clips)"
    )


def cache_splits(datasets: dict, workers: int, finished: bool, progress: bool | None):
    """Decode every split once into memory (the training split only while epochs remain)."""
    for k, ds in datasets.items():
        if k != "train" or not finished:
            ds.cache(workers, progress=progress)


def train_text(cfg: TextTrainConfig, resume: bool = False, progress: bool | None = None) -> dict:
    run = Run.start(cfg.out, cfg.device)
    splits = caption_splits(cfg.data)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, [t for c in splits["train"] for t in c.captions])
    vc = model.config.video_config
    model.preprocessor = preprocessor_config(vc.image_size, getattr(model.video, "preprocessor", None),
                                             window_seconds=cfg.window_seconds)  # fmt: skip
    pre = Preprocessor.from_config(model.preprocessor, vc.image_size)
    datasets = {
        k: CaptionDataset(v, vc.num_frames, pre, train=k == "train", seed=cfg.seed, crop_scale=cfg.crop_scale)
        for k, v in splits.items()
    }
    workers = 0 if cfg.cache else cfg.workers
    steps = run.steps_per_epoch(len(datasets["train"]), cfg.batch_size)
    model.to(cfg.device)
    optimizer, scheduler = optimizer_and_schedule(
        model, lr=cfg.lr, min_lr=cfg.min_lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98),
        warmup_epochs=cfg.warmup_epochs, steps_per_epoch=steps, epochs=cfg.epochs,
    )  # fmt: skip
    state = {"epoch": 0, "history": [], "best_score": -1.0, "config": asdict(cfg)}
    if resume:
        restore(run, model, optimizer, scheduler, state, cfg.epochs)
    if cfg.cache:
        shown = (run.main and progress) if progress is not None else None
        cache_splits(datasets, cfg.workers, state["epoch"] >= cfg.epochs, shown)
    if run.main:
        run.out.mkdir(parents=True, exist_ok=True)
    pair = run.wrap(ContrastivePair(model))
    params = sum(p.numel() for p in model.parameters()) / 1e6
    run.print(f"training a video-language model, {params:.2f}M params, on {len(datasets['train'])} clips, "
              f"{cfg.epochs} epochs x {steps} steps, world size {run.world}")  # fmt: skip

    def score(split: str):
        loader = make_loader(datasets[split], batch_size=cfg.batch_size, shuffle=False, workers=workers, seed=0)
        videos = embed_videos(model, loader, cfg.device)
        return retrieval_metrics(model, videos, datasets[split].clips)

    for epoch in range(state["epoch"], cfg.epochs):
        begin_epoch(cfg.seed, epoch, datasets["train"])
        loader = run.train_loader(datasets["train"], batch_size=cfg.batch_size, workers=workers, seed=cfg.seed,
                                  epoch=epoch)  # fmt: skip
        pair.train()
        bar = run.progress_bar(steps, epoch=epoch, epochs=cfg.epochs, progress=progress)
        meter = train_epoch(cfg, pair, datasets["train"], islice(loader, steps), optimizer, scheduler, bar)
        record = {"epoch": epoch + 1, "train_loss": meter.loss, "train_top1": meter.accuracy,
                  "temperature": 1 / model.logit_scale.exp().item(), "seconds": meter.seconds}  # fmt: skip
        if run.main:
            if "val" in datasets:
                record.update({f"val_{k}": v for k, v in score("val").to_json().items()})
            best = record.get("val_r1", -meter.loss)
            if best > state["best_score"]:
                state["best_score"] = best
                save_best(run.out, model)
        run.end_epoch(record, state, model, optimizer, scheduler)
        if run.main:
            save_curves(state["history"], run.out / "curves.png", f"video-language, {len(datasets['train'])} clips")
        run.print(epoch_line(record))
    result = {"history": state["history"]}
    if run.main and "test" in datasets:
        model = load_model(run.out / "best").to(cfg.device)
        result["test"] = score("test").to_json()
        run.print(test_line(result["test"]))
    run.finish(result)
    return result
