"""`tubelet experiment mae-*`: VideoMAE's claims, measured on tubelet's own data.

    mae-efficiency   (VideoMAE Table 2 in miniature) pretrain on every training clip without labels, fine-tune
                     on a small labelled fraction; the same classifier trained from scratch on the same labels
                     and step budget is the baseline
    mae-masking      (Table 1b) tube vs random vs frame masking at 90%, same budget, fine-tuned accuracy
    mae-cost         one pretraining step (forward + backward) at mask ratio 0.9, 0.75 and 0 (the encoder over
                     every token), timed and its peak memory measured in the same run
"""
from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import torch

from ..atomic import atomic_write_text
from ..modeling.masking import make_mask
from ..training.data import load_splits
from ..training.pretrain import PretrainConfig, build_videomae, pretrain
from ..training.supervised import TrainConfig, train
from .measure import hardware, median_seconds, peak_bytes

# a VideoMAE encoder small enough for a laptop: 8 frames of 64 px in 2x8x8 tubes -> 4 x 8 x 8 = 256 tokens
ENCODER = dict(num_frames=8, image_size=64, patch_size=8, tubelet_size=2, dim=128, depth=4, heads=4)


def labelled_fraction(data: Path, fraction: float, seed: int, out: Path) -> Path:
    """A train manifest keeping `fraction` of each label's training clips (at least one per label)."""
    rows = load_splits(data)["train"]
    by_label: dict[str, list] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    rng = random.Random(seed)
    keep = [r for label in sorted(by_label)
            for r in rng.sample(by_label[label], max(1, round(fraction * len(by_label[label]))))]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "label"])
    w.writerows([str(r.path), r.label] for r in keep)
    return atomic_write_text(out, buf.getvalue())


def _finetune(*, data: Path, labelled: Path, out: Path, init: str | None, epochs: int, seed: int, progress,
              encoder: dict) -> dict:
    cfg = TrainConfig(data=str(labelled), val=str(data / "val.csv"), test=str(data / "test.csv"), out=str(out),
                      model={**encoder, "pos_embed": "sincos", "class_token": False, "pooling": "mean",
                             "key_bias": False},
                      init=init, epochs=epochs, batch_size=16, lr=1e-3, warmup_epochs=1.0, label_smoothing=0.0,
                      cache=True, seed=seed)
    result = train(cfg, resume=True, progress=progress)
    return {"top1": result["test"]["top1"], "top5": result["test"]["top5"], "seconds": _train_seconds(result)}


def _pretrain(*, data: Path, out: Path, masking: str, epochs: int, seed: int, progress, encoder: dict) -> dict:
    cfg = PretrainConfig(data=str(data), out=str(out), model=dict(encoder), decoder_dim=encoder["dim"] // 2,
                         decoder_depth=2, decoder_heads=max(1, encoder["heads"] // 2),
                         masking=masking, mask_ratio=0.9, epochs=epochs, batch_size=32, lr=1.5e-3, cache=True,
                         seed=seed, picture_every=0)
    result = pretrain(cfg, resume=True, progress=progress)
    return {"loss": result["history"][-1]["loss"], "seconds": _train_seconds(result),
            "checkpoint": str(out / "checkpoint")}


def _train_seconds(result: dict) -> int:
    """Time spent in training steps, summed over epochs (so a resumed or re-opened run reports its real cost)."""
    return round(sum(h["seconds"] for h in result["history"]))


def efficiency(data, runs, *, fraction=0.1, pretrain_epochs=10, finetune_epochs=30, seed=0, maskings=("tube",),
               progress=None, encoder: dict | None = None) -> dict:
    """Scratch vs pretrained (one row per masking) on the same labelled fraction, budget and seed.

    Every run resumes from its folder under `runs`, so an interrupted experiment continues where it stopped and
    mae-efficiency re-uses the scratch and tube runs of mae-masking (the config check in `restore` refuses a
    folder that was trained with another recipe)."""
    data, runs, encoder = Path(data), Path(runs), encoder or ENCODER
    labelled = labelled_fraction(data, fraction, seed, runs / f"train_{fraction:g}.csv")
    n = sum(1 for _ in open(labelled)) - 1
    common = dict(data=data, epochs=finetune_epochs, seed=seed, progress=progress, encoder=encoder)
    rows = [{"init": "scratch", **_finetune(labelled=labelled, out=runs / "scratch", init=None, **common)}]
    for masking in maskings:
        pre = _pretrain(data=data, out=runs / f"pretrain-{masking}", masking=masking, epochs=pretrain_epochs, seed=seed,
                        progress=progress, encoder=encoder)
        ft = _finetune(labelled=labelled, out=runs / f"finetune-{masking}", init=pre["checkpoint"], **common)
        rows.append({"init": f"VideoMAE, {masking} masking 90%", "pretrain_loss": pre["loss"],
                     "pretrain_seconds": pre["seconds"], **ft})
    return {"data": str(data), "labelled_clips": n, "fraction": fraction, "pretrain_epochs": pretrain_epochs,
            "finetune_epochs": finetune_epochs, "seed": seed, "encoder": encoder, "rows": rows}


VIT_B = dict(num_frames=16, image_size=224, patch_size=16, tubelet_size=2, dim=768, depth=12, heads=12)


def _step_setup(enc: dict, ratio: float, batch: int):
    """(model, mask, one training step, encoder-only forward) at this mask ratio."""
    torch.manual_seed(0)
    model = build_videomae(PretrainConfig(data="", out="", model=enc))
    grid, n = model.config.encoder.grid, model.config.encoder.num_patches
    video = torch.randn(batch, 3, enc["num_frames"], enc["image_size"], enc["image_size"])
    # ratio 0: a mask hiding nothing is not a VideoMAE input; the encoder runs over every token and the
    # decoder predicts every tube (the cost of pretraining without masking)
    mask = make_mask("tube", batch, grid, ratio, torch.Generator().manual_seed(0)) if ratio > 0 else \
        torch.zeros(batch, n, dtype=torch.bool)

    def step():
        model.zero_grad(set_to_none=True)
        if ratio > 0:
            loss, _ = model(video, mask)
        else:
            visible = model.forward_encoder(video, None)
            pred = model.forward_decoder(visible, mask, predict_all=True)
            loss = torch.nn.functional.mse_loss(pred, model.targets(video))
        loss.backward()

    def encoder_only():
        with torch.no_grad():
            model.forward_encoder(video, mask if ratio > 0 else None)
    return model, mask, step, encoder_only


def _fresh_process_peak(enc: dict, ratio: float, batch: int, queue) -> None:
    """Peak extra memory of one step (weights' gradients + activations) in a process of its own: in a process
    that already ran other steps the allocator hands back memory it kept, and the peak reads low."""
    torch.set_num_threads(1)
    _, _, step, _ = _step_setup(enc, ratio, batch)
    queue.put(peak_bytes(step) or 0)


def step_peak_bytes(enc: dict, ratio: float, batch: int) -> int:
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_fresh_process_peak, args=(enc, ratio, batch, queue))
    proc.start()
    peak = queue.get(timeout=1800)
    proc.join()
    return peak


