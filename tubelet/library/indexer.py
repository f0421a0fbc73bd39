"""`tubelet index`: tag every video under some paths into the library, incrementally and exactly once.

- Several models in one run (`--model A --model B`; by default both bundled models): each file is decoded once
  and every model's windows, segments, labels and window embeddings are stored beside the others'.
- Which files need work, per model: new and changed files (size or mtime moved and the content hash differs: a
  touched file whose bytes are the same keeps its results) with every model of the run; a file the library has
  gets only the models it lacks (adding a model tags with the new model alone); a model of the same name with
  other weights or settings replaces the old results only with `retag`; failed files again. `prune` drops the
  rows of files that are gone.
- The tagging engine (engine/) does the work: decoding in this process (`workers=0`), in N worker processes, or
  whole files on Ray actors; this process writes each file in one transaction as soon as it comes out
  (library/store.py).
- One writer per database: a second `index` on the same database is refused while the first runs (an advisory
  lock the kernel releases when the holder dies, even by kill -9).
- Ctrl-C / SIGTERM: the files finished so far are in the database; run again to go on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..checkpoints.files import WEIGHT_FILES, resolve
from ..constants import VERSION
from ..engine.engine import Engine
from ..engine.messages import FileFailed, RayOptions, RunSettings
from ..tag.tagger import Tagger
from ..video.decode import find_videos
from . import store
from .db import LibraryError, open_library


@dataclass
class IndexJob:
    inputs: list[str]
    db: str
    window: float | str | None = None
    stride: float | None = None
    workers: int = 0
    ray: str | bool | None = None  # None: no Ray; True: start or join a local instance; str: its address
    ray_ship: bool = False  # send file bytes through Ray's object store (no shared filesystem)
    models: list[str] = field(default_factory=list)  # folders, hub ids or bundled names, in the run's order
    retag: bool = False
    prune: bool = False
    progress: bool | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Counts:
    indexed: int = 0
    windows: int = 0
    unchanged: int = 0
    other_model: int = 0
    pruned: int = 0
    seconds: float = 0.0


def weights_hash(model_dir: str) -> str:
    folder, h = resolve(model_dir), hashlib.sha256()
    for name in WEIGHT_FILES:
        for path in sorted(folder.glob(name.replace(".index.json", "-*"))) + [folder / name]:
            if path.exists():
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(2**22), b""):
                        h.update(block)
    return h.hexdigest()[:16]


class WriterLock:
    """An exclusive advisory lock beside the database, held for the whole run."""

    def __init__(self, db: str):
        self.path = Path(f"{db}.lock")

    def __enter__(self):
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise LibraryError(
                f"another `tubelet index` is writing {self.path.with_suffix('')} right now; "
                "wait for it to finish (searching is fine meanwhile)"
            ) from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


# --- the run --------------------------------------------------------------------------------------------------
@dataclass
class RunModel:
    """One model of the run: its tagger, the name it is recorded under and its row in `models`."""

    tagger: Tagger
    name: str
    window: float | str | None = None
    id: int = 0


@dataclass
class Work:
    """One file to tag: with which of the run's models, whether it is new or changed (then every model's old
    results go), and which earlier models' results each replaces (`retag`)."""

    path: str
    stat: store.FileStat
    models: tuple[int, ...]  # indices into the run's models
    fresh: bool = True
    replaces: dict[int, tuple[int, ...]] = field(default_factory=dict)


def _needed(job: IndexJob, models: list[RunModel], have: set[int], names: dict[int, str], counts: Counts):
    """For a file the library has unchanged: the run's models it lacks, and what each replaces."""
    need, replaces, skipped = [], {}, False
    for i, m in enumerate(models):
        if m.id in have:
            continue
        same_name = tuple(x for x in have if names.get(x) == m.name)
        if same_name and not job.retag:
            skipped = True
            continue
        need.append(i)
        replaces[i] = same_name
    if skipped and not need:
        counts.other_model += 1
    elif not need:
        counts.unchanged += 1
    return tuple(need), replaces


