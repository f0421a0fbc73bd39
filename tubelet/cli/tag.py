"""`tubelet tag | demo-clip`: tag video files into labels and timelines; make a clip whose camera moves are known."""

from __future__ import annotations

from pathlib import Path

from ..constants import OUTPUT_FORMATS, PRECISIONS
from .common import UsageError, add_label_options, add_segment_options, default_model, progress_choice, segment_rules


def _check_tag_options(args):
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


def cmd_tag(args) -> int:
    _check_tag_options(args)
    import torch

    from ..checkpoints.convert import load_model
    from ..tag.files import Job, run
    from ..tag.tagger import Tagger
    from ..text.labels import read_labels, set_run_labels

    labels = read_labels(args.labels, args.labels_file)
    name = args.model or default_model(video_text=labels is not None)
    torch.set_num_threads(args.threads or torch.get_num_threads())
    model = set_run_labels(load_model(name), labels, args.prompt_template, str(args.model or Path(name).name))
    tagger = Tagger(
        model,
        name=str(args.model or ("video-text" if labels is not None else "default")),
        batch_size=args.batch_size,
        top_k=args.top_k,
        precision=args.precision,
        single_view=args.single_view,
        shots=args.shots,
        rules=segment_rules(args),
    )
    job = Job(
        args.inputs,
        fmt=args.format,
        out=Path(args.output) if args.output else None,
        plot=Path(args.plot) if args.plot else None,
        window=args.window,
        stride=args.stride,
        min_score=args.min_score,
        progress=progress_choice(args),
        resume=args.resume,
    )
    return run(job, tagger)


def cmd_demo_clip(args) -> int:
    from ..synth.demo import write_demo_clip

    truth = write_demo_clip(args.out, args.seed)
    print(f"wrote {args.out}: {truth[-1]['end']:.1f} s; the camera does:")
    for t in truth:
        print(f"  {t['start']:5.1f} - {t['end']:5.1f} s  {t['label']}")
    return 0


def add_commands(sub):
    t = sub.add_parser("tag", help="tag video files: top-k labels, a timeline of segments, outputs people use")
    t.add_argument("inputs", nargs="+", help="files, folders (searched for videos) or glob patterns")
    t.add_argument("--model", help="checkpoint folder or hub id (default: the bundled model)")
    t.add_argument("--top-k", type=int, default=5)
    add_label_options(t)
    t.add_argument(
        "--window",
        help="seconds per window for a timeline, or 'file' for one clip over the whole file "
        "(default: the model's own window if it declares one, else 'file')",
    )
    t.add_argument("--stride", type=float, help="seconds between window starts (default: window / 2)")
    t.add_argument("--min-score", type=float, default=0.0, help="drop segments whose mean score is lower")
    t.add_argument("--format", choices=OUTPUT_FORMATS, default="table")
    t.add_argument("-o", "--output", help="output file (a folder for srt/vtt/html of several inputs)")
    t.add_argument("--plot", help="PNG of the timeline (a folder for several inputs)")
    t.add_argument(
        "--batch-size",
        type=int,
        help="windows per forward pass (default: as many as keep one pass's "
        "activations within the CPU's L3 cache, 1 to 8)",
    )
    t.add_argument("--threads", type=int, help="torch CPU threads")
    t.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="bf16 autocast, int8 dynamic quantization of the linear layers, or torch.compile",
    )
    t.add_argument(
        "--single-view",
        action="store_true",
        help="one forward pass per window, without averaging over the model's symmetric views (faster)",
    )
    t.add_argument(
        "--shots",
        action="store_true",
        help="detect hard cuts: segments never cross one, and the output lists the shots",
    )
    t.add_argument("--resume", action="store_true", help="skip files already in the jsonl -o FILE and append")
    t.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a terminal")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_segment_options(t)
    t.set_defaults(func=cmd_tag)

    dc = sub.add_parser("demo-clip", help="write a clip whose camera does a known series of moves (for trying tag)")
    dc.add_argument("out")
    dc.add_argument("--seed", type=int, default=0)
    dc.set_defaults(func=cmd_demo_clip)
