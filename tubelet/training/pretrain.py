"""`tubelet pretrain`: VideoMAE self-supervised pretraining on unlabelled video files, one flat loop.

Each step draws a fresh mask per clip (tube / random / frame, seeded by (seed, step) so a resumed run
draws the same masks), encodes the visible tokens only, decodes, and takes the MSE on the hidden tubes.
Shares the training loop's machinery with `train` (loop.py: AdamW + warmup/cosine, atomic per-epoch
checkpoints with resume, DDP under torchrun). Every `picture_every` steps it writes a PNG of one clip: original /
masked input / reconstruction, and after every epoch the loss curve (loss.png), so you can watch what it learns.
The result loads as a `VideoMAE`; `tubelet train --init`
fine-tunes its encoder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import torch

from ..modeling.masking import make_mask
from ..modeling.videomae import VideoMAE, VideoMAEConfig, videomae_encoder_config
from ..video.preprocess import Preprocessor, preprocessor_config
from .curves import save_curves
from .data import ClipDataset, unlabelled_clips
from .loop import EpochMeter, Run, begin_epoch, optimizer_and_schedule, restore
from .reconstruction import save_reconstruction_png
from .results import PretrainResult


@dataclass
class PretrainConfig:
    data: str
    out: str
    model: dict = field(default_factory=dict)  # encoder fields (VideoTransformerConfig)
    decoder_dim: int | None = None  # default: half the encoder width (VideoMAE: 384 for 768)
    decoder_depth: int = 2  # VideoMAE: 4 at ViT-B; width matters more than depth
    decoder_heads: int | None = None  # default: half the encoder's heads
    masking: str = "tube"
    mask_ratio: float = 0.75  # the papers: 0.75-0.9; 0.75 won on small token grids
    norm_pix_loss: bool = False  # raw pixels: normalized targets stayed flat on fine texture
    epochs: int = 10
    batch_size: int = 16
    lr: float | None = None  # None: base_lr x batch_size / 256 (the papers' scaling rule)
    base_lr: float = 0.012  # the cpu preset's (VideoMAE-B: 1.5e-4): small models, larger steps
    min_lr: float = 1e-6
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    grad_clip: float = 1.0
    workers: int = 2
    cache: bool = False
    crop_scale: float = 1.0  # random resized crop: smallest area kept (1 = no crop)
    hflip: bool = True  # mirror half the clips (no labels to keep)
    seed: int = 0
    picture_every: int = 200  # steps between reconstruction pictures (0 = never)
    device: str = "cpu"


def build_videomae(cfg: PretrainConfig) -> VideoMAE:
    enc = videomae_encoder_config(**{"num_labels": 0, **cfg.model})
    return VideoMAE(
        VideoMAEConfig(
            encoder=enc,
            decoder_dim=cfg.decoder_dim or enc.dim // 2,
            decoder_depth=cfg.decoder_depth,
            decoder_heads=cfg.decoder_heads or max(1, enc.heads // 2),
            norm_pix_loss=cfg.norm_pix_loss,
            mask_ratio=cfg.mask_ratio,
        )
    )


def pretrain_lr(cfg: PretrainConfig, world: int = 1) -> float:
    """--lr, or the scaling rule on the batch of all processes together."""
    return cfg.lr if cfg.lr is not None else cfg.base_lr * cfg.batch_size * world / 256


def step_masks(cfg: PretrainConfig, step: int, rank: int, batch: int, grid, device) -> torch.Tensor:
    g = torch.Generator().manual_seed(hash((cfg.seed, step, rank)) & 0x7FFF_FFFF_FFFF)
    return make_mask(cfg.masking, batch, grid, cfg.mask_ratio, g, device)


def pretrain(cfg: PretrainConfig, resume: bool = False, progress: bool | None = None) -> PretrainResult:
    run = Run.start(cfg.out, cfg.device)
    samples = unlabelled_clips(cfg.data)
    torch.manual_seed(cfg.seed)
    model = build_videomae(cfg)
    enc = model.config.encoder
    model.preprocessor = preprocessor_config(enc.image_size)
    pre = Preprocessor.from_config(model.preprocessor, enc.image_size)
    ds = ClipDataset(
        samples,
        {"": 0},
        enc.num_frames,
        pre,
        train=True,
        seed=cfg.seed,
        symmetries={"hflip": {}} if cfg.hflip else None,
        crop_scale=cfg.crop_scale,
    )
    workers = 0 if cfg.cache else cfg.workers
    steps = run.steps_per_epoch(len(ds), cfg.batch_size)
    model.to(cfg.device)
    optimizer, scheduler = optimizer_and_schedule(
        model,
        lr=pretrain_lr(cfg, run.world),
        min_lr=cfg.min_lr,
        weight_decay=cfg.weight_decay,
        betas=(0.9, 0.95),
        warmup_epochs=cfg.warmup_epochs,
        steps_per_epoch=steps,
        epochs=cfg.epochs,
    )
    state = {"epoch": 0, "history": [], "config": asdict(cfg)}
    if resume:
        restore(run, model, optimizer, scheduler, state, cfg.epochs)
    if cfg.cache and state["epoch"] < cfg.epochs:  # decode once into memory (not for a finished run)
        ds.cache(cfg.workers, progress=(run.main and progress) if progress is not None else None)
    if run.main:
        (run.out / "reconstructions").mkdir(parents=True, exist_ok=True)
    # the encoder's pooling norm is part of the saved model (fine-tuning uses it) but not of the MAE loss
    net = run.wrap(model, find_unused_parameters=True)
    visible = 1 - make_mask(cfg.masking, 1, enc.grid, cfg.mask_ratio).float().mean().item()
    params = sum(p.numel() for p in model.parameters())
    run.print(
        f"pretraining VideoMAE {params / 1e6:.2f}M params on {len(ds)} clips, "
        f"{cfg.masking} masking at {cfg.mask_ratio:.0%} ({visible * enc.num_patches:.0f} of {enc.num_patches} "
        f"tokens visible), {cfg.epochs} epochs x {steps} steps, world size {run.world}"
    )
    picture_clip = torch.stack([ds[0][0]])
    for epoch in range(state["epoch"], cfg.epochs):
        begin_epoch(cfg.seed, epoch, ds)
        loader = run.train_loader(ds, batch_size=cfg.batch_size, workers=workers, seed=cfg.seed, epoch=epoch)
        net.train()
        bar, meter = run.progress_bar(steps, epoch=epoch, epochs=cfg.epochs, progress=progress), EpochMeter()
        for i, (x, _) in enumerate(islice(loader, steps)):
            step = epoch * steps + i
            x = x.to(cfg.device)
            loss, _ = net(x, step_masks(cfg, step, run.rank, len(x), enc.grid, cfg.device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            optimizer.step()
            scheduler.step()
            meter.add(loss.item(), len(x))
            bar.set_postfix(loss=f"{meter.loss:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
            bar.update()
            if run.main and cfg.picture_every and (step + 1) % cfg.picture_every == 0:
                _picture(model, picture_clip, cfg, step + 1, run.out)
        bar.close()
        record = {"epoch": epoch + 1, "loss": meter.loss, "seconds": meter.seconds}
        run.end_epoch(record, state, model, optimizer, scheduler)
        if run.main:
            save_curves(state["history"], run.out / "loss.png", f"{cfg.masking} masking {cfg.mask_ratio:.0%}")
        run.print(
            f"epoch {epoch + 1}: loss {record['loss']:.4f} ({record['seconds']:.0f} s, "
            f"{steps * cfg.batch_size * run.world / max(record['seconds'], 1e-9):.0f} clips/s)"
        )
    result = PretrainResult(state["history"], steps * cfg.epochs)
    if run.main:
        _picture(model, picture_clip, cfg, steps * cfg.epochs, run.out)
    run.finish(result.to_json())
    return result


def _picture(model, clip, cfg: PretrainConfig, step: int, out: Path):
    enc = model.config.encoder
    mask = make_mask(cfg.masking, 1, enc.grid, cfg.mask_ratio, torch.Generator().manual_seed(cfg.seed), cfg.device)
    save_reconstruction_png(
        model,
        clip.to(cfg.device),
        mask,
        out / "reconstructions" / f"step_{step:06d}.png",
        title=f"step {step}: {cfg.masking} masking {cfg.mask_ratio:.0%}",
    )
