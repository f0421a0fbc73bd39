"""The VideoMAE experiments' report: markdown tables, loss / accuracy curves and the reconstruction picture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..atomic import atomic_write

TITLES = {
    "mae-efficiency": "Data efficiency: pretrain without labels, fine-tune on a tenth of them",
    "mae-masking": "Masking: tube vs random vs frame at the same ratio and budget",
}

CAMERAS = {
    "moving-shapes": "moving shapes, fixed camera",
    "moving-shapes-pan": "moving shapes, the camera drifting 3-8 px per clip",
    "moving-shapes-start-stop": "moving shapes, fixed camera, the mover starting and stopping at random frames "
    "(still for 1-4 of 7 frame steps)",
    "moving-shapes-brief": "moving shapes, fixed camera, the mover moving briefly (still for 3-5 of 7 frame steps)",
}


def _pm(ms, pct: bool = True) -> str:
    mean, std = ms
    text = f"{mean:.1%}" if pct else f"{mean:+.1%}"
    return text if std is None else f"{text} ± {std:.1%}"  # one seed: no spread to show


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def setup_lines(r: dict) -> list[str]:
    rec, e, s0 = r["recipe"], r["encoder"], r["seeds"][0]
    n_pre = (
        "one pretraining per seed"
        if rec["pretrain_per_seed"]
        else f"one pretraining (seed {r['seeds'][0]['seed']}) shared by every seed"
    )
    tube = f"{e['tubelet_size']}x{e['patch_size']}x{e['patch_size']}"
    return [
        f"Preset `{r['preset']}`. Data `{r['data']}` ({CAMERAS.get(r.get('task', 'moving-shapes'), r.get('task'))}): "
        f"{r['labels']} classes (chance {1 / r['labels']:.1%}); "
        f"{s0['scratch']['clips']} labelled training clips per seed ({rec['fraction']:.0%}, balanced per label, "
        "a different subset for each seed); the test split is scored with the model of the epoch that did best on "
        f"{rec['val_clips']} validation clips.",
        f"- Encoder (both arms): {e['num_frames']} frames x {e['image_size']} px, {tube} tubes, width {e['dim']}, "
        f"depth {e['depth']}, {e['heads']} heads, joint attention, sinusoidal positions, mean pooling.",
        f"- Pretraining: {n_pre}; every training clip, labels unused; {rec['pretrain_epochs']} epochs, batch "
        f"{rec['pretrain_batch']}, lr {rec['pretrain_base_lr']:g} x batch/256, AdamW (0.9, 0.95), warmup + cosine, "
        f"weight decay 0.05; mask ratio {rec['mask_ratio']:g}; decoder width {rec['decoder_dim']}, "
        f"{rec['decoder_depth']} blocks; {'normalized' if rec['norm_pix_loss'] else 'raw'}-pixel loss; mirrored clips.",
        f"- Fine-tuning and scratch (same recipe, same epochs): {rec['finetune_epochs']} epochs, batch "
        f"{rec['finetune_batch']}, lr {rec['finetune_lr']:g}, warmup 2 epochs + cosine, label smoothing "
        f"{rec['label_smoothing']:g}, drop path {rec['drop_path']:g}, random resized crop (area "
        f"{rec['crop_scale']:g}-1), the dataset's label symmetries as flips; layer decay {rec['layer_decay']:g} when "
        "fine-tuning a pretrained encoder (none from scratch).",
    ]


def _arm_name(arm: str) -> str:
    return "scratch" if arm == "scratch" else f"VideoMAE, {arm} masking"


def factor_lines(r: dict) -> list[str]:
    """Which half of a shape_motion label each arm names right (read off the test confusion matrices)."""
    s, arms = r["summary"], ["scratch", *r["maskings"]]
    if not all("factors" in s[a] for a in arms):
        return []
    lines = [
        "",
        "Which half of the label the test clips get right (a clip counts for its shape if the predicted "
        "label has the right shape, whatever its motion, and the other way round; chance 33.3% and 16.7%):",
        "",
        "| start | shape right | motion right |",
        "|---|---|---|",
    ]
    for arm in arms:
        f = s[arm]["factors"]
        lines.append(f"| {_arm_name(arm)} | {_pm(f['shape'])} | {_pm(f['motion'])} |")
    return lines


def efficiency_markdown(r: dict, name: str) -> str:
    s = r["summary"]
    title = TITLES["mae-efficiency" if name.startswith("mae-efficiency") else "mae-masking"]
    lines = [
        f"## {title}",
        "",
        *setup_lines(r),
        "",
        "| start | test top-1 (mean ± std over seeds) | gain over scratch | train top-1, scored model on its "
        "training clips | train top-1, last epoch (augmented) | per seed |",
        "|---|---|---|---|---|---|",
    ]
    for arm in ["scratch", *r["maskings"]]:
        label = _arm_name(arm)
        per_seed = ", ".join(f"{x[arm]['top1']:.1%}" for x in r["seeds"])
        gain = _pm(s[arm]["gain"], pct=False) if "gain" in s[arm] else "-"
        lines.append(
            f"| {label} | {_pm(s[arm]['top1'])} | {gain} | {_pm(s[arm]['train_clean_top1'])} | "
            f"{_pm(s[arm]['train_top1'])} | {per_seed} |"
        )
    lines += factor_lines(r)
    if "probe" in s:
        lines += [
            "",
            "Frozen features, kNN (k = 10, cosine) from the labelled clips to the test clips:",
            "",
            "| encoder | kNN top-1 (mean ± std) |",
            "|---|---|",
        ]
        for k, v in s["probe"].items():
            lines.append(f"| {'random weights' if k == 'random' else f'pretrained, {k} masking'} | {_pm(v)} |")
    lines += ["", "| pretraining | final loss | time | clips / s |", "|---|---|---|---|"]
    for p in r["pretraining"]:
        lines.append(
            f"| {p['masking']} masking, seed {p['seed']} | {p['loss']:.4f} | {_minutes(p['seconds'])} | "
            f"{p['clips_per_second']:.0f} |"
        )
    ft = [x[a]["seconds"] for x in r["seeds"] for a in ["scratch", *r["maskings"]]]
    lines += ["", f"Fine-tuning / scratch runs: {len(ft)}, {_minutes(sum(ft) / len(ft))} each on average."]
    if "full_labels" in r:
        f, o = r["full_labels"], r["overfit"]
        lines += [
            "",
            f"Testbed check, scratch on every label ({f['clips']} clips, {len(f['history'])} epochs, "
            f"{_minutes(f['seconds'])}): test top-1 **{f['top1']:.1%}** (training clips "
            f"{f['train_clean_top1']:.1%}).",
            "",
            f"Testbed check, overfitting: scratch on seed {r['seeds'][0]['seed']}'s {o['clips']} labelled "
            f"clips with no crops, flips, drop path or label smoothing ({len(o['history'])} epochs): "
            f"training clips **{o['train_clean_top1']:.1%}**, test **{o['top1']:.1%}**.",
        ]
    return "\n".join(lines) + "\n"


def curves_png(r: dict, path: Path) -> Path:
    """Left: pretraining loss per epoch; right: validation top-1 per epoch, scratch vs fine-tuned, every seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for p in r["pretraining"]:
        a.plot(
            [h["epoch"] for h in p["history"]],
            [h["loss"] for h in p["history"]],
            label=f"{p['masking']}, seed {p['seed']}",
        )
    a.set(xlabel="pretraining epoch", ylabel="loss on hidden tubes (log scale)", title="pretraining", yscale="log")
    a.legend()
    colours = dict(
        zip(["scratch", "tube", "random", "frame"], ["tab:gray", "tab:blue", "tab:orange", "tab:green"], strict=True)
    )
    for arm in ["scratch", *r["maskings"]]:
        for i, x in enumerate(r["seeds"]):
            h = x[arm]["history"]
            b.plot(
                [e["epoch"] for e in h],
                [e.get("val_top1", 0) for e in h],
                color=colours.get(arm),
                alpha=0.8,
                label=("scratch" if arm == "scratch" else f"pretrained ({arm})") if i == 0 else None,
            )
    b.axhline(1 / r["labels"], color="k", lw=0.8, ls=":", label="chance")
    b.set(xlabel="fine-tuning epoch", ylabel="validation top-1", title=f"{x['scratch']['clips']} labelled clips")
    b.legend()
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=90, format="png"))
    plt.close(fig)
    return path


