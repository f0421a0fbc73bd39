"""`tubelet pretrain`: VideoMAE self-supervised pretraining on unlabelled video files, one flat loop.

Each step draws a fresh mask per clip (tube / random / frame, seeded by (seed, step) so a resumed run
draws the same masks), encodes the visible tokens only, decodes, and takes the MSE on the hidden tubes.
Shares the training loop's machinery (AdamW + warmup/cosine, atomic per-epoch checkpoints with resume,
DDP under torchrun). Every `picture_every` steps it writes a PNG of one clip: original / masked input /
reconstruction, so you can watch what it learns. The result loads as a `VideoMAE`; `tubelet train --init`
fine-tunes its encoder.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from .atomic import atomic_write_text
from .data import ClipDataset, Sample, read_manifest
from .masking import make_mask
from .preprocess import Preprocessor
from .train import (_barrier, _dist_setup, _loader, _print, lr_factor, param_groups, preprocessor_config, restore,
                    save_checkpoint)
from .video import find_videos
from .videomae import VideoMAE, VideoMAEConfig, _videomae_encoder


@dataclass
class PretrainConfig:
    data: str
    out: str
    model: dict = field(default_factory=dict)      # encoder fields (VideoTransformerConfig)
    decoder_dim: int | None = None                 # default: half the encoder width (VideoMAE: 384 for 768)
    decoder_depth: int = 4
    decoder_heads: int | None = None               # default: half the encoder's heads
    masking: str = "tube"
    mask_ratio: float = 0.9
    norm_pix_loss: bool = True
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3                               # small models, few steps (VideoMAE-B used 1.5e-4 x batch/256)
    min_lr: float = 1e-6
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    grad_clip: float = 1.0
    workers: int = 2
    cache: bool = False
    seed: int = 0
    picture_every: int = 200                       # steps between reconstruction pictures (0 = never)
    device: str = "cpu"


def unlabelled_clips(data: str | os.PathLike) -> list[Sample]:
    """Every video of a folder (recursively), a manifest CSV's paths, or a synth dataset's train split;
    labels, when present, are ignored."""
    data = Path(data)
    if data.is_dir() and (data / "train.csv").exists():
        rows = read_manifest(data / "train.csv")
    elif data.is_file() and data.suffix.lower() == ".csv":
        rows = read_manifest(data)
    elif data.is_dir():
        rows = [Sample(p, "") for p in find_videos([str(data)])[0]]
    else:
        raise ValueError(f"no such videos folder or manifest: {data}")
    if not rows:
        raise ValueError(f"{data}: no video files")
    return [Sample(r.path, "") for r in rows]


def build_videomae(cfg: PretrainConfig) -> VideoMAE:
    enc = _videomae_encoder(**{"num_labels": 0, **cfg.model})
    return VideoMAE(VideoMAEConfig(encoder=enc, decoder_dim=cfg.decoder_dim or enc.dim // 2,
                                   decoder_depth=cfg.decoder_depth, decoder_heads=cfg.decoder_heads or max(1, enc.heads // 2),
                                   norm_pix_loss=cfg.norm_pix_loss, mask_ratio=cfg.mask_ratio))


def step_masks(cfg: PretrainConfig, step: int, rank: int, batch: int, grid, device) -> torch.Tensor:
    g = torch.Generator().manual_seed(hash((cfg.seed, step, rank)) & 0x7FFF_FFFF_FFFF)
    return make_mask(cfg.masking, batch, grid, cfg.mask_ratio, g, device)


def pretrain(cfg: PretrainConfig, resume: bool = False, progress: bool | None = None) -> dict:
    rank, world = _dist_setup(cfg.device)
    out = Path(cfg.out)
    samples = unlabelled_clips(cfg.data)
    torch.manual_seed(cfg.seed)
    model = build_videomae(cfg)
    enc = model.config.encoder
    model.preprocessor = preprocessor_config(model.encoder)
    pre = Preprocessor.from_config(model.preprocessor, enc.image_size)
    ds = ClipDataset(samples, {"": 0}, enc.num_frames, pre, train=True, seed=cfg.seed)
    workers = 0 if cfg.cache else cfg.workers
    steps_per_epoch = max(1, len(ds) // (cfg.batch_size * world))
    total, warmup = steps_per_epoch * cfg.epochs, max(1, int(cfg.warmup_epochs * steps_per_epoch))
    model.to(cfg.device)
    optimizer = torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, warmup, total, cfg.min_lr / cfg.lr))
    state = {"epoch": 0, "history": [], "config": asdict(cfg)}
    if resume:
        restore(out, model, optimizer, scheduler, state, rank, cfg.epochs)
    if cfg.cache and state["epoch"] < cfg.epochs:    # decode once into memory (not for a finished run)
        ds.cache(cfg.workers, progress=(rank == 0 and progress) if progress is not None else None)
    if rank == 0:
        (out / "reconstructions").mkdir(parents=True, exist_ok=True)
    # the encoder's pooling norm is part of the saved model (fine-tuning uses it) but not of the MAE loss
    net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True) if world > 1 else model
    visible = 1 - make_mask(cfg.masking, 1, enc.grid, cfg.mask_ratio).float().mean().item()
    _print(rank, f"pretraining VideoMAE {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M params on {len(ds)} clips, "
                 f"{cfg.masking} masking at {cfg.mask_ratio:.0%} ({visible * enc.num_patches:.0f} of {enc.num_patches} tokens "
                 f"visible), {cfg.epochs} epochs x {steps_per_epoch} steps, world size {world}")
    picture_clip = torch.stack([ds[0][0]])
    from tqdm import tqdm
    for epoch in range(state["epoch"], cfg.epochs):
        torch.manual_seed(cfg.seed * 1009 + epoch)
        ds.epoch = epoch
        loader = _loader(ds, cfg.batch_size, True, workers, world, rank, cfg.seed, epoch)
        net.train()
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step",
                   disable=rank != 0 or ((not progress) if progress is not None else None))
        loss_sum, seen, t0 = 0.0, 0, time.time()
        for i, (x, _) in enumerate(loader):
            if i >= steps_per_epoch:
                break
            step = epoch * steps_per_epoch + i
            x = x.to(cfg.device)
            loss, _ = net(x, step_masks(cfg, step, rank, len(x), enc.grid, cfg.device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            optimizer.step()
            scheduler.step()
            loss_sum, seen = loss_sum + loss.item() * len(x), seen + len(x)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
            bar.update()
            if rank == 0 and cfg.picture_every and (step + 1) % cfg.picture_every == 0:
                _picture(model, picture_clip, cfg, step + 1, out)
        bar.close()
        record = {"epoch": epoch + 1, "loss": loss_sum / max(1, seen), "seconds": round(time.time() - t0, 1)}
        if rank == 0:
            state["history"].append(record)
            state["epoch"] = epoch + 1
            save_checkpoint(out, "checkpoint", model, optimizer, scheduler, state)
            _print(rank, f"epoch {epoch + 1}: loss {record['loss']:.4f} ({record['seconds']:.0f} s)")
        _barrier(world)
    result = {"history": state["history"], "steps": total}
    if rank == 0:
        _picture(model, picture_clip, cfg, total, out)
        atomic_write_text(out / "metrics.json", json.dumps(result, indent=2) + "\n")
    _barrier(world)
    if world > 1:
        import torch.distributed as dist
        dist.destroy_process_group()
    return result


def _picture(model, clip, cfg: PretrainConfig, step: int, out: Path):
    from .reconstruction import save_reconstruction_png
    enc = model.config.encoder
    mask = make_mask(cfg.masking, 1, enc.grid, cfg.mask_ratio, torch.Generator().manual_seed(cfg.seed), cfg.device)
    save_reconstruction_png(model, clip.to(cfg.device), mask, out / "reconstructions" / f"step_{step:06d}.png",
                            title=f"step {step}: {cfg.masking} masking {cfg.mask_ratio:.0%}")
