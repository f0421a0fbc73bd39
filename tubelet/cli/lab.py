"""`tubelet experiment | bench`: the papers' experiments on tubelet's own data, and the attention benchmark."""

from __future__ import annotations

import json
from pathlib import Path

from ..constants import MAE_TASKS, SCHEMES
from .common import UsageError, progress_choice, resolve_device


def cmd_experiment(args) -> int:
    if args.name.startswith("mae-"):
        return _mae_experiment(args)
    from ..lab.attention_experiment import attention_experiment

    report = attention_experiment(
        out=args.out,
        data=args.data or "data/temporal-order",
        runs=args.runs or "runs/attention",
        clips=args.clips,
        epochs=args.epochs or 15,
        seed=args.seed,
        workers=args.workers,
        schemes=args.scheme or SCHEMES,
        progress=progress_choice(args),
    )
    for x in report["rows"]:
        print(
            f"{x['scheme']:<11} top1 {x['top1']:.3f}  order-dependent {x['order_top1']:.3f}  "
            f"controls {x['control_top1']:.3f}"
        )
    print(f"report: {Path(args.out) / 'attention-experiment' / 'attention-experiment.md'}")
    return 0


def _mae_experiment(args) -> int:
    from ..atomic import atomic_write_text

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.name == "mae-cost":
        from ..lab import mae_cost
        from ..lab.reports import report_dir

        report = mae_cost.cost(ratios=(0.9, 0.75, 0.0), batch=1)
        md = (
            "# VideoMAE: what masking saves\n\n"
            + mae_cost.cost_markdown(report)
            + "\nRegenerate: `tubelet experiment mae-cost`\n"
        )
        folder = report_dir(out, "mae-cost")
        atomic_write_text(folder / "mae-cost.md", md)
        atomic_write_text(folder / "mae-cost.json", json.dumps(report, indent=2) + "\n")
        print(md)
        return 0
    import torch

    from ..lab.mae_experiments import run_experiment
    from ..lab.mae_presets import PRESETS
    from ..lab.mae_report import write_report

    preset = PRESETS[args.preset]
    changes = {
        k: v
        for k, v in (
            ("pretrain_epochs", args.pretrain_epochs),
            ("finetune_epochs", args.epochs),
            ("fraction", args.fraction),
            ("full_label_epochs", args.full_labels),
            ("seeds", tuple(args.seeds) if args.seeds else None),
            ("task", args.task),
            ("pretrain_per_seed", False if args.shared_pretraining else None),
        )
        if v is not None
    }
    preset = preset.replace(**changes)
    preset, variant = _token_variant(preset, args.tubelet_frames, args.patch_size, args.mask_ratio, args.frames)
    if args.threads or preset.threads:
        torch.set_num_threads(args.threads or preset.threads)
    # the fixed-camera testbed keeps its folder names; another task gets its own data, runs and report; another
    # token grid or ratio shares the task's data but gets its own runs and report
    other = ("" if preset.task == "moving-shapes" else f"-{preset.task}") + variant
    data = Path(args.data or f"data/{preset.task}-{preset.name}")
    runs = Path(args.runs or f"runs/mae{other}-{preset.name}")
    maskings = ("tube",) if args.name == "mae-efficiency" else ("tube", "random", "frame")
    report = run_experiment(
        preset,
        data,
        runs,
        maskings=maskings,
        probe=args.name == "mae-efficiency",
        progress=progress_choice(args),
        device=resolve_device(args.device),
    )
    options = (
        ("task", args.task),
        ("frames", args.frames),
        ("tubelet_frames", args.tubelet_frames),
        ("patch_size", args.patch_size),
        ("mask_ratio", args.mask_ratio),
        ("pretrain_epochs", args.pretrain_epochs),
        ("epochs", args.epochs),
        ("fraction", args.fraction),
        ("full_labels", args.full_labels),
    )
    command = " ".join(
        [
            "tubelet experiment",
            args.name,
            "--preset",
            args.preset,
            *[f"--{k.replace('_', '-')} {v}" for k, v in options if v is not None],
            *(["--seeds", *map(str, args.seeds)] if args.seeds else []),
            *(["--shared-pretraining"] if args.shared_pretraining else []),
        ]
    )
    print(write_report(report, args.name + other, out, command))
    return 0