def cost(encoder: dict | None = None, ratios=(0.9, 0.75, 0.0), batch: int = 1, reps: int = 2) -> dict:
    """Pretraining step time and peak memory per mask ratio, and the encoder's attention pairs."""
    enc = encoder or VIT_B
    rows = []
    for ratio in ratios:
        model, mask, step, encoder_only = _step_setup(enc, ratio, batch)
        visible, n = int((~mask[0]).sum()), mask.shape[1]
        rows.append({"mask_ratio": ratio, "visible_tokens": visible, "tokens": n,
                     "encoder_pairs": visible ** 2 * enc["depth"],
                     "step_seconds": median_seconds(step, warmup=1, reps=reps),
                     "encoder_forward_seconds": median_seconds(encoder_only, warmup=1, reps=reps),
                     "step_peak_mib": step_peak_bytes(enc, ratio, batch) / 2 ** 20})
        del model
    base = rows[-1]
    for r in rows:
        r["pairs_vs_unmasked"] = r["encoder_pairs"] / base["encoder_pairs"]
        r["step_time_vs_unmasked"] = r["step_seconds"] / base["step_seconds"]
        r["encoder_time_vs_unmasked"] = r["encoder_forward_seconds"] / base["encoder_forward_seconds"]
    return {"encoder": enc, "batch": batch, "hardware": hardware(), "rows": rows}


def cost_markdown(r: dict) -> str:
    e = r["encoder"]
    tube = f"{e['tubelet_size']}x{e['patch_size']}x{e['patch_size']}"
    lines = [f"VideoMAE pretraining step, encoder {e['num_frames']}x{e['image_size']} px, {tube} tubes, "
             f"width {e['dim']}, depth {e['depth']} (decoder: 4 blocks, half width), batch {r['batch']}, fp32, "
             f"tube masking. Measured on {r['hardware']}.", "",
             "| mask ratio | visible tokens | encoder attention pairs vs no masking | encoder forward s (ratio) | "
             "train step s (ratio) | step peak memory MiB |", "|---|---|---|---|---|---|"]
    for x in r["rows"]:
        lines.append(f"| {x['mask_ratio']:.2f} | {x['visible_tokens']:,} / {x['tokens']:,} | "
                     f"{x['pairs_vs_unmasked']:.4f} | "
                     f"{x['encoder_forward_seconds']:.2f} ({x['encoder_time_vs_unmasked']:.3f}) | "
                     f"{x['step_seconds']:.2f} ({x['step_time_vs_unmasked']:.3f}) | {x['step_peak_mib']:,.0f} |")
    return "\n".join(lines) + "\n"


def efficiency_markdown(r: dict, title: str) -> str:
    lines = [f"## {title}", "",
             f"Data: `{r['data']}`; {r['labelled_clips']} labelled training clips ({r['fraction']:.0%} of the "
             f"training split, balanced per label); pretraining uses every training clip without labels "
             f"({r['pretrain_epochs']} epochs); fine-tuning and scratch runs get the same {r['finetune_epochs']} "
             "epochs, "
             f"batch, schedule and seed. Encoder: {json.dumps(r['encoder'])}, joint attention, sinusoidal positions, "
             "mean pooling. Accuracy on the dataset's test split.", "",
             "| start | test top-1 | test top-5 | pretrain loss | pretrain time | fine-tune time |",
             "|---|---|---|---|---|---|"]
    for x in r["rows"]:
        pl = f"{x['pretrain_loss']:.4f}" if "pretrain_loss" in x else "-"
        pt = f"{x['pretrain_seconds'] / 60:.1f} min" if "pretrain_seconds" in x else "-"
        lines.append(f"| {x['init']} | {x['top1']:.1%} | {x['top5']:.1%} | {pl} | {pt} | {x['seconds'] / 60:.1f} min |")
    return "\n".join(lines) + "\n"
