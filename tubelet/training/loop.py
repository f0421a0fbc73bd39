"""What `train` and `pretrain` share around their steps, so each of them stays one flat loop (nanoGPT style):

- `Run`: this process's place in the job (rank and world size under `torchrun`; DDP over gloo on CPU, nccl on
  GPUs), its run folder, rank-0 printing, the end of an epoch (history + resumable checkpoint) and of the run;
- loaders, with one steps-per-epoch rule that matches what the loader yields;
- AdamW with parameter groups and a linear-warmup + cosine schedule stepped per step;
- the epoch's progress bar;
- checkpoints written atomically (a folder built beside its target and swapped in), restored with
  `weights_only=True`, and the best model swapped in the same way.

Every epoch seeds the global generator and the data by (seed, epoch), so a run resumed from its checkpoint
draws exactly what the uninterrupted run would have drawn.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from ..atomic import atomic_write, atomic_write_text
from ..checkpoints.convert import load_model, save_pretrained

# options a run may be resumed with changed (they do not change what is computed)
RESUMABLE_CHANGES = {"epochs", "workers", "device", "out", "cache"}


# --- the process and its run folder ----------------------------------------------------------------------
@dataclass
class Run:
    out: Path
    device: str
    rank: int = 0
    world: int = 1

    @classmethod
    def start(cls, out: str | os.PathLike, device: str) -> "Run":
        """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        return cls(Path(out), device, dist.get_rank() if world > 1 else 0, world)

    @property
    def main(self) -> bool:
        """Rank 0 evaluates, writes files and prints."""
        return self.rank == 0

    def print(self, *args):
        if self.main:
            print(*args, flush=True)

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def wrap(self, model: torch.nn.Module, *, find_unused_parameters: bool = False) -> torch.nn.Module:
        """DDP around the model when there are several processes; the model itself otherwise."""
        if self.world == 1:
            return model
        return torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=find_unused_parameters)

    def steps_per_epoch(self, clips: int, batch_size: int) -> int:
        per_step = batch_size * self.world
        return clips // per_step if drops_last(clips, per_step) else math.ceil(clips / per_step)

    def train_loader(self, ds, *, batch_size: int, workers: int, seed: int, epoch: int):
        return make_loader(
            ds,
            batch_size=batch_size,
            shuffle=True,
            workers=workers,
            seed=seed,
            epoch=epoch,
            world=self.world,
            rank=self.rank,
        )

    def progress_bar(self, steps: int, *, epoch: int, epochs: int, progress: bool | None) -> tqdm:
        """progress None: a bar only when stderr is a terminal; only rank 0 shows one."""
        hidden = (not progress) if progress is not None else None
        return tqdm(
            total=steps, desc=f"epoch {epoch + 1}/{epochs}", unit="step", disable=True if not self.main else hidden
        )

    def end_epoch(self, record: dict, state: dict, model, optimizer, scheduler):
        """Rank 0 files the epoch's record and writes the resumable checkpoint; every rank waits for it."""
        if self.main:
            state["history"].append(record)
            state["epoch"] = record["epoch"]
            save_checkpoint(self.out, "checkpoint", model, optimizer, scheduler, state)
        self.barrier()

    def finish(self, result: dict):
        """Write metrics.json (rank 0), then leave the process group."""
        if self.main:
            atomic_write_text(self.out / "metrics.json", json.dumps(result, indent=2) + "\n")
        self.barrier()
        if self.world > 1:
            dist.destroy_process_group()


def begin_epoch(seed: int, epoch: int, dataset) -> None:
    """Seed what an epoch draws: dropout / drop path from the global generator, jitter and flips in the data."""
    torch.manual_seed(seed * 1009 + epoch)
    dataset.epoch = epoch


# --- data ------------------------------------------------------------------------------------------------
def drops_last(clips: int, per_step: int) -> bool:
    """A ragged last batch is dropped once there are two full ones (a tiny last batch is a noisy step)."""
    return clips >= 2 * per_step


