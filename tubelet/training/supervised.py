"""`tubelet train`: supervised training of any scheme on real video files, one flat loop (nanoGPT style).

AdamW with linear warmup then cosine decay, per step; label smoothing and gradient clipping; bf16 autocast
when asked (it pays on GPUs and CPUs with native bf16). After each epoch rank 0 evaluates on the validation
split, keeps the best model in `best/` and writes the resumable `checkpoint/`; at the end the best model is
scored on the test split. The machinery around the loop (processes under torchrun, loaders, schedule,
checkpoints, `--resume` that equals an uninterrupted run) is in loop.py, shared with `pretrain`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice

import torch
import torch.nn.functional as F

from ..checkpoints.convert import load_model
from ..modeling.config import VideoTransformerConfig
from ..modeling.model import VideoTransformer
from ..video.preprocess import Preprocessor, preprocessor_config
from ..video.symmetry import model_views
from .curves import save_curves
from .data import ClipDataset, chosen_symmetries, dataset_labels, load_splits
from .evaluate import evaluate, format_confusion
from .finetune import classifier_from_pretrained
from .loop import EpochMeter, Run, begin_epoch, make_loader, optimizer_and_schedule, restore, save_best
from .results import TrainResult

# what `train --init` does unless told otherwise: the fine-tuning recipe that beat scratch (mae-efficiency)
FINETUNE_CROP_SCALE = 0.7
FINETUNE_DROP_PATH = 0.1


@dataclass
class TrainConfig:
    data: str
    out: str
    val: str | None = None
    test: str | None = None
    model: dict = field(default_factory=dict)  # VideoTransformerConfig fields
    init: str | None = None  # a pretrained checkpoint to start from (encoder weights)
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    layer_decay: float | None = None  # lr x decay^(depth + 1 - layer); None: 0.75 with --init, else 1
    crop_scale: float | None = None  # random resized crop: smallest area kept (1 = no crop);
    # None: 0.7 with --init (the fine-tuning recipe), else 1
    grad_clip: float = 1.0
    precision: str = "fp32"  # fp32 | bf16
    workers: int = 2
    cache: bool = False  # decode every clip once into memory (no temporal jitter)
    symmetries: str = ""  # augment with the dataset's label-mapping views (dataset.json):
    # "all" or a comma-separated subset ("hflip,vflip,reverse")
    seed: int = 0
    window_seconds: float | None = None  # stored with the model: the window `tag` uses by default
    device: str = "cpu"


def build_model(cfg: TrainConfig, labels: list[str]) -> VideoTransformer:
    """A fresh classifier, or (with --init) a pretrained encoder under a new head."""
    id2label = dict(enumerate(labels))
    if cfg.init:  # the fine-tuning recipe's drop path unless the caller says otherwise
        return classifier_from_pretrained(cfg.init, id2label, {"drop_path": FINETUNE_DROP_PATH, **cfg.model})
    return VideoTransformer(VideoTransformerConfig(**{**cfg.model, "id2label": id2label, "num_labels": len(labels)}))


def crop_scale(cfg: TrainConfig) -> float:
    """Fine-tuning crops (random resized crop, area 0.7-1: the recipe of docs/videomae-experiments.md); a model
    from scratch trains on whole frames unless asked (the bundled model's recipe)."""
    return cfg.crop_scale if cfg.crop_scale is not None else (FINETUNE_CROP_SCALE if cfg.init else 1.0)


def layer_decay(cfg: TrainConfig) -> float:
    """Fine-tuning a pretrained encoder decays the lr towards its first layers; a model from scratch does not."""
    return cfg.layer_decay if cfg.layer_decay is not None else (0.75 if cfg.init else 1.0)


def train_epoch(cfg: TrainConfig, net, batches, optimizer, scheduler, bar) -> EpochMeter:
    """One pass over the training batches: forward (bf16 autocast if asked), label-smoothed loss, clipped step."""
    meter = EpochMeter()
    for x, y in batches:
        x, y = x.to(cfg.device), y.to(cfg.device)
        with torch.autocast(cfg.device.split(":")[0], dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
            logits = net(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        meter.add(loss.item(), len(y), correct=(logits.argmax(1) == y).sum().item())
        lr = scheduler.get_last_lr()[0]
        bar.set_postfix(loss=f"{meter.loss:.3f}", acc=f"{meter.accuracy:.3f}", lr=f"{lr:.2e}")
        bar.update()
    bar.close()
    return meter


def cache_splits(datasets: dict, workers: int, finished: bool, progress: bool | None):
    """Decode every split once into memory (the training split only while epochs remain)."""
    for k, ds in datasets.items():
        if k != "train" or not finished:
            ds.cache(workers, progress=progress)


def epoch_line(record: dict) -> str:
    val = "; val top1 {val_top1:.3f} top5 {val_top5:.3f}".format(**record) if "val_top1" in record else ""
    return (
        "epoch {epoch}: train loss {train_loss:.3f} top1 {train_top1:.3f}".format(**record)
        + val
        + f" ({record['seconds']:.0f} s)"
    )


def train(cfg: TrainConfig, resume: bool = False, progress: bool | None = None) -> TrainResult:
    run = Run.start(cfg.out, cfg.device)
    splits = load_splits(cfg.data, cfg.val, cfg.test)
    labels = dataset_labels(cfg.data, splits)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, labels)
    symmetries = chosen_symmetries(cfg.data, cfg.symmetries)
    mc = model.config
    model.preprocessor = preprocessor_config(
        mc.image_size, model.preprocessor, window_seconds=cfg.window_seconds, test_views=symmetries
    )
    pre = Preprocessor.from_config(model.preprocessor, mc.image_size)
    datasets = {
        k: ClipDataset(
            v,
            mc.label2id,
            mc.num_frames,
            pre,
            train=k == "train",
            seed=cfg.seed,
            symmetries=symmetries,
            crop_scale=crop_scale(cfg),
        )
        for k, v in splits.items()
    }
    workers = 0 if cfg.cache else cfg.workers
    steps = run.steps_per_epoch(len(datasets["train"]), cfg.batch_size)
    model.to(cfg.device)
    optimizer, scheduler = optimizer_and_schedule(
        model,
        lr=cfg.lr,
        min_lr=cfg.min_lr,
        weight_decay=cfg.weight_decay,
        betas=(0.9, 0.999),
        warmup_epochs=cfg.warmup_epochs,
        steps_per_epoch=steps,
        epochs=cfg.epochs,
        layer_decay=layer_decay(cfg),
    )
    state = {"epoch": 0, "history": [], "best_top1": -1.0, "config": asdict(cfg)}
    if resume:
        restore(run, model, optimizer, scheduler, state, cfg.epochs)
    if cfg.cache:  # decode once into memory; a finished run being re-opened only needs val / test
        cache_splits(
            datasets,
            cfg.workers,
            finished=state["epoch"] >= cfg.epochs,
            progress=(run.main and progress) if progress is not None else None,
        )
    if run.main:
        run.out.mkdir(parents=True, exist_ok=True)
    net = run.wrap(model)
    run.print(
        f"training {mc.scheme} {model.num_params() / 1e6:.2f}M params on {len(datasets['train'])} clips, "
        f"{len(labels)} labels, {cfg.epochs} epochs x {steps} steps, world size {run.world}"
    )

    def eval_loader(split):
        return make_loader(datasets[split], batch_size=cfg.batch_size, shuffle=False, workers=workers, seed=cfg.seed)

    for epoch in range(state["epoch"], cfg.epochs):
        begin_epoch(cfg.seed, epoch, datasets["train"])
        loader = run.train_loader(
            datasets["train"], batch_size=cfg.batch_size, workers=workers, seed=cfg.seed, epoch=epoch
        )
        net.train()
        bar = run.progress_bar(steps, epoch=epoch, epochs=cfg.epochs, progress=progress)
        meter = train_epoch(cfg, net, islice(loader, steps), optimizer, scheduler, bar)
        record = {"epoch": epoch + 1, "train_loss": meter.loss, "train_top1": meter.accuracy, "seconds": meter.seconds}
        if run.main:
            if "val" in datasets:
                v = evaluate(model, eval_loader("val"), len(labels), device=cfg.device, precision=cfg.precision)
                record.update(val_top1=v.top1, val_top5=v.top5, val_loss=v.loss)
            score = record.get("val_top1", record["train_top1"])
            if score > state["best_top1"]:
                state["best_top1"] = score
                save_best(run.out, model)
        run.end_epoch(record, state, model, optimizer, scheduler)
        if run.main:
            save_curves(state["history"], run.out / "curves.png", f"{mc.scheme}, {len(datasets['train'])} clips")
        run.print(epoch_line(record))
    result = TrainResult(state["history"], labels)
    if run.main:
        best = load_model(run.out / "best")
        if "test" in datasets:
            result.test = evaluate(best, eval_loader("test"), len(labels), views=model_views(best))
            run.print(format_confusion(result.test, labels))
    run.finish(result.to_json())
    return result
