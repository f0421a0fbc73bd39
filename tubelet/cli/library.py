"""`tubelet index | search | library stats | library export`: a video library in one SQLite file."""

from __future__ import annotations

import sys

from ..constants import PRECISIONS
from .common import UsageError, add_label_options, add_segment_options, progress_choice, segment_rules


def _db_option(p):
    from ..library.db import DEFAULT_DB, ENV_DB

    p.add_argument("--db", help=f"library database (default: ${ENV_DB} or ./{DEFAULT_DB})")


def _db(args) -> str:
    from ..library.db import default_path

    return args.db or default_path()


def _models_with_labels(args, names: list[str]) -> list:
    """The models of an index run, loaded; the typed labels go to its video-language models."""
    from ..checkpoints.convert import load_model
    from ..text.labels import read_labels, set_run_labels

    labels = read_labels(args.labels, args.labels_file)
    models = [load_model(name) for name in names]
    if labels is not None and not any(hasattr(m, "set_labels") for m in models):
        raise UsageError("--labels needs a video-language model among --model (a CLIP folder); these are classifiers")
    for name, model in zip(names, models, strict=True):
        if hasattr(model, "set_labels") or labels is None:
            set_run_labels(model, labels, args.prompt_template, name)
    return models


def cmd_index(args) -> int:
    import torch

    from ..checkpoints.bundled import INDEX_DEFAULT, bundled_model_path
    from ..library.indexer import IndexJob, run_index
    from ..tag.tagger import Tagger

    if args.workers < 0:
        raise UsageError("--workers must be 0 (decode in this process) or more")
    window = args.window
    if window not in (None, "file"):
        try:
            window = float(window)
        except ValueError:
            raise UsageError("--window takes seconds or 'file'") from None
        if window <= 0:
            raise UsageError("--window must be positive seconds")
    from ..library.db import open_library

    open_library(_db(args)).close()  # a database that cannot be written fails now, not after loading the model
    # default: the bundled models, so the library says how the camera moves and what is in the video
    names = args.model or [n for n in INDEX_DEFAULT if bundled_model_path(n)]
    if not names:
        raise UsageError("no model is bundled in this version; pass --model FOLDER_OR_HUB_ID")
    if len(set(names)) != len(names):
        raise UsageError("each --model may be given once")
    if args.threads:
        torch.set_num_threads(args.threads)
    rules = segment_rules(args)
    models = _models_with_labels(args, names)
    taggers = [
        (
            Tagger(
                model,
                name=name,
                batch_size=args.batch_size,
                precision=args.precision,
                rules=rules,
                shots=not args.no_shots,
                embeddings=True,
            ),
            name,
        )
        for name, model in zip(names, models, strict=True)
    ]
    job = IndexJob(
        args.inputs,
        _db(args),
        window=window,
        stride=args.stride,
        workers=args.workers,
        ray=args.ray,
        ray_ship=args.ray_ship,
        models=names,
        retag=args.retag,
        prune=args.prune,
        progress=progress_choice(args),
    )
    rc, counts = run_index(job, taggers)
    rate = counts.indexed / counts.seconds if counts.seconds else 0.0
    print(
        f"tubelet index: {counts.indexed} files tagged ({counts.windows} windows, {rate:.2f} files/s), "
        f"{counts.unchanged} unchanged, {counts.other_model} tagged by another model or settings"
        + (" (--retag to redo them)" if counts.other_model else "")
        + (f", {counts.pruned} pruned" if args.prune else "")
        + f"; library {job.db}",
        file=sys.stderr,
    )
    if rc == 130:
        print("tubelet index: interrupted; the files finished so far are saved (run again to go on)", file=sys.stderr)
    elif job.failures:
        print(f"tubelet index: {len(job.failures)} failed:", file=sys.stderr)
        for item, message in job.failures:
            print(f"  {item}: {message}", file=sys.stderr)
    return rc