def _token_variant(
    preset, tubelet_frames: int | None, patch_size: int | None, mask_ratio: float | None, clip_frames: int | None = None
):
    """The preset with another token grid (frames sampled from each clip, frames per token, pixels per patch
    side) and / or mask ratio, and the name suffix of its runs and report ("" when none is given)."""
    frames, size = preset.encoder["num_frames"], preset.encoder["image_size"]
    variant, encoder, changes = "", dict(preset.encoder), {}
    if clip_frames is not None:
        # fewer frames spread over the same clip (the centres of equal parts): the same motion, fewer instants
        if not 1 <= clip_frames <= frames:
            raise UsageError(f"--frames must lie between 1 and the testbed's {frames} frames (got {clip_frames})")
        frames = encoder["num_frames"] = clip_frames
        variant += f"-frames{clip_frames}"
    if tubelet_frames is not None:
        if tubelet_frames < 1 or frames % tubelet_frames:
            raise UsageError(f"--tubelet-frames must divide the clip's {frames} frames (got {tubelet_frames})")
        encoder["tubelet_size"] = tubelet_frames
        variant += f"-tubelet{tubelet_frames}"
    elif frames % encoder["tubelet_size"]:
        raise UsageError(
            f"--frames {frames} is not a whole number of the preset's {encoder['tubelet_size']}-frame "
            "tubes: give --tubelet-frames too"
        )
    if patch_size is not None:
        if patch_size < 1 or size % patch_size:
            raise UsageError(f"--patch-size must divide the clip's {size} px (got {patch_size})")
        encoder["patch_size"] = patch_size
        variant += f"-patch{patch_size}"
    if encoder != preset.encoder:
        changes["encoder"] = encoder
    if mask_ratio is not None:
        if not 0 < mask_ratio < 1:
            raise UsageError(f"--mask-ratio must lie strictly between 0 and 1 (got {mask_ratio:g})")
        changes["mask_ratio"] = mask_ratio
        variant += f"-ratio{mask_ratio:g}"
    return preset.replace(**changes), variant


def cmd_bench(args) -> int:
    from ..lab import attention_bench as ab
    from ..lab.measure import hardware

    if min(args.t) < 1 or args.dim % args.heads:
        raise UsageError("--t must be positive and --dim divisible by --heads")
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"output folder {out} does not exist")
    device = resolve_device(args.device)
    rows = ab.run(
        args.t,
        device,
        dim=args.dim,
        heads=args.heads,
        impls=tuple(args.impl or ("explicit", "sdpa")),
        reps=args.reps,
        progress=progress_choice(args),
    )
    md = ab.write_report(rows, hardware(device), out, t_ratio=16 if 16 in args.t else max(args.t))
    print(md)
    return 0


