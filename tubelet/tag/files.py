"""`tubelet tag` over many files: probe them all, tag each with one progress bar, write every output
atomically, go on past bad files and report them at the end. Ctrl-C keeps the results of finished files."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_text
from ..errors import TubeletError
from ..video.decode import VideoError, find_videos, probe
from .formats import EXTENSIONS, PER_FILE, render
from .plot import plot_timeline
from .results import TagResult
from .tagger import Tagger
from .writers import jsonl_line, table


class OutputError(TubeletError):
    """An output that cannot be written where it was asked for."""


@dataclass
class Job:
    inputs: list[str]
    fmt: str = "table"
    out: Path | None = None
    plot: Path | None = None
    window: float | None = None
    stride: float | None = None
    min_score: float = 0.0
    progress: bool | None = None  # None: only when stderr is a terminal
    resume: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)


def check_outputs(job: Job, many: bool):
    """Fail before any work if an output cannot be written where asked."""

    def folder_must_exist(path: Path, what: str):
        if not path.is_dir():
            raise OutputError(f"{what} folder does not exist: {path}")

    if job.out is not None:
        if many and job.fmt in PER_FILE:
            folder_must_exist(job.out, f"-o for several {job.fmt} files needs an existing")
        else:
            folder_must_exist(job.out.parent if str(job.out.parent) else Path("."), "output")
            if job.out.is_dir():
                raise OutputError(f"-o {job.out} is a directory; give a file name")
    elif job.fmt == "html" and many:
        raise OutputError("html for several files needs -o DIR")
    if job.plot is not None:
        if many:
            folder_must_exist(job.plot, "--plot for several files needs an existing")
        else:
            folder_must_exist(job.plot.parent if str(job.plot.parent) else Path("."), "plot")
    if job.resume and not (job.fmt == "jsonl" and job.out is not None):
        raise OutputError("--resume continues a --format jsonl -o FILE run")


def _done_files(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        return [json.loads(line)["file"] for line in lines if line.strip()]
    except (json.JSONDecodeError, KeyError):
        raise OutputError(f"--resume: {path} is not a tubelet jsonl file") from None


def run(job: Job, tagger: Tagger) -> int:
    paths, problems = find_videos(job.inputs)
    many = len(paths) + len(problems) > 1
    check_outputs(job, many)
    for item, message in problems:
        _report(job, item, message)
    previous = ""
    if job.resume:
        done = set(_done_files(job.out))
        previous = job.out.read_text(encoding="utf-8") if job.out.exists() else ""
        paths = [p for p in paths if str(p) not in done]
    probed = []
    for p in paths:
        try:
            info = probe(p)
            probed.append((p, info, len(tagger.plan(info, job.window, job.stride))))
        except VideoError as e:
            _report(job, str(p), str(e))
    from tqdm import tqdm

    bar = tqdm(
        total=sum(n for *_, n in probed),
        unit="window",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=not job.progress if job.progress is not None else None,
    )
    results: list[TagResult] = []
    interrupted = False
    try:
        for i, (p, info, _) in enumerate(probed, 1):
            bar.set_description(f"file {i}/{len(probed)}")
            try:
                r = tagger.tag(p, job.window, job.stride, job.min_score, info=info, on_window=bar.update)
            except VideoError as e:
                _report(job, str(p), str(e), bar)
                continue
            results.append(r)
            _emit_now(job, r, many, bar)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    _write_collected(job, results, previous, many)
    return _summary(job, len(results), len(probed), interrupted)


def _report(job: Job, item: str, message: str, bar=None):
    job.failures.append((item, message))
    text = f"tubelet tag: error: {message}"
    if bar is not None and not bar.disable:
        bar.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr)


def _emit_now(job: Job, r: TagResult, many: bool, bar):
    """Outputs that go out as each file finishes: tables and jsonl on stdout, per-file documents, plots."""
    if job.out is None and job.fmt in ("table", "jsonl"):
        text = table(r) if job.fmt == "table" else jsonl_line(r)
        bar.clear()
        sys.stdout.write(text + ("\n" if job.fmt == "table" and many else ""))
        sys.stdout.flush()
        bar.refresh()
    if job.fmt in PER_FILE and (many or job.out is not None):
        target = job.out / (Path(r.file).stem + EXTENSIONS[job.fmt]) if many else job.out
        atomic_write_text(target, render(job.fmt, [r], target))
    if job.plot is not None:
        plot_timeline(r, job.plot / (Path(r.file).stem + ".png") if many else job.plot)


def _write_collected(job: Job, results: list[TagResult], previous: str, many: bool):
    if job.fmt in PER_FILE:
        if job.out is None and results:
            sys.stdout.write(render(job.fmt, results[:1]))
        return
    if job.out is None:
        if job.fmt in ("json", "csv") and results:
            sys.stdout.write(render(job.fmt, results))
        return
    if results or previous or not job.failures:
        text = render(job.fmt, results)
        atomic_write_text(job.out, previous + text if job.fmt == "jsonl" else text)


def _summary(job: Job, ok: int, probed: int, interrupted: bool) -> int:
    if interrupted:
        where = f"; results so far are in {job.out}" if job.out else ""
        again = " (run again with --resume to continue)" if job.fmt == "jsonl" and job.out else ""
        print(f"tubelet tag: interrupted after {ok} of {probed} files{where}{again}", file=sys.stderr)
        return 130
    if job.failures:
        total = ok + len(job.failures)
        if total > 1:  # a single input's error was already its one line
            print(f"tubelet tag: {ok} of {total} inputs tagged, {len(job.failures)} failed:", file=sys.stderr)
            for item, message in job.failures:
                print(f"  {item}: {message}", file=sys.stderr)
        return 1
    return 0