def write_report(r: dict, name: str, out: Path, command: str) -> str:
    """out/<name>/: <name>.md, .json, -curves.png and -reconstruction.png (the tube pretraining's last picture)."""
    from ..atomic import atomic_write_text
    from .reports import report_dir

    out = report_dir(out, name)
    curves = curves_png(r, out / f"{name}-curves.png")
    pictures = [p for p in r["pretraining"] if p["masking"] == "tube"] or r["pretraining"]
    picture = out / f"{name}-reconstruction.png"
    atomic_write(picture, lambda p: shutil.copyfile(pictures[0]["picture"], p))
    shared = (
        ""
        if r["recipe"]["pretrain_per_seed"]
        else "**Shared pretraining**: one pretraining (the first seed's) serves every seed, so the spread below "
        "is the spread of fine-tuning only, not of pretraining.\n\n"
    )
    md = (
        f"# VideoMAE on tubelet's data: {name}\n\n"
        + shared
        + efficiency_markdown(r, name)
        + f"\n![curves]({curves.name})\n\n"
        + f"![reconstruction: original / masked input / reconstruction]({picture.name})\n"
        + f"\nRegenerate: `{command}`\n"
    )
    atomic_write_text(out / f"{name}.md", md)
    atomic_write_text(out / f"{name}.json", json.dumps(r, indent=2) + "\n")
    return md
