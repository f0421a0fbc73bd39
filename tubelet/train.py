"""`tubelet train`: supervised training of any scheme on real video files, one flat loop (nanoGPT style).

AdamW with linear warmup then cosine decay, per step; bf16 autocast when asked (it pays on GPUs and CPUs
with native bf16); one checkpoint folder per epoch written atomically (model in the HF-style folder format
+ trainer_state.pt, loaded back with weights_only=True); `--resume` continues an interrupted run exactly:
each epoch's shuffling, jitter and dropout are seeded by (seed, epoch), so a resumed run equals an
uninterrupted one. Under `torchrun --nproc_per_node N` the same command trains with DDP (gloo on CPU,
nccl on GPUs); rank 0 evaluates and writes.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .atomic import atomic_write, atomic_write_text
from .config import VideoTransformerConfig
from .data import ClipDataset, load_splits
from .symmetry import averaged_probabilities, dataset_symmetries, model_views
from .model import VideoTransformer
from .preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocessor


@dataclass
class TrainConfig:
    data: str
    out: str
    val: str | None = None
    test: str | None = None
    model: dict = field(default_factory=dict)      # VideoTransformerConfig fields
    init: str | None = None                        # a pretrained checkpoint to start from (encoder weights)
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    grad_clip: float = 1.0
    precision: str = "fp32"                        # fp32 | bf16
    workers: int = 2
    cache: bool = False                            # decode every clip once into memory (no temporal jitter)
    symmetries: str = ""                           # augment with the dataset's label-mapping views (dataset.json):
                                                   # "all" or a comma-separated subset ("hflip,vflip,reverse")
    seed: int = 0
    window_seconds: float | None = None            # stored with the model: the window `tag` uses by default
    device: str = "cpu"


# --- distributed ---------------------------------------------------------------------------------------
def _dist_setup(device: str) -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _barrier(world: int):
    if world > 1:
        dist.barrier()


def dataset_labels(data: str, splits: dict) -> list[str]:
    """The dataset's own label order when it says one (dataset.json from `tubelet synth`), else sorted."""
    found = sorted({s.label for s in splits["train"]})
    meta = Path(data) / "dataset.json"
    if meta.exists():
        order = json.loads(meta.read_text()).get("labels", [])
        if set(order) >= set(found):
            return [x for x in order if x in set(found)]
    return found


# --- pieces ---------------------------------------------------------------------------------------------
def build_model(cfg: TrainConfig, labels: list[str]) -> VideoTransformer:
    id2label = dict(enumerate(labels))
    if cfg.init:
        from .pretrained import classifier_from_pretrained
        return classifier_from_pretrained(cfg.init, id2label, cfg.model)
    return VideoTransformer(VideoTransformerConfig(**{**cfg.model, "id2label": id2label, "num_labels": len(labels)}))


def preprocessor_config(model: VideoTransformer, window_seconds: float | None = None,
                        test_views: dict[str, dict[str, str]] | None = None) -> dict:
    pre = dict(model.preprocessor or {})
    size = model.config.image_size
    pre = {"image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": size},
           "do_center_crop": True, "crop_size": {"height": size, "width": size}, "do_rescale": True,
           "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": list(IMAGENET_MEAN),
           "image_std": list(IMAGENET_STD), "resample": 2, **pre}
    if window_seconds:
        pre["tubelet_window_seconds"] = window_seconds
    if test_views:      # trained with these symmetries: inference averages over them (tubelet.symmetry)
        pre["tubelet_test_views"] = test_views
    return pre


def chosen_symmetries(data: str, choice: str | bool) -> dict[str, dict[str, str]]:
    """--symmetries: "" none, "all" (or True) every one the dataset declares, else a comma-separated subset."""
    if not choice:
        return {}
    declared = dataset_symmetries(data)
    if not declared:
        raise ValueError(f"--symmetries: {data} declares none (dataset.json from `tubelet synth` does)")
    if choice is True or choice == "all":
        return declared
    names = [x.strip() for x in choice.split(",") if x.strip()]
    unknown = [x for x in names if x not in declared]
    if unknown:
        raise ValueError(f"--symmetries: {data} does not declare {', '.join(unknown)} (it declares {', '.join(sorted(declared))})")
    return {x: declared[x] for x in names}


def param_groups(model: torch.nn.Module, weight_decay: float):
    """No decay on norms, biases, class tokens and position tables."""
    decay, keep = [], []
    for name, p in model.named_parameters():
        (keep if p.ndim < 2 or "pos" in name or "cls" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]


def lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


