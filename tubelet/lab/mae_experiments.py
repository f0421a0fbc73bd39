"""`tubelet experiment mae-efficiency | mae-masking`: VideoMAE's claims, measured on tubelet's own data.

    mae-efficiency   (VideoMAE Table 2 in miniature) pretrain on every training clip without labels, fine-tune
                     on a labelled tenth; the same architecture trained from scratch on the same labels, recipe
                     and budget is the baseline; every seed draws its own labelled subset; a kNN probe on frozen
                     features; optionally the testbed check (scratch on every label)
                     and the overfitting check (scratch with no regularization on the labelled tenth)
    mae-masking      (Table 1b) tube vs random vs frame masking, same ratio and budget, fine-tuned accuracy

Both run on `moving-shapes` clips (synthesized on first use) with a preset budget (mae_presets.py). Every run
has its own folder under `runs` and resumes from it after an interruption; the two experiments share the
scratch, tube-pretraining and tube-fine-tuning runs instead of training them twice.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import statistics
from pathlib import Path

import torch

from ..atomic import atomic_write_text
from ..checkpoints.convert import load_model
from ..modeling.model import VideoTransformer
from ..modeling.videomae import videomae_encoder_config
from ..synth import synthesize
from ..synth.shapes import label_parts
from ..training.data import dataset_labels, load_splits
from ..training.evaluate import evaluate_model
from ..training.finetune import classifier_from_pretrained
from ..training.pretrain import PretrainConfig, pretrain
from ..training.supervised import TrainConfig, train
from ..video.symmetry import dataset_meta, dataset_symmetries
from .mae_presets import Preset
from .probe import knn_probe


def prepare_data(data: Path, preset: Preset, progress=None) -> Path:
    """The preset's testbed at its size, made once (an existing dataset folder is used as is)."""
    if not (data / "train.csv").exists():
        synthesize(preset.task, data, preset.clips, seed=0, progress=progress)
    return data


def labelled_fraction(data: Path, fraction: float, seed: int, out: Path, split: str = "train") -> Path:
    """A manifest keeping `fraction` of each label's clips of `split` (at least one per label), with the
    dataset's dataset.json beside it (label order and symmetries)."""
    rows = load_splits(data)[split]
    by_label: dict[str, list] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    rng = random.Random(seed)
    keep = [
        r
        for label in sorted(by_label)
        for r in rng.sample(by_label[label], max(1, round(fraction * len(by_label[label]))))
    ]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "label"])
    w.writerows([str(r.path), r.label] for r in keep)
    if dataset_meta(data).exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dataset_meta(data), dataset_meta(out))
    return atomic_write_text(out, buf.getvalue())


def _seconds(history: list[dict]) -> float:
    """Time spent in training steps, summed over epochs (a resumed or re-opened run reports its real cost)."""
    return float(sum(h["seconds"] for h in history))


