"""`tubelet index`: tag every video under some paths into the library, incrementally and exactly once.

- Which files need work: new ones; changed ones (size or mtime moved and the content hash differs: a touched
  file whose bytes are the same keeps its results); files tagged by another model or other settings only with
  `retag`; failed ones again. `prune` drops the rows of files that are gone.
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
from ..engine.messages import FileFailed, RayOptions
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
    model: str = ""
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
def _plan(job: IndexJob, con, model: int) -> tuple[list[str], dict, Counts]:
    paths, problems = find_videos(job.inputs)
    for item, message in problems:
        job.failures.append((item, message))
    known, counts, todo, stats = store.known_files(con), Counts(), [], {}
    for p in paths:
        path = str(Path(p).absolute())
        try:
            stat = store.FileStat.of(path)
        except OSError:
            stats[path] = store.FileStat(path, 0, 0)
            todo.append(path)  # decoding reports it, and the error is recorded
            continue
        row = known.get(path)
        if row is not None and row["status"] == "ok":
            if row["model_id"] != model and not job.retag:
                counts.other_model += 1
                continue
            if row["model_id"] == model and (row["size"], row["mtime_ns"]) == (stat.size, stat.mtime_ns):
                counts.unchanged += 1
                continue
            if row["model_id"] == model and row["content_hash"] == store.content_hash(path):
                store.touch(con, row["id"], stat)
                counts.unchanged += 1
                continue
        stats[path] = stat
        todo.append(path)
    return todo, stats, counts


def run_index(job: IndexJob, tagger: Tagger, model_name: str) -> tuple[int, Counts]:
    window = tagger.resolve_window(job.window)
    with WriterLock(job.db):
        con = open_library(job.db)
        try:
            settings = tagger.settings(window, job.stride)
            whash = weights_hash(model_name)
            key = hashlib.sha256(f"{whash}|{json.dumps(settings, sort_keys=True)}".encode()).hexdigest()[:16]
            model = store.model_id(
                con, key=key, name=model_name, weights_hash=whash, settings=settings, tubelet_version=VERSION
            )
            if job.prune:
                pruned = store.prune(con)
            todo, stats, counts = _plan(job, con, model)
            counts.pruned = len(pruned) if job.prune else 0
            interrupted = _tag_all(job, tagger, con, model, todo, stats, counts, window)
        finally:
            con.close()
    return (130 if interrupted else 1 if job.failures else 0), counts


def _ray_options(job: IndexJob, tagger: Tagger) -> RayOptions | None:
    if job.ray is None:
        return None
    return RayOptions(
        (tagger.spec(job.model),), address=job.ray if isinstance(job.ray, str) else None, ship=job.ray_ship
    )


def _tag_all(job, tagger, con, model, todo, stats, counts, window) -> bool:
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

    engine = tagger.engine(window, job.stride, thumbnails=True)
    results = engine.run(todo, workers=job.workers, ray=_ray_options(job, tagger), on_window=windows_done)
    try:
        for out in results:
            path = todo[out.index]
            if isinstance(out, FileFailed):
                job.failures.append((path, out.message))
                store.save_error(con, stats[path], out.message, model)
                bar.write(f"tubelet index: error: {out.message}", file=sys.stderr)
            else:
                store.save_result(con, stats[path], store.content_hash(path), model, tagger.result(out))
                counts.indexed += 1
            bar.update()
            elapsed = max(time.time() - t0, 1e-9)
            bar.set_postfix(windows=counts.windows, rate=f"{counts.windows / elapsed:.1f} win/s")
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
        counts.seconds = time.time() - t0
        results.close()
    return False