@torch.inference_mode()
def evaluate(model, loader, num_labels: int, device: str, precision: str, views=None) -> dict:
    """Top-1 / top-5 / loss / confusion; `views` (symmetry.view_table) averages probabilities over them."""
    model.eval()
    confusion = torch.zeros(num_labels, num_labels, dtype=torch.long)
    top5 = total = 0
    loss = 0.0
    for x, y in loader:
        with torch.no_grad(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16"):
            # averaged probabilities -> their logs, so the loss below is the ensemble's NLL
            logits = averaged_probabilities(model, x.to(device), views).cpu().log() if views else \
                model(x.to(device)).float().cpu()
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        confusion += torch.bincount(y * num_labels + logits.argmax(1), minlength=num_labels ** 2).view(num_labels, num_labels)
        top5 += (logits.topk(min(5, num_labels), dim=1).indices == y[:, None]).any(1).sum().item()
        total += len(y)
    return {"top1": confusion.diag().sum().item() / max(1, total), "top5": top5 / max(1, total),
            "loss": loss / max(1, total), "clips": total, "confusion": confusion.tolist()}


def save_checkpoint(out: Path, name: str, model, optimizer, scheduler, state: dict):
    """Write out/name atomically: build it beside, then swap it in."""
    final, tmp = out / name, out / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, format="tubelet")
    trainer = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), **state}
    atomic_write(tmp / "trainer_state.pt", lambda p: torch.save(trainer, p))
    old = out / f".{name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


RESUMABLE_CHANGES = {"epochs", "workers", "device", "out", "cache"}


def _same(a, b) -> bool:
    # runs saved before --symmetries took names stored it as a bool: False == "", True == "all"
    return a == b or (not a and not b) or (a in (True, "all") and b in (True, "all"))


def restore(out: Path, model, optimizer, scheduler, state: dict, rank: int, epochs: int):
    """Load out/checkpoint (weights, optimizer, schedule, history) into the fresh objects, if it exists."""
    ckpt = out / "checkpoint"
    if not (ckpt / "trainer_state.pt").exists():
        _print(rank, f"nothing to resume in {out}; starting fresh")
        return
    from .checkpoints import load_model
    saved = torch.load(ckpt / "trainer_state.pt", map_location="cpu", weights_only=True)
    # a run folder holds one experiment: continuing it under another recipe would silently mix two runs
    # (more epochs or other loader workers / device are fine)
    old, new = saved.get("config", {}), state.get("config", {})
    changed = sorted(k for k in set(old) | set(new) if k not in RESUMABLE_CHANGES and not _same(old.get(k), new.get(k)))
    if changed:
        k = changed[0]
        raise ValueError(f"{out} was started with another config ({k}: {old.get(k)!r} there, {new.get(k)!r} now); "
                         "use a new output folder or the same options")
    model.load_state_dict(load_model(ckpt).state_dict())
    optimizer.load_state_dict(saved.pop("optimizer"))
    scheduler.load_state_dict(saved.pop("scheduler"))
    state.update(saved)
    _print(rank, f"resuming after epoch {state['epoch']} of {epochs}")


def _loader(ds, batch_size, shuffle, workers, world, rank, seed, epoch=0):
    sampler = None
    if world > 1:
        sampler = torch.utils.data.DistributedSampler(ds, world, rank, shuffle=shuffle, seed=seed)
        sampler.set_epoch(epoch)
    g = torch.Generator().manual_seed(seed * 7919 + epoch)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle and sampler is None, sampler=sampler,
                                       num_workers=workers, generator=g, persistent_workers=False,
                                       drop_last=shuffle and len(ds) >= 2 * batch_size * world)


def _print(rank, *args):
    if rank == 0:
        print(*args, flush=True)


