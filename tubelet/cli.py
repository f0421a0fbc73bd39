"""The `tubelet` command line. Every error is one line on stderr and a non-zero exit, never a traceback."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from . import __version__
from .config import SCHEMES


class UsageError(Exception):
    pass


def cmd_cost(args) -> int:
    from .cost import cost_report, format_report
    report = cost_report(args.frames, args.size, args.patch, args.tubelet, dim=args.dim, depth=args.depth,
                         heads=args.heads, mlp_ratio=args.mlp_ratio, temporal_depth=args.temporal_depth,
                         class_token=args.cls, schemes=args.scheme or SCHEMES)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_info(args) -> int:
    from .checkpoints import hf_architecture, load_model
    model = load_model(args.model)
    cfg = model.config.encoder if hasattr(model.config, "encoder") else model.config
    info = {"model": args.model, "class": type(model).__name__, "hf_architecture": hf_architecture(model),
            "params": sum(p.numel() for p in model.parameters()), "grid": list(cfg.grid),
            "config": model.config.to_dict(), "preprocessor": model.preprocessor}
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    t, h, w = cfg.grid
    print(f"{info['class']} ({info['hf_architecture'] or 'tubelet format'}), {info['params'] / 1e6:.2f}M parameters")
    print(f"scheme {cfg.scheme}, {cfg.num_frames} frames at {cfg.image_size}px, tubelet {cfg.tubelet_size}x{cfg.patch_size}x{cfg.patch_size}"
          f" -> grid {t}x{h}x{w} = {t * h * w} tokens; dim {cfg.dim}, depth {cfg.depth}, heads {cfg.heads}")
    labels = list(cfg.id2label.values())
    if labels:
        print(f"{len(labels)} labels: {', '.join(labels[:10])}{' ...' if len(labels) > 10 else ''}")
    return 0


def cmd_export(args) -> int:
    from .checkpoints import load_model
    out = load_model(args.model).save_pretrained(args.out, format=args.format)
    print(f"wrote {out}")
    return 0


def cmd_parity(args) -> int:
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise UsageError("tubelet parity needs transformers (pip install 'tubelet[test]')") from None
    from . import parity
    if args.random:
        kinds = list(parity.KINDS) if args.random == "all" else [args.random]
        worst = 0.0
        print(f"{'checkpoint':<24} {'direction':<22} {'output':<12} {'max |output|':>12} {'max |diff|':>11}")
        for kind in kinds:
            for direction, r in zip(("transformers->tubelet", "tubelet->transformers"), parity.round_trip(kind, args.size, batch=1 if args.size == 'base' else 2)):
                worst = max(worst, r["max_abs_diff"])
                print(f"{kind:<24} {direction:<22} {'x'.join(map(str, r['shape'])):<12} {r['scale']:>12.3f} {r['max_abs_diff']:>11.2e}")
        ok = worst <= args.tol
        print(f"{'PASS' if ok else 'FAIL'}: worst max |diff| {worst:.2e} (tolerance {args.tol:g})")
        return 0 if ok else 1
    if not args.model:
        raise UsageError("give a checkpoint folder or hub id, or --random KIND")
    r = parity.run_both(args.model)
    ok = r["max_abs_diff"] <= args.tol
    print(f"{r['architecture']}: output {'x'.join(map(str, r['shape']))}, max |diff| {r['max_abs_diff']:.2e} "
          f"(outputs up to {r['scale']:.2f}) -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def cmd_tag(args) -> int:
    from pathlib import Path

    from .batch import Job, run
    from .checkpoints import load_model
    from .tagging import Tagger
    from .video import VideoError
    if args.window not in (None, "file"):
        try:
            args.window = float(args.window)
        except ValueError:
            raise UsageError("--window takes seconds or 'file'") from None
        if args.window <= 0:
            raise UsageError("--window and --stride must be positive seconds")
    if args.stride is not None and args.stride <= 0:
        raise UsageError("--window and --stride must be positive seconds")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    name = args.model or default_model()
    import torch
    torch.set_num_threads(args.threads or torch.get_num_threads())
    tagger = Tagger(load_model(name), name=str(args.model or "default"), batch_size=args.batch_size, top_k=args.top_k,
                    precision=args.precision, single_view=args.single_view)
    job = Job(args.inputs, fmt=args.format, out=Path(args.output) if args.output else None,
              plot=Path(args.plot) if args.plot else None, window=args.window, stride=args.stride,
              min_score=args.min_score, progress=True if args.progress else (False if args.quiet else None),
              resume=args.resume)
    try:
        return run(job, tagger)
    except VideoError as e:
        raise UsageError(str(e)) from None


DEMO_SHOTS = [("static", 2.0), ("pan_left", 3.0), ("zoom_in", 3.0), ("tilt_down", 2.5), ("roll_clockwise", 2.5),
              ("pan_right", 3.0)]


def cmd_demo_clip(args) -> int:
    import numpy as np
    from .synth.camera import make_shot_sequence
    from .synth.encode import write_mp4
    frames, truth = make_shot_sequence(DEMO_SHOTS, np.random.default_rng(args.seed))
    write_mp4(args.out, frames, 25.0, crf=20)
    print(f"wrote {args.out}: {frames.shape[0] / 25:.1f} s; the camera does:")
    for t in truth:
        print(f"  {t['start']:5.1f} - {t['end']:5.1f} s  {t['label']}")
    return 0


def cmd_eval(args) -> int:
    from .checkpoints import load_model
    from .evaluate import evaluate_model
    from .train import format_confusion
    result = evaluate_model(load_model(args.model or default_model()), args.data, batch_size=args.batch_size,
                            single_view=args.single_view)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_confusion(result, result["labels"]).replace("test:", f"{' + '.join(args.data)}:", 1))
    return 0


def cmd_bench(args) -> int:
    import json
    from . import attention_bench as ab
    from .atomic import atomic_write, atomic_write_text
    from .measure import hardware
    if min(args.t) < 1 or args.dim % args.heads:
        raise UsageError("--t must be positive and --dim divisible by --heads")
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"output folder {out} does not exist")
    rows = ab.run(args.t, args.device, args.dim, args.heads, impls=tuple(args.impl or ("explicit", "sdpa")),
                  reps=args.reps, progress=False if args.quiet else None)
    md = ab.markdown(rows, hardware(args.device), t_ratio=16 if 16 in args.t else max(args.t))
    slope = ab.quadratic_exponent(rows)
    if slope is not None:
        md += f"\nJoint attention peak memory (explicit path) grows as tokens^{slope:.2f} between t = {min(args.t)} and t = {max(args.t)}.\n"
    atomic_write_text(out / "attention-bench.md", md)
    atomic_write_text(out / "attention-bench.json", json.dumps({"hardware": hardware(args.device), "rows": rows}, indent=2) + "\n")
    atomic_write(out / "attention-bench.png", lambda p: ab.plot(rows, p))
    print(md)
    return 0


def default_model() -> str:
    from .default_model import default_model_path
    path = default_model_path()
    if path is None:
        raise UsageError("no default model is bundled in this version; pass --model FOLDER_OR_HUB_ID")
    return str(path)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tubelet", description="Video transformers: tokens, attention costs, checkpoints.")
    p.add_argument("--version", action="version", version=f"tubelet {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

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

    e = sub.add_parser("export", help="convert a checkpoint: HF format where transformers has the model, else tubelet's")
    e.add_argument("model")
    e.add_argument("out")
    e.add_argument("--format", choices=("auto", "hf", "tubelet"), default="auto")
    e.set_defaults(func=cmd_export)

    t = sub.add_parser("tag", help="tag video files: top-k labels, a timeline of segments, outputs people use")
    t.add_argument("inputs", nargs="+", help="files, folders (searched for videos) or glob patterns")
    t.add_argument("--model", help="checkpoint folder or hub id (default: the bundled model)")
    t.add_argument("--top-k", type=int, default=5)
    t.add_argument("--window", help="seconds per window for a timeline, or 'file' for one clip over the whole file "
                                    "(default: the model's own window if it declares one, else 'file')")
    t.add_argument("--stride", type=float, help="seconds between window starts (default: window / 2)")
    t.add_argument("--min-score", type=float, default=0.0, help="drop segments whose mean score is lower")
    from .writers import FORMATS
    t.add_argument("--format", choices=FORMATS, default="table")
    t.add_argument("-o", "--output", help="output file (a folder for srt/vtt/html of several inputs)")
    t.add_argument("--plot", help="PNG of the timeline (a folder for several inputs)")
    t.add_argument("--batch-size", type=int, help="windows per forward pass (default: as many as keep one pass's "
                                                  "activations within the CPU's L3 cache, 1 to 8)")
    t.add_argument("--threads", type=int, help="torch CPU threads")
    from .precision import PRECISIONS
    t.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="bf16 autocast, int8 dynamic quantization of the linear layers, or torch.compile")
    t.add_argument("--single-view", action="store_true",
                   help="one forward pass per window, without averaging over the model's symmetric views (faster)")
    t.add_argument("--resume", action="store_true", help="skip files already in the jsonl -o FILE and append")
    t.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a terminal")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_tag)

    dc = sub.add_parser("demo-clip", help="write a clip whose camera does a known series of moves (for trying tag)")
    dc.add_argument("out")
    dc.add_argument("--seed", type=int, default=0)
    dc.set_defaults(func=cmd_demo_clip)

    b = sub.add_parser("bench", help="measure: one layer of each attention scheme, time and peak memory per clip length")
    b.add_argument("name", choices=("attention",))
    b.add_argument("--t", type=int, nargs="+", default=[4, 8, 16, 32], help="temporal token groups (h = w = 14)")
    b.add_argument("--impl", choices=("explicit", "sdpa"), action="append", help="attention path (default: both)")
    b.add_argument("--device", default="cuda" if __import__("torch").cuda.is_available() else "cpu")
    b.add_argument("--dim", type=int, default=768)
    b.add_argument("--heads", type=int, default=12)
    b.add_argument("--reps", type=int, default=3)
    b.add_argument("--out", default="docs", help="folder for attention-bench.md / .png / .json")
    b.add_argument("-q", "--quiet", action="store_true")
    b.set_defaults(func=cmd_bench)

    from .cli_training import add_training_commands
    add_training_commands(sub)

    v = sub.add_parser("eval", help="accuracy and confusion matrix of a model on a labelled manifest")
    v.add_argument("data", nargs="+", help="manifest CSVs (path,label) or dataset folders (their test.csv)")
    v.add_argument("--model", help="checkpoint folder or hub id (default: the bundled model)")
    v.add_argument("--batch-size", type=int, default=16)
    v.add_argument("--json", action="store_true")
    v.add_argument("--single-view", action="store_true", help="score without averaging over the model's symmetric views")
    v.set_defaults(func=cmd_eval)

    q = sub.add_parser("parity", help="compare tubelet with transformers on a checkpoint (needs transformers)")
    q.add_argument("model", nargs="?")
    q.add_argument("--random", choices=["all", *__import__("tubelet.parity", fromlist=["KINDS"]).KINDS],
                   help="build random transformers models, load them, export them back, compare both ways")
    q.add_argument("--size", choices=("small", "base"), default="small")
    q.add_argument("--tol", type=float, default=1e-4)
    q.set_defaults(func=cmd_parity)
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    # `kill`, `timeout`, `docker stop` send SIGTERM: stop the way Ctrl-C does (finished files kept, --resume)
    try:
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:          # main() called from a thread other than the main one: leave signals alone
        pass
    parser = build_parser()
    args = parser.parse_args(argv)
    from .checkpoints import CheckpointError
    from .batch import OutputError
    except_types = (UsageError, CheckpointError, OutputError, ValueError, OSError)
    try:
        return args.func(args)
    except except_types as e:
        print(f"tubelet {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tubelet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug or an unforeseen input: still one line; TUBELET_DEBUG=1 shows the traceback
        if os.environ.get("TUBELET_DEBUG"):
            raise
        print(f"tubelet {args.command}: error: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
