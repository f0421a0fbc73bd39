"""The training side of the `tubelet` command: synth, train, pretrain, experiment (registered by cli.py)."""
from __future__ import annotations

from pathlib import Path

from .config import SCHEMES


def cmd_synth(args) -> int:
    from .synth import synthesize
    info = synthesize(args.task, args.out_dir, args.clips, seed=args.seed, workers=args.workers,
                      progress=False if args.quiet else None, scenes_from=args.scenes_from)
    print(f"{info['clips']} {info['task']} clips in {args.out_dir}: " +
          ", ".join(f"{k} {v}" for k, v in info["splits"].items()) + f"; labels: {', '.join(info['labels'])}")
    return 0


MODEL_OPTIONS = {"scheme": str, "frames": int, "size": int, "patch": int, "tubelet": int, "dim": int, "depth": int,
                 "heads": int, "mlp_ratio": float, "temporal_depth": int, "pos_embed": str, "pooling": str,
                 "drop_path": float, "dropout": float, "stem": str}
MODEL_FIELDS = {"frames": "num_frames", "size": "image_size", "patch": "patch_size", "tubelet": "tubelet_size"}


def model_overrides(args) -> dict:
    d = {MODEL_FIELDS.get(k, k): getattr(args, k) for k in MODEL_OPTIONS if getattr(args, k) is not None}
    if args.no_cls:
        d.update(class_token=False, pooling=d.get("pooling", "mean"))
    return d


def add_model_options(p):
    g = p.add_argument_group("model (ignored with --init, which keeps the pretrained architecture)")
    for name, kind in MODEL_OPTIONS.items():
        choices = {"scheme": SCHEMES, "pos_embed": ("sincos", "learned", "learned_space_time"), "pooling": ("cls", "mean"), "stem": ("linear", "conv")}.get(name)
        g.add_argument("--" + name.replace("_", "-"), type=kind, choices=choices)
    g.add_argument("--no-cls", action="store_true", help="no class token (mean pooling)")


def cmd_train(args) -> int:
    from .train import TrainConfig, train
    cfg = TrainConfig(data=args.data, out=args.out, val=args.val, test=args.test, model=model_overrides(args),
                      init=args.init, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                      weight_decay=args.weight_decay, warmup_epochs=args.warmup_epochs,
                      label_smoothing=args.label_smoothing, precision=args.precision, workers=args.workers,
                      cache=args.cache, symmetries=args.symmetries,
                      seed=args.seed, window_seconds=args.window, device=args.device)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    result = train(cfg, resume=args.resume, progress=True if args.progress else (False if args.quiet else None))
    if "test" in result:
        print(f"test top1 {result['test']['top1']:.4f} top5 {result['test']['top5']:.4f}; model in {Path(args.out) / 'best'}")
    return 0


def cmd_experiment(args) -> int:
    if args.name.startswith("mae-"):
        return _mae_experiment(args)
    from .experiments import attention_experiment
    report = attention_experiment(out=args.out, data=args.data or "data/temporal-order", runs=args.runs or "runs/attention",
                                  clips=args.clips, epochs=args.epochs or 15, seed=args.seed, workers=args.workers,
                                  schemes=args.scheme or SCHEMES, progress=False if args.quiet else None)
    for x in report["rows"]:
        print(f"{x['scheme']:<11} top1 {x['top1']:.3f}  order-dependent {x['order_top1']:.3f}  controls {x['control_top1']:.3f}")
    print(f"report: {Path(args.out) / 'attention-experiment.md'}")
    return 0


def _mae_experiment(args) -> int:
    import json
    from . import mae_experiments as me
    from .atomic import atomic_write_text
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = False if args.quiet else None
    if args.name == "mae-cost":
        report = me.cost(ratios=(0.9, 0.75, 0.0), batch=1)
        md = "# VideoMAE: what masking saves\n\n" + me.cost_markdown(report) + "\nRegenerate: `tubelet experiment mae-cost`\n"
    else:
        data, runs = Path(args.data or "data/camera-motion"), Path(args.runs or "runs/mae")
        maskings = ("tube",) if args.name == "mae-efficiency" else ("tube", "random", "frame")
        report = me.efficiency(data, runs, fraction=args.fraction, pretrain_epochs=args.pretrain_epochs,
                               finetune_epochs=args.epochs or 30, seed=args.seed, maskings=maskings, progress=progress)
        title = "Data efficiency (VideoMAE Table 2 in miniature)" if args.name == "mae-efficiency" else \
            "Masking ablation (VideoMAE Table 1b in miniature)"
        md = ("# VideoMAE on tubelet's data\n\n" + me.efficiency_markdown(report, title) +
              f"\nRegenerate: `tubelet experiment {args.name} --data {data} --fraction {args.fraction} "
              f"--pretrain-epochs {args.pretrain_epochs} --epochs {args.epochs or 30} --seed {args.seed}`\n")
    atomic_write_text(out / f"{args.name}.md", md)
    atomic_write_text(out / f"{args.name}.json", json.dumps(report, indent=2) + "\n")
    print(md)
    return 0


