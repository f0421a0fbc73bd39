"""`tubelet synth | train | pretrain | eval`: make data, train a classifier, pretrain VideoMAE, score a model."""

from __future__ import annotations

import json
from pathlib import Path

from ..constants import MASKINGS, POOLINGS, POS_EMBEDS, SCHEMES, STEMS, SYNTH_TASKS
from .common import default_model, progress_choice, resolve_device


def cmd_synth(args) -> int:
    if args.task == "captions":  # captioned clips for video-language training: no labels, captions
        from ..synth.caption_set import synthesize_captions

        info = synthesize_captions(
            args.out_dir, args.clips, seed=args.seed, workers=args.workers, progress=False if args.quiet else None
        )
        print(
            f"{info['clips']} captioned clips in {args.out_dir}: "
            + ", ".join(f"{k} {v}" for k, v in info["splits"].items())
            + f"; {info['held_out_test_clips']} test clips show combinations training never sees"
        )
        return 0
    from ..synth import synthesize

    info = synthesize(
        args.task,
        args.out_dir,
        args.clips,
        seed=args.seed,
        workers=args.workers,
        progress=False if args.quiet else None,
        scenes_from=args.scenes_from,
    )
    print(
        f"{info['clips']} {info['task']} clips in {args.out_dir}: "
        + ", ".join(f"{k} {v}" for k, v in info["splits"].items())
        + f"; labels: {', '.join(info['labels'])}"
    )
    return 0


MODEL_OPTIONS = {
    "scheme": str,
    "frames": int,
    "size": int,
    "patch": int,
    "tubelet": int,
    "dim": int,
    "depth": int,
    "heads": int,
    "mlp_ratio": float,
    "temporal_depth": int,
    "pos_embed": str,
    "pooling": str,
    "drop_path": float,
    "dropout": float,
    "stem": str,
}
MODEL_FIELDS = {"frames": "num_frames", "size": "image_size", "patch": "patch_size", "tubelet": "tubelet_size"}


def model_overrides(args) -> dict:
    d = {MODEL_FIELDS.get(k, k): getattr(args, k) for k in MODEL_OPTIONS if getattr(args, k) is not None}
    if args.no_cls:
        d.update(class_token=False, pooling=d.get("pooling", "mean"))
    return d


def add_loop_options(p):
    """What a training run takes besides its recipe: data loading, threads, seed, device, resume, progress."""
    p.add_argument("--workers", type=int, default=2, help="data-loading processes")
    p.add_argument("--cache", action="store_true", help="decode every clip once into memory (fast epochs, no jitter)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--window", type=float, help="seconds: stored with the model as the window `tag` uses by default")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--progress", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")


def add_model_options(p):
    g = p.add_argument_group("model (ignored with --init, which keeps the pretrained architecture)")
    for name, kind in MODEL_OPTIONS.items():
        choices = {"scheme": SCHEMES, "pos_embed": POS_EMBEDS, "pooling": POOLINGS, "stem": STEMS}.get(name)
        g.add_argument("--" + name.replace("_", "-"), type=kind, choices=choices)
    g.add_argument("--no-cls", action="store_true", help="no class token (mean pooling)")


def cmd_train(args) -> int:
    from ..training.supervised import TrainConfig, train

    cfg = TrainConfig(
        data=args.data,
        out=args.out,
        val=args.val,
        test=args.test,
        model=model_overrides(args),
        init=args.init,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs,
        label_smoothing=args.label_smoothing,
        layer_decay=args.layer_decay,
        crop_scale=args.crop_scale,
        precision=args.precision,
        workers=args.workers,
        cache=args.cache,
        symmetries=args.symmetries,
        seed=args.seed,
        window_seconds=args.window,
        device=resolve_device(args.device),
    )
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    result = train(cfg, resume=args.resume, progress=progress_choice(args))
    if result.test is not None:
        print(f"test top1 {result.test.top1:.4f} top5 {result.test.top5:.4f}; model in {Path(args.out) / 'best'}")
    return 0


def cmd_pretrain(args) -> int:
    from ..training.pretrain import PretrainConfig, pretrain

    model = model_overrides(args)
    if model.get("scheme", "joint") != "joint" or model.get("class_token"):
        raise ValueError("the VideoMAE encoder uses joint attention without a class token")
    model.pop("scheme", None)
    model.pop("pooling", None)
    cfg = PretrainConfig(
        data=args.data,
        out=args.out,
        model=model,
        decoder_dim=args.decoder_dim,
        decoder_depth=args.decoder_depth,
        decoder_heads=args.decoder_heads,
        masking=args.masking,
        mask_ratio=args.mask_ratio,
        norm_pix_loss=args.norm_pix_loss,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        base_lr=args.base_lr,
        weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs,
        workers=args.workers,
        cache=args.cache,
        crop_scale=args.crop_scale,
        hflip=not args.no_hflip,
        seed=args.seed,
        picture_every=args.picture_every,
        device=resolve_device(args.device),
    )
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    result = pretrain(cfg, resume=args.resume, progress=progress_choice(args))
    out = Path(args.out)
    print(f"final loss {result.final_loss:.4f}; model in {out / 'checkpoint'}; pictures in {out / 'reconstructions'}")
    return 0


def cmd_eval(args) -> int:
    from ..checkpoints.convert import load_model
    from ..training.evaluate import evaluate_model, format_confusion

    result = evaluate_model(
        load_model(args.model or default_model()), args.data, batch_size=args.batch_size, single_view=args.single_view
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_confusion(result, result.labels).replace("test:", f"{' + '.join(args.data)}:", 1))
    return 0