def cmd_search(args) -> int:
    from ..library.db import open_library
    from ..library.query import hits_text, labels, labels_for, model_names, search

    con = open_library(_db(args), read_only=True)
    if args.model and args.model not in model_names(con):
        have = ", ".join(model_names(con)) or "none yet"
        raise UsageError(f"this library was not indexed with model {args.model!r}; it has: {have}")
    hits = search(
        con,
        labels_for(con, args.label),  # the label itself, or every label under a general word ("dog")
        min_score=args.min_score,
        min_duration=args.min_duration,
        path_glob=args.path,
        model=args.model,
        limit=args.limit,
    )
    if not hits and args.label not in {x["label"] for x in labels(con)}:
        known = ", ".join(x["label"] for x in labels(con)[:20]) or "none yet"
        print(
            f"tubelet search: no segment is labelled {args.label!r}; labels in this library: {known}", file=sys.stderr
        )
    sys.stdout.write(hits_text(hits, args.format))
    return 0


def cmd_library(args) -> int:
    import json

    from ..library.db import open_library
    from ..library.query import export, format_stats, stats

    con = open_library(_db(args), read_only=True)
    if args.action == "stats":
        s = stats(con)
        print(json.dumps(s, indent=2) if args.json else format_stats(s))
        return 0
    if args.output:
        from ..atomic import atomic_write

        rows = [0]

        def write(tmp):
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                rows[0] = export(con, args.format, f)

        atomic_write(args.output, write)
        print(
            f"tubelet library export: {rows[0]} {'files' if args.format == 'jsonl' else 'segments'} -> {args.output}",
            file=sys.stderr,
        )
    else:
        export(con, args.format, sys.stdout)
    return 0


def add_commands(sub):
    i = sub.add_parser("index", help="tag videos into a library database (incremental, resumable)")
    i.add_argument("inputs", nargs="+", help="files, folders (searched for videos) or glob patterns")
    _db_option(i)
    i.add_argument(
        "--model",
        action="append",
        help="checkpoint folder, hub id or bundled name; repeat for several models over one decode pass "
        "(default: both bundled models, camera-motion and imagenet)",
    )
    add_label_options(i)
    i.add_argument("--window", help="seconds per window, or 'file' (default: the model's own window)")
    i.add_argument("--stride", type=float, help="seconds between window starts (default: window / 2)")
    i.add_argument(
        "--workers",
        type=int,
        default=0,
        help="decode in N processes while this one runs the model (default 0: all in this process)",
    )
    i.add_argument(
        "--ray",
        nargs="?",
        const=True,
        metavar="ADDRESS",
        help="decode and tag on a Ray cluster (its address, e.g. ray://head:10001 or auto; alone: a local "
        "Ray instance); results come back here to be written",
    )
    i.add_argument(
        "--ray-ship",
        action="store_true",
        help="with --ray: send each file through Ray's object store (no shared filesystem needed)",
    )
    i.add_argument("--retag", action="store_true", help="re-tag files tagged by another model or other settings")
    i.add_argument("--prune", action="store_true", help="drop files that no longer exist")
    i.add_argument("--no-shots", action="store_true", help="do not detect cuts (segments may then cross them)")
    add_segment_options(i)
    i.add_argument("--batch-size", type=int)
    i.add_argument("--precision", choices=PRECISIONS, default="fp32")
    i.add_argument("--threads", type=int, help="torch CPU threads")
    i.add_argument("--progress", action="store_true")
    i.add_argument("-q", "--quiet", action="store_true")
    i.set_defaults(func=cmd_index)

    s = sub.add_parser("search", help="segments of a label in the library, best first")
    s.add_argument("label")
    _db_option(s)
    s.add_argument("--min-score", type=float, default=0.0)
    s.add_argument("--min-duration", type=float, default=0.0, help="seconds")
    s.add_argument("--path", help="only files whose path matches this glob")
    s.add_argument("--model", help="only this model's segments (the name `library stats` lists)")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--format", choices=("table", "json", "csv"), default="table")
    s.set_defaults(func=cmd_search)

    lib = sub.add_parser("library", help="the library database: stats, export")
    lib.add_argument("action", choices=("stats", "export"))
    _db_option(lib)
    lib.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default="jsonl",
        help="export: one object per file, or one CSV row per segment",
    )
    lib.add_argument("-o", "--output", help="export: write this file (atomically) instead of stdout")
    lib.add_argument("--json", action="store_true", help="stats as JSON")
    lib.set_defaults(func=cmd_library)
