"""Writing the library: one transaction per file, so a file is in the database whole or not at all.

`save_result` replaces everything known about a path (metadata, windows, segments, labels, shots, thumbnails)
in one `BEGIN IMMEDIATE ... COMMIT`; a process killed at any moment leaves the previous state of that file or
the new one, never a mix, and `path` is UNIQUE, so no file is ever listed twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from ..tag.results import TagResult

MIB = 2**20


@dataclass(frozen=True)
class FileStat:
    path: str  # absolute
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> "FileStat":
        p = Path(path).absolute()
        st = p.stat()
        return cls(str(p), st.st_size, st.st_mtime_ns)


def content_hash(path: str | os.PathLike) -> str:
    """sha256 of the size, the first MiB and the last MiB: cheap on big files, and a rewritten file changes it."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        h.update(str(size).encode())
        f.seek(0)
        h.update(f.read(MIB))
        if size > MIB:
            f.seek(max(MIB, size - MIB))
            h.update(f.read(MIB))
    return h.hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def model_id(
    con: sqlite3.Connection, *, key: str, name: str, weights_hash: str, settings: dict, tubelet_version: str
) -> int:
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(
            "INSERT OR IGNORE INTO models (key, name, weights_hash, settings, tubelet_version) VALUES (?, ?, ?, ?, ?)",
            (key, name, weights_hash, json.dumps(settings, sort_keys=True), tubelet_version),
        )
        row = con.execute("SELECT id FROM models WHERE key = ?", (key,)).fetchone()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return row["id"]


def known_files(con: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    rows = con.execute("SELECT id, path, size, mtime_ns, content_hash, model_id, status FROM files").fetchall()
    return {r["path"]: r for r in rows}


def tagged_by(con: sqlite3.Connection) -> dict[int, set[int]]:
    """file id -> the ids of the models whose results the library holds for it."""
    out: dict[int, set[int]] = {}
    for file_id, model in con.execute("SELECT file_id, model_id FROM tagged"):
        out.setdefault(file_id, set()).add(model)
    return out


def _upsert_file(
    con, stat: FileStat, digest: str | None, model: int | None, status: str, error: str | None, info=None
) -> int:
    meta = (info.duration, info.fps, info.width, info.height, info.codec, info.container) if info else (None,) * 6
    row = con.execute(
        "INSERT INTO files (path, size, mtime_ns, content_hash, duration, fps, width, height, codec, container, "
        "model_id, status, error, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
        "content_hash = excluded.content_hash, duration = excluded.duration, fps = excluded.fps, "
        "width = excluded.width, height = excluded.height, codec = excluded.codec, container = excluded.container, "
        "model_id = excluded.model_id, status = excluded.status, error = excluded.error, "
        "indexed_at = excluded.indexed_at RETURNING id",
        (stat.path, stat.size, stat.mtime_ns, digest, *meta, model, status, error, now()),
    ).fetchone()
    return row["id"]


def _forget(con, file_id: int, models: Sequence[int] | None):
    """Drop a file's results: of these models, or (None) of every model, its shots included."""
    if models is None:
        for table in ("windows", "segments", "file_labels", "shots", "tagged"):  # thumbnails go with segments
            con.execute(f"DELETE FROM {table} WHERE file_id = ?", (file_id,))
        return
    for table in ("windows", "segments", "file_labels", "tagged"):
        con.executemany(f"DELETE FROM {table} WHERE file_id = ? AND model_id = ?", [(file_id, m) for m in models])


@dataclass
class ModelResult:
    """One model's results for one file, as the library stores them."""

    model_id: int
    result: TagResult
    replaces: tuple[int, ...] = ()  # earlier models of the same name whose results these replace (--retag)


def _embedding_blob(result: TagResult, i: int) -> bytes | None:
    if result.embeddings is None:
        return None
    return (
        result.embeddings[i].float().div(result.embeddings[i].float().norm().clamp_min(1e-12)).half().numpy().tobytes()
    )


def _save_model(con, file_id: int, m: ModelResult):
    result = m.result
    con.executemany(
        'INSERT INTO windows (file_id, model_id, idx, start, "end", labels, embedding) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
            (
                file_id,
                m.model_id,
                i,
                w.start,
                w.end,
                json.dumps([x.to_json() for x in w.labels]),
                _embedding_blob(result, i),
            )
            for i, w in enumerate(result.windows)
        ],
    )
    con.executemany(
        "INSERT INTO file_labels (file_id, model_id, rank, label, score) VALUES (?, ?, ?, ?, ?)",
        [(file_id, m.model_id, i, x.label, x.score) for i, x in enumerate(result.labels)],
    )
    centres = [w.centre for w in result.windows]
    for s in result.segments:
        cur = con.execute(
            'INSERT INTO segments (file_id, model_id, start, "end", duration, label, score) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_id, m.model_id, s.start, s.end, round(s.end - s.start, 3), s.label, s.score),
        )
        middle = (s.start + s.end) / 2
        nearest = min(range(len(centres)), key=lambda i: abs(centres[i] - middle)) if centres else None
        if nearest in result.thumbnails:
            con.execute(
                "INSERT INTO thumbnails (segment_id, jpeg) VALUES (?, ?)", (cur.lastrowid, result.thumbnails[nearest])
            )
    con.execute("INSERT INTO tagged (file_id, model_id) VALUES (?, ?)", (file_id, m.model_id))


def save_result(
    con: sqlite3.Connection, stat: FileStat, digest: str, results: Sequence[ModelResult], fresh: bool = True
):
    """Everything one run learnt about one file, in one transaction. `fresh` (a new or changed file): every
    model's old results go; else (models added to a file the library has) only the rows these models replace."""
    con.execute("BEGIN IMMEDIATE")
    try:
        first = results[0]
        file_id = _upsert_file(con, stat, digest, first.model_id, "ok", None, first.result.info)
        _forget(con, file_id, None if fresh else [x for m in results for x in (m.model_id, *m.replaces)])
        if fresh or not con.execute("SELECT 1 FROM shots WHERE file_id = ?", (file_id,)).fetchone():
            con.executemany(
                'INSERT INTO shots (file_id, idx, start, "end") VALUES (?, ?, ?, ?)',
                [(file_id, i, s.start, s.end) for i, s in enumerate(first.result.shots or [])],
            )
        for m in results:
            _save_model(con, file_id, m)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def save_error(con: sqlite3.Connection, stat: FileStat, message: str, model: int | None):
    """A file that could not be tagged: recorded (and reported at the end), its old results dropped."""
    con.execute("BEGIN IMMEDIATE")
    try:
        _forget(con, _upsert_file(con, stat, None, model, "error", message), None)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def touch(con: sqlite3.Connection, file_id: int, stat: FileStat):
    """A file whose mtime changed but whose content did not: remember the new mtime, keep the results."""
    con.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (stat.size, stat.mtime_ns, file_id))


def prune(con: sqlite3.Connection) -> list[str]:
    """Drop the files that no longer exist on disk; returns their paths."""
    gone = [r["path"] for r in con.execute("SELECT path FROM files") if not os.path.exists(r["path"])]
    con.execute("BEGIN IMMEDIATE")
    try:
        con.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return gone