# --- the loop -------------------------------------------------------------------------------------------
def train(cfg: TrainConfig, resume: bool = False, progress: bool | None = None) -> dict:
    rank, world = _dist_setup(cfg.device)
    out = Path(cfg.out)
    splits = load_splits(cfg.data, cfg.val, cfg.test)
    labels = dataset_labels(cfg.data, splits)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, labels)
    symmetries = chosen_symmetries(cfg.data, cfg.symmetries)
    model.preprocessor = preprocessor_config(model, cfg.window_seconds, symmetries)
    mc = model.config
    pre = Preprocessor.from_config(model.preprocessor, mc.image_size)
    datasets = {k: ClipDataset(v, mc.label2id, mc.num_frames, pre, train=k == "train", seed=cfg.seed,
                               symmetries=symmetries) for k, v in splits.items()}
    workers = 0 if cfg.cache else cfg.workers
    steps_per_epoch = math.ceil(len(datasets["train"]) / (cfg.batch_size * world))
    if len(datasets["train"]) >= 2 * cfg.batch_size * world:
        steps_per_epoch = len(datasets["train"]) // (cfg.batch_size * world)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, int(cfg.warmup_epochs * steps_per_epoch))
    model.to(cfg.device)
    optimizer = torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, warmup, total, cfg.min_lr / cfg.lr))
    state = {"epoch": 0, "history": [], "best_top1": -1.0, "config": asdict(cfg)}
    if resume:
        restore(out, model, optimizer, scheduler, state, rank, cfg.epochs)
    if cfg.cache:       # decode once into memory; a finished run being re-opened only needs val / test
        for k, ds in datasets.items():
            if k != "train" or state["epoch"] < cfg.epochs:
                ds.cache(cfg.workers, progress=(rank == 0 and progress) if progress is not None else None)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    _print(rank, f"training {mc.scheme} {model.num_params() / 1e6:.2f}M params on {len(datasets['train'])} clips, "
                 f"{len(labels)} labels, {cfg.epochs} epochs x {steps_per_epoch} steps, world size {world}")
    from tqdm import tqdm
    for epoch in range(state["epoch"], cfg.epochs):
        torch.manual_seed(cfg.seed * 1009 + epoch)          # dropout / drop-path: reproducible per epoch
        datasets["train"].epoch = epoch
        loader = _loader(datasets["train"], cfg.batch_size, True, workers, world, rank, cfg.seed, epoch)
        net.train()
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step",
                   disable=rank != 0 or ((not progress) if progress is not None else None))
        seen = correct = 0
        loss_sum, t0 = 0.0, time.time()
        for step, (x, y) in enumerate(loader):
            if step >= steps_per_epoch:
                break
            x, y = x.to(cfg.device), y.to(cfg.device)
            with torch.autocast(cfg.device.split(":")[0], dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
                logits = net(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            optimizer.step()
            scheduler.step()
            seen += len(y)
            correct += (logits.argmax(1) == y).sum().item()
            loss_sum += loss.item() * len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
            bar.update()
        bar.close()
        record = {"epoch": epoch + 1, "train_loss": loss_sum / max(1, seen), "train_top1": correct / max(1, seen),
                  "seconds": round(time.time() - t0, 1)}
        if rank == 0:
            if "val" in datasets:
                v = evaluate(model, _loader(datasets["val"], cfg.batch_size, False, workers, 1, 0, cfg.seed),
                             len(labels), cfg.device, cfg.precision)
                record.update(val_top1=v["top1"], val_top5=v["top5"], val_loss=v["loss"])
            state["history"].append(record)
            state["epoch"] = epoch + 1
            score = record.get("val_top1", record["train_top1"])
            if score > state["best_top1"]:
                state["best_top1"] = score
                model.save_pretrained(out / ".best.tmp", format="tubelet")
                shutil.rmtree(out / "best", ignore_errors=True)
                (out / ".best.tmp").rename(out / "best")
            save_checkpoint(out, "checkpoint", model, optimizer, scheduler, state)
            _print(rank, "epoch {epoch}: train loss {train_loss:.3f} top1 {train_top1:.3f}".format(**record)
                   + ("; val top1 {val_top1:.3f} top5 {val_top5:.3f}".format(**record) if "val_top1" in record else "")
                   + f" ({record['seconds']:.0f} s)")
        _barrier(world)
    result = {"history": state["history"], "labels": labels}
    if rank == 0:
        from .checkpoints import load_model
        best = load_model(out / "best")
        if "test" in datasets:
            t = evaluate(best, _loader(datasets["test"], cfg.batch_size, False, workers, 1, 0, cfg.seed),
                         len(labels), "cpu", "fp32", views=model_views(best))
            result["test"] = t
            _print(rank, format_confusion(t, labels))
        atomic_write_text(out / "metrics.json", json.dumps(result, indent=2) + "\n")
    _barrier(world)
    if world > 1:
        dist.destroy_process_group()
    return result


def format_confusion(metrics: dict, labels: list[str]) -> str:
    width = max(len(x) for x in labels)
    short = [x[:6] for x in labels]
    lines = [f"test: top1 {metrics['top1']:.4f}  top5 {metrics['top5']:.4f}  ({metrics['clips']} clips)",
             " " * (width + 2) + " ".join(f"{s:>6}" for s in short)]
    for label, row in zip(labels, metrics["confusion"]):
        lines.append(f"{label:>{width}}  " + " ".join(f"{v:>6}" for v in row))
    return "\n".join(lines)