def add_commands(sub):
    y = sub.add_parser("synth", help="generate a synthetic video dataset (MP4 files + train/val/test manifests)")
    y.add_argument("task", choices=(*SYNTH_TASKS, "captions"))
    y.add_argument("out_dir")
    y.add_argument("--clips", type=int, default=900)
    y.add_argument("--seed", type=int, default=0)
    y.add_argument("--workers", type=int, help="processes (default: up to 4)")
    y.add_argument(
        "--scenes-from",
        nargs="+",
        metavar="VIDEO",
        help="camera-motion only: film frames of these videos (real content) instead of photos and textures",
    )
    y.add_argument("-q", "--quiet", action="store_true")
    y.set_defaults(func=cmd_synth)

    r = sub.add_parser("train", help="train a classifier on video files (manifest CSVs or a folder per class)")
    r.add_argument("data", help="a folder with train.csv [val.csv test.csv], a train CSV, or a folder-per-class tree")
    r.add_argument("--out", required=True, help="run folder: checkpoint/ (resumable), best/ (the model), metrics.json")
    r.add_argument("--val")
    r.add_argument("--test")
    r.add_argument("--init", help="start from this pretrained checkpoint's encoder, with a fresh head")
    r.add_argument("--epochs", type=int, default=10)
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("--lr", type=float, default=1e-3)
    r.add_argument("--weight-decay", type=float, default=0.05)
    r.add_argument("--warmup-epochs", type=float, default=1.0)
    r.add_argument("--label-smoothing", type=float, default=0.1)
    r.add_argument(
        "--layer-decay",
        type=float,
        help="layer-wise lr decay (block i gets lr x decay^(depth+1-i)); default 0.75 with --init, else 1",
    )
    r.add_argument(
        "--crop-scale",
        type=float,
        help="random resized crop: smallest share of the frame's area kept (default 0.7 with --init, else 1: no crop)",
    )
    r.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    r.add_argument(
        "--symmetries",
        nargs="?",
        const="all",
        default="",
        metavar="NAMES",
        help="augment with the label-mapping views the dataset declares (dataset.json): all of them, or "
        "a comma-separated subset such as hflip,vflip,reverse; tag and eval then average over them",
    )
    add_loop_options(r)
    add_model_options(r)
    r.set_defaults(func=cmd_train)

    m = sub.add_parser("pretrain", help="VideoMAE self-supervised pretraining on unlabelled videos")
    m.add_argument(
        "data", help="a folder of videos (searched recursively), a manifest CSV, or a synth dataset (its train split)"
    )
    m.add_argument(
        "--out", required=True, help="run folder: checkpoint/ (resumable; the model), reconstructions/, metrics.json"
    )
    m.add_argument("--masking", choices=MASKINGS, default="tube")
    m.add_argument("--mask-ratio", type=float, default=0.75, help="share of tokens hidden (VideoMAE-B: 0.9)")
    loss = m.add_mutually_exclusive_group()
    loss.add_argument("--raw-pixels", action="store_true", help="predict raw pixels (the default)")
    loss.add_argument(
        "--norm-pix-loss",
        action="store_true",
        help="predict each tube normalized by its own mean and std (VideoMAE's loss)",
    )
    m.add_argument("--decoder-dim", type=int, help="default: half the encoder width")
    m.add_argument("--decoder-depth", type=int, default=2)
    m.add_argument("--decoder-heads", type=int, help="default: half the encoder heads")
    m.add_argument("--epochs", type=int, default=10)
    m.add_argument("--batch-size", type=int, default=16)
    m.add_argument("--lr", type=float, help="peak learning rate (default: --base-lr x batch size / 256)")
    m.add_argument(
        "--base-lr",
        type=float,
        default=0.012,
        help="learning rate per 256 clips of batch (default: the cpu preset's; VideoMAE-B used 1.5e-4)",
    )
    m.add_argument("--weight-decay", type=float, default=0.05)
    m.add_argument("--warmup-epochs", type=float, default=1.0)
    m.add_argument(
        "--crop-scale",
        type=float,
        default=1.0,
        help="random resized crop: smallest share of the frame's area kept (default 1: no crop)",
    )
    m.add_argument("--no-hflip", action="store_true", help="do not mirror half the clips")
    m.add_argument(
        "--picture-every", type=int, default=200, help="steps between reconstruction PNGs (0: only at the end)"
    )
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--cache", action="store_true", help="decode every clip once into memory")
    m.add_argument("--threads", type=int)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    m.add_argument("--resume", action="store_true")
    m.add_argument("--progress", action="store_true")
    m.add_argument("-q", "--quiet", action="store_true")
    add_model_options(m)
    m.set_defaults(func=cmd_pretrain)

    v = sub.add_parser("eval", help="accuracy and confusion matrix of a model on a labelled manifest")
    v.add_argument("data", nargs="+", help="manifest CSVs (path,label) or dataset folders (their test.csv)")
    v.add_argument("--model", help="checkpoint folder or hub id (default: the bundled model)")
    v.add_argument("--batch-size", type=int, default=16)
    v.add_argument("--json", action="store_true")
    v.add_argument(
        "--single-view", action="store_true", help="score without averaging over the model's symmetric views"
    )
    v.set_defaults(func=cmd_eval)
