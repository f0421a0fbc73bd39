"""The library's SQLite database: opening it safely, its schema, and the migrations from the first version on.

SQLite through Python's standard library, in WAL mode (readers never wait for the writer), foreign keys on,
a busy timeout. `schema_version` holds the version; opening applies the migrations a file lacks, one
transaction each, and refuses a file from a newer tubelet. Every failure to open is a `LibraryError` with one
line for the user (not a database, corrupt, read-only, newer schema, missing).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..errors import TubeletError

DEFAULT_DB = "tubelet-library.db"
ENV_DB = "TUBELET_LIBRARY"

MIGRATIONS = [
    # 1: files, the model that tagged them (files.model_id; since 3 the first of the run's models), windows,
    # segments, file labels, shots
    """
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,             -- weights hash + settings hash: what decides re-tagging
        name TEXT NOT NULL,
        weights_hash TEXT NOT NULL,
        settings TEXT NOT NULL,               -- JSON: window, stride, shots, segment rules, top-k, precision
        tubelet_version TEXT NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,            -- absolute
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT,                    -- sha256 of the size, the first and the last MiB
        duration REAL, fps REAL, width INTEGER, height INTEGER, codec TEXT, container TEXT,
        model_id INTEGER REFERENCES models(id),
        status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        error TEXT,
        indexed_at TEXT NOT NULL
    );
    CREATE TABLE windows (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start REAL NOT NULL, "end" REAL NOT NULL,
        labels TEXT NOT NULL,                 -- JSON top-k [{label, score}]
        PRIMARY KEY (file_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        start REAL NOT NULL, "end" REAL NOT NULL, duration REAL NOT NULL,
        label TEXT NOT NULL, score REAL NOT NULL
    );
    CREATE INDEX segments_by_file ON segments(file_id);
    CREATE TABLE file_labels (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL, label TEXT NOT NULL, score REAL NOT NULL,
        PRIMARY KEY (file_id, rank)
    ) WITHOUT ROWID;
    CREATE TABLE shots (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
        PRIMARY KEY (file_id, idx)
    ) WITHOUT ROWID;
    """,
    # 2: search by label ranked by score; a thumbnail per segment
    """
    CREATE INDEX segments_by_label ON segments(label, score DESC);
    CREATE TABLE thumbnails (
        segment_id INTEGER PRIMARY KEY REFERENCES segments(id) ON DELETE CASCADE,
        jpeg BLOB NOT NULL
    );
    """,
    # 3: several models per file (each model's windows, segments and labels, and which models tagged a file);
    # each window's embedding (float16, L2-normalised) for similarity search
    """
    CREATE TABLE tagged (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id),
        PRIMARY KEY (file_id, model_id)
    ) WITHOUT ROWID;
    INSERT INTO tagged SELECT id, model_id FROM files WHERE status = 'ok' AND model_id IS NOT NULL;
    CREATE TABLE windows_by_model (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id),
        idx INTEGER NOT NULL,
        start REAL NOT NULL, "end" REAL NOT NULL,
        labels TEXT NOT NULL,
        embedding BLOB,
        PRIMARY KEY (file_id, model_id, idx)
    ) WITHOUT ROWID;
    INSERT INTO windows_by_model SELECT w.file_id, f.model_id, w.idx, w.start, w."end", w.labels, NULL
        FROM windows w JOIN files f ON f.id = w.file_id;
    DROP TABLE windows;
    ALTER TABLE windows_by_model RENAME TO windows;
    ALTER TABLE segments ADD COLUMN model_id INTEGER REFERENCES models(id);
    UPDATE segments SET model_id = (SELECT model_id FROM files WHERE files.id = segments.file_id);
    CREATE TABLE labels_by_model (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id),
        rank INTEGER NOT NULL, label TEXT NOT NULL, score REAL NOT NULL,
        PRIMARY KEY (file_id, model_id, rank)
    ) WITHOUT ROWID;
    INSERT INTO labels_by_model SELECT l.file_id, f.model_id, l.rank, l.label, l.score
        FROM file_labels l JOIN files f ON f.id = l.file_id;
    DROP TABLE file_labels;
    ALTER TABLE labels_by_model RENAME TO file_labels;
    """,
]
VERSION = len(MIGRATIONS)


class LibraryError(TubeletError):
    """A library database that cannot be used; one line for the user."""


def default_path() -> str:
    return os.environ.get(ENV_DB, DEFAULT_DB)


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    uri = f"file:{path.resolve().as_posix()}?mode={'ro' if read_only else 'rwc'}"
    if read_only and not (os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)):
        # a WAL database on read-only storage: nobody can be writing it, and SQLite could not create its
        # shared-memory file, so read it as immutable
        uri += "&immutable=1"
    con = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)  # transactions are explicit
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def schema_version(con: sqlite3.Connection) -> int:
    has = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    return con.execute("SELECT version FROM schema_version").fetchone()[0] if has else 0


def migrate(con: sqlite3.Connection, target: int = VERSION) -> int:
    """Apply the migrations the database lacks, one transaction each; returns the version reached."""
    current = schema_version(con)
    for version in range(current + 1, target + 1):
        con.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(con) >= version:  # another process migrated meanwhile
                con.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[version - 1].split(";"):
                if statement.strip():
                    con.execute(statement)
            if version == 1:
                con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                con.execute("INSERT INTO schema_version VALUES (1)")
            else:
                con.execute("UPDATE schema_version SET version = ?", (version,))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return max(current, target)


def open_library(path: str | os.PathLike, *, read_only: bool = False, create: bool = True) -> sqlite3.Connection:
    """A connection to the library at `path`, migrated to this tubelet's schema (read-only: never changed)."""
    path = Path(path)
    if path.is_dir():
        raise LibraryError(f"{path} is a directory, not a library database")
    if not path.exists() and (read_only or not create):
        raise LibraryError(f"no library at {path} (create one with `tubelet index VIDEOS --db {path}`)")
    if not read_only and path.exists() and not os.access(path, os.W_OK):
        raise LibraryError(f"{path} is read-only; tubelet index needs to write it")
    try:
        con = _connect(path, read_only)
        found = schema_version(con)
        if found > VERSION:
            con.close()
            raise LibraryError(
                f"{path} was written by a newer tubelet (schema {found}; this one knows up to "
                f"{VERSION}): upgrade tubelet"
            )
        if read_only:
            if found < VERSION:
                con.close()
                raise LibraryError(f"{path} has schema {found}; run `tubelet index` once to upgrade it to {VERSION}")
            return con
        con.execute("PRAGMA journal_mode = WAL")
        migrate(con)
        return con
    except sqlite3.DatabaseError as e:
        raise LibraryError(f"{path} is not a usable library database ({e})") from None