def pretrain_run(
    preset: Preset, data: Path, out: Path, masking: str, seed: int, progress=None, device: str = "cpu"
) -> dict:
    enc = preset.encoder
    cfg = PretrainConfig(
        data=str(data),
        out=str(out),
        model=dict(enc),
        decoder_dim=preset.decoder_dim,
        decoder_depth=preset.decoder_depth,
        decoder_heads=max(1, enc["heads"] // 2),
        masking=masking,
        mask_ratio=preset.mask_ratio,
        norm_pix_loss=preset.norm_pix_loss,
        epochs=preset.pretrain_epochs,
        batch_size=preset.pretrain_batch,
        base_lr=preset.pretrain_base_lr,
        cache=True,
        seed=seed,
        picture_every=0,
        device=device,
    )
    result = pretrain(cfg, resume=True, progress=progress)
    seconds = _seconds(result.history)
    return {
        "masking": masking,
        "seed": seed,
        "checkpoint": str(out / "checkpoint"),
        "history": result.history,
        "loss": result.final_loss,
        "seconds": seconds,
        "clips_per_second": result.steps * preset.pretrain_batch / max(seconds, 1e-9),
        "picture": str(max((out / "reconstructions").glob("step_*.png"))),
    }


def classifier_fields(preset: Preset, drop_path: float | None = None) -> dict:
    """The classifier both arms train: the VideoMAE encoder's architecture exactly, with drop path."""
    fields = videomae_encoder_config(
        **preset.encoder, drop_path=preset.drop_path if drop_path is None else drop_path
    ).to_dict()
    for k in ("num_labels", "id2label"):
        fields.pop(k)
    return fields


def validation_subset(data: Path, preset: Preset, runs: Path) -> Path:
    """The clips that pick each run's best epoch: a balanced share of the validation split (scoring all of it
    every epoch would cost a third of a fine-tuning run on a CPU)."""
    n = len(load_splits(data)["val"])
    return labelled_fraction(data, min(1.0, preset.val_clips / n), 0, runs / "val_subset.csv", split="val")


def finetune_run(
    preset: Preset,
    data: Path,
    labelled: Path,
    out: Path,
    init: str | None,
    seed: int,
    progress=None,
    device: str = "cpu",
    epochs: int | None = None,
    val: Path | None = None,
    regularized: bool = True,
) -> dict:
    """One fine-tuning (init: a pretrained checkpoint) or scratch run; `regularized=False` drops every
    regularizer of the recipe (crops, flips, drop path, label smoothing): the overfitting check."""
    reg = (
        dict(
            crop_scale=preset.crop_scale,
            label_smoothing=preset.label_smoothing,
            symmetries="all" if dataset_symmetries(data) else "",
        )
        if regularized
        else dict(crop_scale=1.0, label_smoothing=0.0, symmetries="")
    )
    cfg = TrainConfig(
        data=str(labelled),
        val=str(val or data / "val.csv"),
        test=str(data / "test.csv"),
        out=str(out),
        model=classifier_fields(preset, None if regularized else 0.0),
        init=init,
        epochs=epochs or preset.finetune_epochs,
        batch_size=preset.finetune_batch,
        lr=preset.finetune_lr,
        warmup_epochs=2.0,
        layer_decay=preset.layer_decay if init else 1.0,
        cache=True,
        seed=seed,
        device=device,
        **reg,
    )
    result = train(cfg, resume=True, progress=progress)
    last = result.history[-1]
    # the scored model (best validation epoch) on its own training clips, as decoded, no augmentation: how far
    # it fits them (the last epoch's train_top1 is measured on augmented clips with the lr still moving)
    seen = evaluate_model(load_model(out / "best"), str(labelled), batch_size=preset.finetune_batch)
    return {
        "top1": result.test.top1,
        "top5": result.test.top5,
        "train_top1": last["train_top1"],
        "train_clean_top1": seen.top1,
        "seconds": _seconds(result.history),
        "history": result.history,
        "clips": seen.clips,
        **_factors(result),
    }


def _factors(result: dict) -> dict:
    factors = factor_accuracy(result.test.confusion, result.labels)
    return {"factors": factors} if factors else {}


def factor_accuracy(confusion: list[list[int]], labels: list[str]) -> dict[str, float] | None:
    """From a moving-shapes confusion matrix: the share of clips whose shape was named right (whatever the
    motion), and whose motion was (whatever the shape). Which half a model gets wrong says what its features
    lack. None for labels that are not shape_motion."""
    try:
        parts = [label_parts(x) for x in labels]
    except ValueError:
        return None
    total = sum(map(sum, confusion))
    right = {"shape": 0, "motion": 0}
    for (shape, motion), row in zip(parts, confusion, strict=True):
        for (s2, m2), n in zip(parts, row, strict=True):
            right["shape"] += n * (shape == s2)
            right["motion"] += n * (motion == m2)
    return {k: v / max(1, total) for k, v in right.items()}


def probe_run(
    preset: Preset, data: Path, labelled: Path, checkpoint: str | None, seed: int, device: str = "cpu"
) -> float:
    """kNN top-1 of the frozen encoder: pretrained weights, or (checkpoint None) random ones."""
    if checkpoint:
        encoder = classifier_from_pretrained(checkpoint, {})
    else:
        torch.manual_seed(seed)
        encoder = VideoTransformer(videomae_encoder_config(**preset.encoder))
    splits = load_splits(labelled, test=str(data / "test.csv"))
    return knn_probe(
        encoder, splits["train"], splits["test"], dataset_labels(str(data), load_splits(data)), device=device
    )


def mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample std; the std is None for one value (one seed has no spread to report)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def run_experiment(
    preset: Preset, data: Path, runs: Path, maskings=("tube",), probe: bool = True, progress=None, device: str = "cpu"
) -> dict:
    """Every seed: a labelled subset, scratch on it, and per masking a pretraining (one per seed, or seed 0's
    for every seed) fine-tuned on it; the kNN probe of the tube encoder; the full-label check if asked."""
    data, runs = prepare_data(Path(data), preset, progress), Path(runs)
    common = dict(progress=progress, device=device)
    val = validation_subset(data, preset, runs)
    pretrained: dict[tuple[str, int], dict] = {}
    seeds = []
    for seed in preset.seeds:
        subset = runs / f"seed{seed}" / f"train_{preset.fraction:g}.csv"
        labelled = labelled_fraction(data, preset.fraction, seed, subset)
        row = {
            "seed": seed,
            "scratch": finetune_run(
                preset, data, labelled, runs / f"seed{seed}" / "scratch", None, seed, val=val, **common
            ),
        }
        for masking in maskings:
            pseed = seed if preset.pretrain_per_seed else preset.seeds[0]
            if (masking, pseed) not in pretrained:
                pretrained[masking, pseed] = pretrain_run(
                    preset, data, runs / f"pretrain-{masking}-seed{pseed}", masking, pseed, **common
                )
            pre = pretrained[masking, pseed]
            row[masking] = finetune_run(
                preset,
                data,
                labelled,
                runs / f"seed{seed}" / f"finetune-{masking}",
                pre["checkpoint"],
                seed,
                val=val,
                **common,
            )
        if probe:
            row["probe"] = {
                "random": probe_run(preset, data, labelled, None, seed, device),
                **{
                    m: probe_run(preset, data, labelled, pretrained[m, pseed]["checkpoint"], seed, device)
                    for m in maskings
                },
            }
        seeds.append(row)
    report = {
        "preset": preset.name,
        "task": preset.task,
        "data": str(data),
        "runs": str(runs),
        "encoder": preset.encoder,
        "recipe": {k: v for k, v in vars(preset).items() if k not in ("name", "encoder", "task")},
        "labels": len(dataset_labels(str(data), load_splits(data))),
        "maskings": list(maskings),
        "seeds": seeds,
        "pretraining": [dict(v) for v in pretrained.values()],
    }
    if preset.full_label_epochs:  # the testbed checks: learnable from every label, memorized from a tenth
        report["full_labels"] = finetune_run(
            preset,
            data,
            data / "train.csv",
            runs / "scratch-all-labels",
            None,
            preset.seeds[0],
            epochs=preset.full_label_epochs,
            val=val,
            **common,
        )
        first = runs / f"seed{preset.seeds[0]}"
        report["overfit"] = finetune_run(
            preset,
            data,
            first / f"train_{preset.fraction:g}.csv",
            first / "scratch-unregularized",
            None,
            preset.seeds[0],
            val=val,
            regularized=False,
            **common,
        )
    report["summary"] = summarize(report)
    return report


def summarize(report: dict) -> dict:
    """Mean and std over seeds of each arm's test top-1, and of the gain over scratch."""
    out = {}
    for arm in ["scratch", *report["maskings"]]:
        top1 = [r[arm]["top1"] for r in report["seeds"]]
        out[arm] = {
            "top1": mean_std(top1),
            **{k: mean_std([r[arm][k] for r in report["seeds"]]) for k in ("train_top1", "train_clean_top1")},
        }
        if all("factors" in r[arm] for r in report["seeds"]):
            out[arm]["factors"] = {
                k: mean_std([r[arm]["factors"][k] for r in report["seeds"]]) for k in ("shape", "motion")
            }
        if arm != "scratch":
            out[arm]["gain"] = mean_std([r[arm]["top1"] - r["scratch"]["top1"] for r in report["seeds"]])
    if report["seeds"] and "probe" in report["seeds"][0]:
        out["probe"] = {k: mean_std([r["probe"][k] for r in report["seeds"]]) for k in report["seeds"][0]["probe"]}
    return out
