"""`tubelet index`: tag every video under some paths into the library, incrementally and exactly once.

- Which files need work: new ones; changed ones (size or mtime moved and the content hash differs: a touched
  file whose bytes are the same keeps its results); files tagged by another model or other settings only with
  `retag`; failed ones again. `prune` drops the rows of files that are gone.
- Decoding (one forward pass per file: window frames, cuts, thumbnails) runs in this process (`workers=0`) or in
  N worker processes, while this process runs the model on batches of windows across files and writes each file
  in one transaction as soon as its last window is classified (library/store.py).
- One writer per database: a second `index` on the same database is refused while the first runs (an advisory
  lock the kernel releases when the holder dies, even by kill -9).
- Ctrl-C / SIGTERM: the files finished so far are in the database; run again to go on.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing as mp
import queue
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..checkpoints.files import WEIGHT_FILES, resolve
from ..constants import VERSION
from ..tag.reader import ClipReader, DecodedExtras
from ..tag.tagger import Tagger
from ..video.decode import VideoError, find_videos, probe
from ..video.sampling import plan_windows
from . import store
from .db import LibraryError, open_library


@dataclass
class IndexJob:
    inputs: list[str]
    db: str
    window: float | str | None = None
    stride: float | None = None
    shots: bool = True
    workers: int = 0
    ray: str | bool | None = None        # None: no Ray; True: start or join a local instance; str: its address
    ray_ship: bool = False               # send file bytes through Ray's object store (no shared filesystem)
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
                    for block in iter(lambda: f.read(2 ** 22), b""):
                        h.update(block)
    return h.hexdigest()[:16]


def model_settings(tagger: Tagger, job: IndexJob, window) -> dict:
    return {"window": window, "stride": job.stride, "shots": job.shots, "segment_rules": tagger.rules.to_dict(),
            "top_k": tagger.k, "single_view": tagger.views is None}


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
            raise LibraryError(f"another `tubelet index` is writing {self.path.with_suffix('')} right now; "
                               "wait for it to finish (searching is fine meanwhile)") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


# --- decoding (here or in worker processes) -------------------------------------------------------------------
def decode_file(reader: ClipReader, index: int, path: str, window, stride, shots: bool):
    """Messages for one file: ("window", i, w, frames)..., then ("done", i, info, spans, extras) or ("error", ...)."""
    try:
        info = probe(path)
        spans = plan_windows(info.duration, None if window == "file" else window, stride)
        extras = DecodedExtras()
        for w, clip in reader.windows(path, info, spans, shots=shots, thumbnails=True, extras=extras):
            yield "window", index, w, clip
        yield "done", index, info, spans, extras
    except VideoError as e:
        yield "error", index, str(e)
    except Exception as e:          # one bad file never stops the run; its error is recorded
        yield "error", index, f"{type(e).__name__}: {e}".splitlines()[0]


def _worker(reader, tasks, results, window, stride, shots):
    import torch
    torch.set_num_threads(1)
    while (task := tasks.get()) is not None:
        for message in decode_file(reader, *task, window, stride, shots):
            if message[0] == "window":      # as numpy: torch would share the tensor through this process's
                message = (*message[:3], message[3].numpy())    # file descriptors, gone once it exits
            results.put(message)


def _in_process(reader, todo, window, stride, shots):
    for i, path in enumerate(todo):
        yield from decode_file(reader, i, path, window, stride, shots)


def _in_workers(reader, todo, window, stride, shots, workers: int):
    ctx = mp.get_context("spawn")
    tasks, results = ctx.Queue(), ctx.Queue(maxsize=8 * workers)      # bounded: decoding waits for the model
    procs = [ctx.Process(target=_worker, args=(reader, tasks, results, window, stride, shots), daemon=True)
             for _ in range(workers)]
    for p in procs:
        p.start()
    for i, path in enumerate(todo):
        tasks.put((i, path))
    for _ in procs:
        tasks.put(None)
    finished = 0
    try:
        while finished < len(todo):
            try:
                message = results.get(timeout=5)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    raise RuntimeError("every decode worker died") from None
                continue
            finished += message[0] != "window"
            yield message
    finally:
        for p in procs:
            p.terminate()
            p.join(timeout=5)


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
            todo.append(path)             # decoding reports it, and the error is recorded
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
    window = tagger.default_window if job.window is None else job.window
    with WriterLock(job.db):
        con = open_library(job.db)
        try:
            settings = model_settings(tagger, job, window)
            whash = weights_hash(model_name)
            key = hashlib.sha256(f"{whash}|{json.dumps(settings, sort_keys=True)}".encode()).hexdigest()[:16]
            model = store.model_id(con, key=key, name=model_name, weights_hash=whash, settings=settings,
                                   tubelet_version=VERSION)
            if job.prune:
                pruned = store.prune(con)
            todo, stats, counts = _plan(job, con, model)
            counts.pruned = len(pruned) if job.prune else 0
            interrupted = _tag_all(job, tagger, con, model, todo, stats, counts, window)
        finally:
            con.close()
    return (130 if interrupted else 1 if job.failures else 0), counts


def _tag_all(job, tagger, con, model, todo, stats, counts, window) -> bool:
    from tqdm import tqdm
    t0 = time.time()
    shots = job.shots
    if job.ray is not None:
        from .on_ray import on_ray
        messages = on_ray(todo, address=job.ray if isinstance(job.ray, str) else None, model=job.model,
                          precision=tagger.precision, batch_size=tagger.batch_size, single_view=tagger.views is None,
                          window=window, stride=job.stride, shots=shots, ship=job.ray_ship)
    elif job.workers > 0:
        messages = _in_workers(tagger.reader, todo, window, job.stride, shots, job.workers)
    else:
        messages = _in_process(tagger.reader, todo, window, job.stride, shots)
    bar = tqdm(total=len(todo), unit="file", desc="index", file=sys.stderr, dynamic_ncols=True,
               disable=(not job.progress) if job.progress is not None else None)
    pending: list[tuple[int, int, object]] = []           # (file, window, frames) waiting for a batch
    probs: dict[int, dict] = {}
    tagger.shots = shots

    def classify(force=False):
        while pending and (force or len(pending) >= tagger.batch_size):
            batch, pending[:] = pending[:tagger.batch_size], pending[tagger.batch_size:]
            for (i, w, _), p in zip(batch, tagger.classify([clip for _, _, clip in batch])):
                probs.setdefault(i, {})[w] = p
            counts.windows += len(batch)

    try:
        for message in messages:
            kind, i = message[0], message[1]
            path = todo[i]
            if kind == "window":
                pending.append((i, message[2], torch.as_tensor(message[3])))
                classify()
                continue
            if kind in ("done", "tagged"):
                if kind == "done":          # decoded here or in a worker process: its windows are classified here
                    _, _, info, spans, extras = message
                    classify(force=True)
                    mine = probs.pop(i, {})
                    p = torch.stack([mine[w] for w in range(len(spans))])
                else:                       # tagged whole on a Ray worker
                    _, _, info, spans, p, extras = message
                    counts.windows += len(spans)
                result = tagger.result(path, info, spans, p, 0.0, extras)
                store.save_result(con, stats[path], store.content_hash(path), model, result)
                counts.indexed += 1
            else:
                probs.pop(i, None)
                job.failures.append((path, message[2]))
                store.save_error(con, stats[path], message[2], model)
                bar.write(f"tubelet index: error: {message[2]}", file=sys.stderr)
            bar.update()
            elapsed = max(time.time() - t0, 1e-9)
            bar.set_postfix(windows=counts.windows, rate=f"{counts.windows / elapsed:.1f} win/s")
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
        counts.seconds = time.time() - t0
        close = getattr(messages, "close", None)
        if close:
            close()
    return False