def cmd_pretrain(args) -> int:
    from .pretrain import PretrainConfig, pretrain
    model = model_overrides(args)
    if model.get("scheme", "joint") != "joint" or model.get("class_token"):
        raise ValueError("the VideoMAE encoder uses joint attention without a class token")
    model.pop("scheme", None)
    model.pop("pooling", None)
    cfg = PretrainConfig(data=args.data, out=args.out, model=model, decoder_dim=args.decoder_dim,
                         decoder_depth=args.decoder_depth, decoder_heads=args.decoder_heads, masking=args.masking,
                         mask_ratio=args.mask_ratio, norm_pix_loss=not args.raw_pixels, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                         warmup_epochs=args.warmup_epochs, workers=args.workers, cache=args.cache, seed=args.seed,
                         picture_every=args.picture_every, device=args.device)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    result = pretrain(cfg, resume=args.resume, progress=True if args.progress else (False if args.quiet else None))
    last = result["history"][-1]["loss"] if result["history"] else float("nan")
    print(f"final loss {last:.4f}; model in {Path(args.out) / 'checkpoint'}; pictures in {Path(args.out) / 'reconstructions'}")
    return 0


def add_training_commands(sub):
    y = sub.add_parser("synth", help="generate a synthetic video dataset (MP4 files + train/val/test manifests)")
    y.add_argument("task", choices=("camera-motion", "temporal-order"))
    y.add_argument("out_dir")
    y.add_argument("--clips", type=int, default=900)
    y.add_argument("--seed", type=int, default=0)
    y.add_argument("--workers", type=int, help="processes (default: up to 4)")
    y.add_argument("--scenes-from", nargs="+", metavar="VIDEO",
                   help="camera-motion only: film frames of these videos (real content) instead of photos and textures")
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
    r.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    r.add_argument("--workers", type=int, default=2, help="data-loading processes")
    r.add_argument("--cache", action="store_true", help="decode every clip once into memory (fast epochs, no jitter)")
    r.add_argument("--symmetries", nargs="?", const="all", default="", metavar="NAMES",
                   help="augment with the label-mapping views the dataset declares (dataset.json): all of them, or "
                        "a comma-separated subset such as hflip,vflip,reverse; tag and eval then average over them")
    r.add_argument("--threads", type=int, help="torch CPU threads")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--window", type=float, help="seconds: stored with the model as the window `tag` uses by default")
    r.add_argument("--device", default="cuda" if __import__("torch").cuda.is_available() else "cpu")
    r.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    r.add_argument("--progress", action="store_true")
    r.add_argument("-q", "--quiet", action="store_true")
    add_model_options(r)
    r.set_defaults(func=cmd_train)

    m = sub.add_parser("pretrain", help="VideoMAE self-supervised pretraining on unlabelled videos")
    m.add_argument("data", help="a folder of videos (searched recursively), a manifest CSV, or a synth dataset (its train split)")
    m.add_argument("--out", required=True, help="run folder: checkpoint/ (resumable; the model), reconstructions/, metrics.json")
    from .masking import MASKINGS
    m.add_argument("--masking", choices=MASKINGS, default="tube")
    m.add_argument("--mask-ratio", type=float, default=0.9)
    m.add_argument("--raw-pixels", action="store_true", help="predict raw pixels instead of per-tube normalized ones")
    m.add_argument("--decoder-dim", type=int, help="default: half the encoder width")
    m.add_argument("--decoder-depth", type=int, default=4)
    m.add_argument("--decoder-heads", type=int, help="default: half the encoder heads")
    m.add_argument("--epochs", type=int, default=10)
    m.add_argument("--batch-size", type=int, default=16)
    m.add_argument("--lr", type=float, default=1e-3)
    m.add_argument("--weight-decay", type=float, default=0.05)
    m.add_argument("--warmup-epochs", type=float, default=1.0)
    m.add_argument("--picture-every", type=int, default=200, help="steps between reconstruction PNGs (0: only at the end)")
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--cache", action="store_true", help="decode every clip once into memory")
    m.add_argument("--threads", type=int)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--device", default="cuda" if __import__("torch").cuda.is_available() else "cpu")
    m.add_argument("--resume", action="store_true")
    m.add_argument("--progress", action="store_true")
    m.add_argument("-q", "--quiet", action="store_true")
    add_model_options(m)
    m.set_defaults(func=cmd_pretrain)

    x = sub.add_parser("experiment", help="reproduce a paper's experiment on tubelet's own data")
    x.add_argument("name", choices=("attention", "mae-efficiency", "mae-masking", "mae-cost"))
    x.add_argument("--out", default="docs")
    x.add_argument("--data", help="dataset (default: data/temporal-order for attention, data/camera-motion for mae-*)")
    x.add_argument("--runs", help="run folders (default: runs/attention; runs/mae, shared by mae-efficiency and mae-masking)")
    x.add_argument("--clips", type=int, default=2000, help="attention: clips to synthesize")
    x.add_argument("--epochs", type=int, help="training / fine-tuning epochs (default: 15 attention, 30 mae-*)")
    x.add_argument("--pretrain-epochs", type=int, default=10, help="mae-*: pretraining epochs")
    x.add_argument("--fraction", type=float, default=0.1, help="mae-*: labelled share of the training clips")
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--workers", type=int, default=2)
    x.add_argument("--scheme", choices=SCHEMES, action="append")
    x.add_argument("-q", "--quiet", action="store_true")
    x.set_defaults(func=cmd_experiment)