def make_loader(
    ds, *, batch_size: int, shuffle: bool, workers: int, seed: int, epoch: int = 0, world: int = 1, rank: int = 0
):
    """Shuffled (training, seeded by (seed, epoch); sharded across ranks) or in order (evaluation)."""
    sampler = None
    if world > 1 and shuffle:
        sampler = torch.utils.data.DistributedSampler(ds, world, rank, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
    g = torch.Generator().manual_seed(seed * 7919 + epoch)
    return torch.utils.data.DataLoader(
        ds,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=workers,
        generator=g,
        persistent_workers=False,
        drop_last=shuffle and drops_last(len(ds), batch_size * world),
    )


# --- optimization ----------------------------------------------------------------------------------------
def layer_id(name: str, depth: int) -> int:
    """A parameter's depth for layer-wise lr decay: 0 for the embedding (tokens, positions, class token),
    i + 1 for block i, depth + 1 for everything after the blocks (norms, temporal blocks, head)."""
    if name.startswith(("patch_embed", "pos_embed", "cls_token")):
        return 0
    if name.startswith("blocks."):
        return int(name.split(".")[1]) + 1
    return depth + 1


def param_groups(model: torch.nn.Module, weight_decay: float, layer_decay: float = 1.0) -> list[dict]:
    """No decay on norms, biases, class tokens and position tables. With `layer_decay` < 1 (fine-tuning a
    pretrained encoder, as BEiT / MAE / VideoMAE do), block i's lr is scaled by layer_decay^(depth + 1 - id):
    the head learns at the full rate, the patch embedding at the smallest, so the pretrained early layers
    move least."""
    depth = len(getattr(model, "blocks", ()))
    groups: dict[tuple[int, bool], dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = p.ndim < 2 or "pos" in name or "cls" in name
        lid = layer_id(name, depth) if layer_decay < 1 else 0
        scale = layer_decay ** (depth + 1 - lid) if layer_decay < 1 else 1.0
        g = groups.setdefault(
            (lid, no_decay), {"params": [], "weight_decay": 0.0 if no_decay else weight_decay, "lr_scale": scale}
        )
        g["params"].append(p)
    return list(groups.values())


def lr_factor(step: int, *, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warmup over `warmup` steps, then cosine from 1 down to `min_ratio` at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def optimizer_and_schedule(
    model: torch.nn.Module,
    *,
    lr: float,
    min_lr: float,
    weight_decay: float,
    betas: tuple[float, float],
    warmup_epochs: float,
    steps_per_epoch: int,
    epochs: int,
    layer_decay: float = 1.0,
):
    """AdamW and its per-step LambdaLR schedule (each group's lr is lr x its lr_scale, times the schedule)."""
    total, warmup = steps_per_epoch * epochs, max(1, int(warmup_epochs * steps_per_epoch))
    groups = param_groups(model, weight_decay, layer_decay)
    for g in groups:
        g["lr"] = lr * g.pop("lr_scale")
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=betas)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, warmup=warmup, total=total, min_ratio=min_lr / lr)
    )
    return optimizer, schedule


class EpochMeter:
    """Running mean loss (and accuracy when given) over an epoch, and its wall time."""

    def __init__(self):
        self.seen, self.loss_sum, self.correct, self.t0 = 0, 0.0, 0, time.time()

    def add(self, loss: float, count: int, correct: int = 0):
        self.seen += count
        self.loss_sum += loss * count
        self.correct += correct

    @property
    def loss(self) -> float:
        return self.loss_sum / max(1, self.seen)

    @property
    def accuracy(self) -> float:
        return self.correct / max(1, self.seen)

    @property
    def seconds(self) -> float:
        return round(time.time() - self.t0, 1)


# --- checkpoints -----------------------------------------------------------------------------------------
def swap_in(tmp: Path, final: Path):
    """Replace folder `final` by the finished folder `tmp` (the old one is kept aside until the rename)."""
    old = final.parent / f".{final.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(out: Path, name: str, model, optimizer, scheduler, state: dict):
    """Write out/name (model + trainer_state.pt) atomically: build it beside, then swap it in."""
    tmp = out / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(model, tmp, format="tubelet")
    trainer = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), **state}
    atomic_write(tmp / "trainer_state.pt", lambda p: torch.save(trainer, p))
    swap_in(tmp, out / name)


def save_best(out: Path, model):
    """out/best: the model alone, swapped in whole."""
    tmp = out / ".best.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(model, tmp, format="tubelet")
    swap_in(tmp, out / "best")


def _same(a, b) -> bool:
    # runs saved before --symmetries took names stored it as a bool: False == "", True == "all"
    return a == b or (not a and not b) or (a in (True, "all") and b in (True, "all"))


def restore(run: Run, model, optimizer, scheduler, state: dict, epochs: int):
    """Load run.out/checkpoint (weights, optimizer, schedule, history) into the fresh objects, if it exists."""
    ckpt = run.out / "checkpoint"
    if not (ckpt / "trainer_state.pt").exists():
        run.print(f"nothing to resume in {run.out}; starting fresh")
        return
    saved = torch.load(ckpt / "trainer_state.pt", map_location="cpu", weights_only=True)
    # a run folder holds one experiment: continuing it under another recipe would silently mix two runs
    # (more epochs or other loader workers / device are fine)
    old, new = saved.get("config", {}), state.get("config", {})
    changed = sorted(k for k in set(old) | set(new) if k not in RESUMABLE_CHANGES and not _same(old.get(k), new.get(k)))
    if changed:
        k = changed[0]
        raise ValueError(
            f"{run.out} was started with another config ({k}: {old.get(k)!r} there, {new.get(k)!r} now); "
            "use a new output folder or the same options"
        )
    model.load_state_dict(load_model(ckpt).state_dict())
    optimizer.load_state_dict(saved.pop("optimizer"))
    scheduler.load_state_dict(saved.pop("scheduler"))
    state.update(saved)
    run.print(f"resuming after epoch {state['epoch']} of {epochs}")