def add_commands(sub):
    x = sub.add_parser("experiment", help="reproduce a paper's experiment on tubelet's own data")
    x.add_argument("name", choices=("attention", "mae-efficiency", "mae-masking", "mae-cost"))
    x.add_argument("--out", default="docs")
    x.add_argument(
        "--data",
        help="dataset (default: data/temporal-order for attention; for mae-*, "
        "data/TASK-PRESET, synthesized on first use)",
    )
    x.add_argument(
        "--runs",
        help="run folders (default: runs/attention; runs/mae-PRESET, shared by mae-efficiency and mae-masking)",
    )
    x.add_argument(
        "--preset",
        choices=("cpu", "gpu", "toy"),
        default="cpu",
        help="mae-*: budget (cpu: about an hour on 2 cores; gpu: about 10 minutes on one GPU; toy: a test)",
    )
    x.add_argument("--clips", type=int, default=2000, help="attention: clips to synthesize")
    x.add_argument("--epochs", type=int, help="training / fine-tuning epochs (default: 15 attention; mae-*: preset)")
    x.add_argument("--pretrain-epochs", type=int, help="mae-*: pretraining epochs (default: preset)")
    x.add_argument("--fraction", type=float, help="mae-*: labelled share of the training clips (default: preset, 0.1)")
    x.add_argument("--seeds", type=int, nargs="+", help="mae-*: seeds (default: preset, 0 1 2)")
    x.add_argument(
        "--task",
        choices=MAE_TASKS,
        help="mae-*: the testbed (default: moving-shapes, a fixed camera; moving-shapes-pan: the camera "
        "drifts; moving-shapes-start-stop / -brief: the mover starts and stops at random frames, "
        "still for 1-4 / 3-5 of its 7 steps); another "
        "task gets data/TASK-PRESET, runs/mae-TASK-PRESET and its own report",
    )
    x.add_argument(
        "--frames",
        type=int,
        metavar="N",
        help="mae-*: frames sampled from each clip, spread over all of it (default: the preset's 8; 4: "
        "every other frame, half the tokens); gets its own runs/ folder and report",
    )
    x.add_argument(
        "--tubelet-frames",
        type=int,
        metavar="T",
        help="mae-*: frames per token (default: the preset's 2; 1: per-frame tokens, twice the tokens); "
        "gets its own runs/ folder and report",
    )
    x.add_argument(
        "--patch-size",
        type=int,
        metavar="P",
        help="mae-*: patch side in px (default: the preset's 8, a 4x4 grid on 32 px; 4: an 8x8 grid, four "
        "times the tokens); gets its own runs/ folder and report",
    )
    x.add_argument(
        "--mask-ratio",
        type=float,
        metavar="R",
        help="mae-*: share of tokens hidden in pretraining (default: the preset's 0.75); gets its own "
        "runs/ folder and report",
    )
    x.add_argument(
        "--full-labels",
        type=int,
        metavar="EPOCHS",
        help="mae-*: also train from scratch on every label for EPOCHS (the testbed check)",
    )
    x.add_argument(
        "--shared-pretraining",
        action="store_true",
        help="mae-*: pretrain once (the first seed) and fine-tune every seed from it: cheaper, but the spread "
        "over seeds then leaves pretraining out (the report says so at its top)",
    )
    x.add_argument("--device", help="mae-*: cpu, cuda ... (default: cuda when available)")
    x.add_argument("--threads", type=int, help="torch CPU threads")
    x.add_argument("--seed", type=int, default=0, help="attention: seed")
    x.add_argument("--workers", type=int, default=2)
    x.add_argument("--scheme", choices=SCHEMES, action="append")
    x.add_argument("-q", "--quiet", action="store_true")
    x.set_defaults(func=cmd_experiment)

    b = sub.add_parser(
        "bench", help="measure: one layer of each attention scheme, time and peak memory per clip length"
    )
    b.add_argument("name", choices=("attention",))
    b.add_argument("--t", type=int, nargs="+", default=[4, 8, 16, 32], help="temporal token groups (h = w = 14)")
    b.add_argument("--impl", choices=("explicit", "sdpa"), action="append", help="attention path (default: both)")
    b.add_argument("--device", help="cpu, cuda ... (default: cuda when available)")
    b.add_argument("--dim", type=int, default=768)
    b.add_argument("--heads", type=int, default=12)
    b.add_argument("--reps", type=int, default=3)
    b.add_argument("--out", default="docs", help="docs folder: the report goes to OUT/attention-bench/")
    b.add_argument("-q", "--quiet", action="store_true")
    b.set_defaults(func=cmd_bench)