def _plan(job: IndexJob, con, models: list[RunModel]) -> tuple[list[Work], Counts]:
    paths, problems = find_videos(job.inputs)
    for item, message in problems:
        job.failures.append((item, message))
    known, tagged, counts, todo = store.known_files(con), store.tagged_by(con), Counts(), []
    names = {r["id"]: r["name"] for r in con.execute("SELECT id, name FROM models")}
    every = tuple(range(len(models)))
    for p in paths:
        path = str(Path(p).absolute())
        try:
            stat = store.FileStat.of(path)
        except OSError:
            todo.append(Work(path, store.FileStat(path, 0, 0), every))  # decoding reports it, the error is recorded
            continue
        row = known.get(path)
        if row is not None and row["status"] == "ok":
            same = (row["size"], row["mtime_ns"]) == (stat.size, stat.mtime_ns)
            if not same and row["content_hash"] == store.content_hash(path):
                store.touch(con, row["id"], stat)
                same = True
            if same:
                need, replaces = _needed(job, models, tagged.get(row["id"], set()), names, counts)
                if need:
                    todo.append(Work(path, stat, need, fresh=False, replaces=replaces))
                continue
        todo.append(Work(path, stat, every))
    return todo, counts


def run_index(job: IndexJob, taggers: list[tuple[Tagger, str]]) -> tuple[int, Counts]:
    """`taggers`: each model of the run with the name it is recorded under."""
    models = [RunModel(t, name, t.resolve_window(job.window)) for t, name in taggers]
    with WriterLock(job.db):
        con = open_library(job.db)
        try:
            for m in models:
                settings = m.tagger.settings(m.window, job.stride)
                whash = weights_hash(m.name)
                key = hashlib.sha256(f"{whash}|{json.dumps(settings, sort_keys=True)}".encode()).hexdigest()[:16]
                m.id = store.model_id(
                    con, key=key, name=m.name, weights_hash=whash, settings=settings, tubelet_version=VERSION
                )
            if job.prune:
                pruned = store.prune(con)
            todo, counts = _plan(job, con, models)
            counts.pruned = len(pruned) if job.prune else 0
            interrupted = _tag_all(job, models, con, todo, counts)
        finally:
            con.close()
    return (130 if interrupted else 1 if job.failures else 0), counts


def _engine(job: IndexJob, models: list[RunModel]) -> tuple[Engine, RayOptions | None]:
    first = models[0].tagger
    settings = RunSettings(None, job.stride, first.shots, thumbnails=True)
    engine = Engine([m.tagger.runner for m in models], settings, [(m.window, job.stride) for m in models])
    if job.ray is None:
        return engine, None
    specs = tuple(m.tagger.spec(m.name, m.window, job.stride) for m in models)
    return engine, RayOptions(specs, address=job.ray if isinstance(job.ray, str) else None, ship=job.ray_ship)


def _tag_all(job: IndexJob, models: list[RunModel], con, todo: list[Work], counts: Counts) -> bool:
    from tqdm import tqdm

    t0 = time.time()
    bar = tqdm(
        total=len(todo),
        unit="file",
        desc="index",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=(not job.progress) if job.progress is not None else None,
    )

    def windows_done(n: int):
        counts.windows += n

    groups: dict[tuple[int, ...], list[Work]] = {}
    for w in todo:  # files that need the same models run through one engine
        groups.setdefault(w.models, []).append(w)
    try:
        for chosen, work in groups.items():
            run = [models[i] for i in chosen]
            engine, ray = _engine(job, run)
            results = engine.run([w.path for w in work], workers=job.workers, ray=ray, on_window=windows_done)
            try:
                for out in results:
                    _save(con, job, run, chosen, work[out.index], out, counts, bar)
                    elapsed = max(time.time() - t0, 1e-9)
                    bar.set_postfix(windows=counts.windows, rate=f"{counts.windows / elapsed:.1f} win/s")
            finally:
                results.close()
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
        counts.seconds = time.time() - t0
    return False


def _save(con, job: IndexJob, run: list[RunModel], chosen, work: Work, out, counts: Counts, bar):
    if isinstance(out, FileFailed):
        job.failures.append((work.path, out.message))
        store.save_error(con, work.stat, out.message, run[0].id)
        bar.write(f"tubelet index: error: {out.message}", file=sys.stderr)
    else:
        results = [
            store.ModelResult(m.id, m.tagger.result(out, track=k), work.replaces.get(i, ()))
            for k, (i, m) in enumerate(zip(chosen, run, strict=True))
        ]
        store.save_result(con, work.stat, store.content_hash(work.path), results, fresh=work.fresh)
        counts.indexed += 1
    bar.update()
