"""`tubelet cost | info | export | parity`: what a model is and costs, and checkpoints in and out."""

from __future__ import annotations

import json

from ..checkpoints.reference import KINDS
from ..constants import SCHEMES
from .common import UsageError


def cmd_cost(args) -> int:
    from ..modeling.cost import cost_report, format_report

    report = cost_report(
        frames=args.frames,
        size=args.size,
        patch=args.patch,
        tubelet=args.tubelet,
        dim=args.dim,
        depth=args.depth,
        heads=args.heads,
        mlp_ratio=args.mlp_ratio,
        temporal_depth=args.temporal_depth,
        class_token=args.cls,
        schemes=args.scheme or SCHEMES,
    )
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_info(args) -> int:
    from ..checkpoints.convert import hf_architecture, load_model

    model = load_model(args.model)
    cfg = model.config.encoder if hasattr(model.config, "encoder") else model.config
    frame_model = not hasattr(cfg, "grid")  # an image tower per frame: no token grid
    info = {
        "model": args.model,
        "class": type(model).__name__,
        "hf_architecture": hf_architecture(model),
        "params": sum(p.numel() for p in model.parameters()),
        "grid": None if frame_model else list(cfg.grid),
        "config": model.config.to_dict(),
        "preprocessor": model.preprocessor,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['class']} ({info['hf_architecture'] or 'tubelet format'}), {info['params'] / 1e6:.2f}M parameters")
    if frame_model:
        print(f"image tower {cfg.image.variant} on each of {cfg.num_frames} frames at {cfg.image_size}px, pooled")
    else:
        t, h, w = cfg.grid
        print(
            f"scheme {cfg.scheme}, {cfg.num_frames} frames at {cfg.image_size}px, "
            f"tubelet {cfg.tubelet_size}x{cfg.patch_size}x{cfg.patch_size} -> grid {t}x{h}x{w} = {t * h * w} tokens; "
            f"dim {cfg.dim}, depth {cfg.depth}, heads {cfg.heads}"
        )
    labels = list(cfg.id2label.values())
    if labels:
        print(f"{len(labels)} labels: {', '.join(labels[:10])}{' ...' if len(labels) > 10 else ''}")
    return 0


def cmd_export(args) -> int:
    from ..checkpoints.convert import load_model, save_pretrained

    out = save_pretrained(load_model(args.model), args.out, format=args.format)
    print(f"wrote {out}")
    return 0


def cmd_parity(args) -> int:
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise UsageError("tubelet parity needs transformers (pip install 'tubelet[test]')") from None
    from ..checkpoints import parity

    if args.random:
        return _random_parity(parity, args)
    if not args.model:
        raise UsageError("give a checkpoint folder or hub id, or --random KIND")
    r = parity.run_both(args.model)
    ok = r["max_abs_diff"] <= args.tol
    print(
        f"{r['architecture']}: output {'x'.join(map(str, r['shape']))}, max |diff| {r['max_abs_diff']:.2e} "
        f"(outputs up to {r['scale']:.2f}) -> {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


def _random_parity(parity, args) -> int:
    kinds = list(KINDS) if args.random == "all" else [args.random]
    worst = 0.0
    print(f"{'checkpoint':<24} {'direction':<22} {'output':<12} {'max |output|':>12} {'max |diff|':>11}")
    for kind in kinds:
        results = parity.round_trip(kind, args.size, batch=1 if args.size == "base" else 2)
        for direction, r in zip(("transformers->tubelet", "tubelet->transformers"), results, strict=True):
            worst = max(worst, r["max_abs_diff"])
            shape = "x".join(map(str, r["shape"]))
            print(f"{kind:<24} {direction:<22} {shape:<12} {r['scale']:>12.3f} {r['max_abs_diff']:>11.2e}")
    ok = worst <= args.tol
    print(f"{'PASS' if ok else 'FAIL'}: worst max |diff| {worst:.2e} (tolerance {args.tol:g})")
    return 0 if ok else 1


def add_commands(sub):
    c = sub.add_parser("cost", help="attention pairs, FLOPs and attention-matrix memory per scheme")
    c.add_argument("--frames", type=int, default=16)
    c.add_argument("--size", type=int, default=224)
    c.add_argument("--patch", type=int, default=16)
    c.add_argument("--tubelet", type=int, default=2)
    c.add_argument("--scheme", choices=SCHEMES, action="append", help="repeat to pick several (default: all)")
    c.add_argument("--dim", type=int, default=768)
    c.add_argument("--depth", type=int, default=12)
    c.add_argument("--heads", type=int, default=12)
    c.add_argument("--mlp-ratio", type=float, default=4.0)
    c.add_argument("--temporal-depth", type=int, default=4, help="temporal layers of the factorized encoder")
    c.add_argument("--cls", action="store_true", help="count a class token in the FLOPs")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_cost)

    i = sub.add_parser("info", help="describe a checkpoint (folder or hub id)")
    i.add_argument("model")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    e = sub.add_parser(
        "export", help="convert a checkpoint: HF format where transformers has the model, else tubelet's"
    )
    e.add_argument("model")
    e.add_argument("out")
    e.add_argument("--format", choices=("auto", "hf", "tubelet"), default="auto")
    e.set_defaults(func=cmd_export)

    q = sub.add_parser("parity", help="compare tubelet with transformers on a checkpoint (needs transformers)")
    q.add_argument("model", nargs="?")
    q.add_argument(
        "--random",
        choices=["all", *KINDS],
        help="build random transformers models, load them, export them back, compare both ways",
    )
    q.add_argument("--size", choices=("small", "base"), default="small")
    q.add_argument("--tol", type=float, default=1e-4)
    q.set_defaults(func=cmd_parity)
