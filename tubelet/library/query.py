"""Reading the library: ranked segment search, label suggestions, statistics, export.

Search walks the `segments_by_label` index (label, score descending), so the best hits come first without
sorting the table; filters on duration and path apply as it goes (bench/library.py measures it at 100k files).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import asdict, dataclass

MAX_LIMIT = 10_000


@dataclass
class Hit:
    file: str
    start: float
    end: float
    label: str
    score: float
    duration: float
    segment_id: int
    file_id: int
    model: str = ""  # the model whose segment this is

    def to_dict(self) -> dict:
        return asdict(self)


def search(
    con: sqlite3.Connection,
    label: str | list[str],
    *,
    min_score: float = 0.0,
    min_duration: float = 0.0,
    path_glob: str | None = None,
    model: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """Segments labelled `label` (or any of a list of labels), best score first (of one model's, when `model`
    names it)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    wanted = [label] if isinstance(label, str) else list(label)  # may be empty: SQLite's IN () matches nothing
    sql = (
        'SELECT f.path, s.start, s."end", s.label, s.score, s.duration, s.id, f.id AS fid, m.name '
        "FROM segments s INDEXED BY segments_by_label JOIN files f ON f.id = s.file_id "
        "LEFT JOIN models m ON m.id = s.model_id "
        f"WHERE s.label IN ({', '.join('?' * len(wanted))}) AND s.score >= ? AND s.duration >= ?"
    )
    args: list = [*wanted, min_score, min_duration]
    if model:
        sql += " AND m.name = ?"
        args.append(model)
    if path_glob:
        sql += " AND f.path GLOB ?"
        args.append(path_glob if path_glob.startswith(("/", "*")) else f"*{path_glob}")
    sql += " ORDER BY s.score DESC, s.id LIMIT ? OFFSET ?"
    args += [limit, offset]
    return [Hit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "") for r in con.execute(sql, args)]


def labels_for(con: sqlite3.Connection, word: str) -> list[str]:
    """The labels a searched word names in this library: itself, or (models with a word list) every label under
    it ("dog" -> the breeds); see library/words.py."""
    from .words import labels_named

    return labels_named(word, model_names(con), {x["label"] for x in labels(con)})


def model_names(con: sqlite3.Connection) -> list[str]:
    """The models whose results the library holds, first indexed first."""
    rows = con.execute("SELECT DISTINCT m.name FROM tagged t JOIN models m ON m.id = t.model_id ORDER BY m.id")
    return [r[0] for r in rows]


def labels(con: sqlite3.Connection) -> list[dict]:
    """Every segment label with its count, most frequent first (search suggestions)."""
    rows = con.execute("SELECT label, COUNT(*) AS n FROM segments GROUP BY label ORDER BY n DESC, label")
    return [{"label": r["label"], "segments": r["n"]} for r in rows]


def stats(con: sqlite3.Connection) -> dict:
    one = con.execute(
        "SELECT COUNT(*) AS files, COALESCE(SUM(duration), 0) AS seconds, "
        "COALESCE(SUM(size), 0) AS bytes, SUM(status = 'error') AS errors FROM files"
    ).fetchone()
    models = con.execute(
        "SELECT m.name, m.weights_hash, m.settings, COUNT(t.file_id) AS files, "
        "(SELECT COUNT(*) FROM segments s WHERE s.model_id = m.id) AS segments FROM models m "
        "LEFT JOIN tagged t ON t.model_id = m.id GROUP BY m.id ORDER BY files DESC, m.id"
    ).fetchall()
    errors = con.execute("SELECT path, error FROM files WHERE status = 'error' ORDER BY path").fetchall()
    return {
        "files": one["files"],
        "hours": round(one["seconds"] / 3600, 3),
        "bytes": one["bytes"],
        "segments": con.execute("SELECT COUNT(*) FROM segments").fetchone()[0],
        "errors": one["errors"] or 0,
        "labels": labels(con),
        "models": [
            {
                "name": m["name"],
                "weights_hash": m["weights_hash"],
                "settings": json.loads(m["settings"]),
                "files": m["files"],
                "segments": m["segments"],
            }
            for m in models
        ],
        "failed": [{"file": e["path"], "error": e["error"]} for e in errors],
    }


def format_stats(s: dict) -> str:
    lines = [
        f"{s['files']} files ({s['hours']:.2f} h of video, {s['bytes'] / 2**30:.2f} GiB), "
        f"{s['segments']} segments, {s['errors']} failed"
    ]
    for m in s["models"]:
        lines.append(
            f"model {m['name']} ({m['weights_hash']}): {m['files']} files, {m['segments']} segments; "
            f"window {m['settings']['window']}"
            f", shots {m['settings']['shots']}"
        )
    if s["labels"]:
        lines.append("labels: " + ", ".join(f"{x['label']} {x['segments']}" for x in s["labels"]))
    for e in s["failed"][:20]:
        lines.append(f"  failed: {e['file']}: {e['error']}")
    return "\n".join(lines)


def _track(con: sqlite3.Connection, file_id: int, model_id: int, name: str) -> dict:
    """One model's results for a file, in the shape `tag --format jsonl` writes."""
    args = (file_id, model_id)
    return {
        "model": name,
        "labels": [
            {"label": r["label"], "score": r["score"]}
            for r in con.execute(
                "SELECT label, score FROM file_labels WHERE file_id = ? AND model_id = ? ORDER BY rank", args
            )
        ],
        "windows": [
            {"start": w["start"], "end": w["end"], "labels": json.loads(w["labels"])}
            for w in con.execute(
                'SELECT start, "end", labels FROM windows WHERE file_id = ? AND model_id = ? ORDER BY idx', args
            )
        ],
        "segments": [
            {"start": s["start"], "end": s["end"], "label": s["label"], "score": s["score"], "id": s["id"]}
            for s in con.execute(
                'SELECT id, start, "end", label, score FROM segments WHERE file_id = ? AND model_id = ? ORDER BY start',
                args,
            )
        ],
    }


def file_record(con: sqlite3.Connection, file_id: int) -> dict | None:
    """One file as `tag --format jsonl` writes it (the first model's results at the top level, as one model's
    run gives them), every model's in `tracks`, plus the library's fields."""
    f = con.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
    if f is None:
        return None
    models = con.execute(
        "SELECT m.id, m.name FROM tagged t JOIN models m ON m.id = t.model_id WHERE t.file_id = ? ORDER BY m.id",
        (file_id,),
    ).fetchall()
    tracks = [_track(con, file_id, m["id"], m["name"]) for m in models]
    first = tracks[0] if tracks else {"model": None, "labels": [], "windows": [], "segments": []}
    return {
        "file": f["path"],
        "duration": f["duration"],
        **first,
        "shots": [
            {"start": r["start"], "end": r["end"]}
            for r in con.execute('SELECT start, "end" FROM shots WHERE file_id = ? ORDER BY idx', (file_id,))
        ],
        "tracks": tracks,
        "id": f["id"],
        "size": f["size"],
        "mtime_ns": f["mtime_ns"],
        "content_hash": f["content_hash"],
        "fps": f["fps"],
        "width": f["width"],
        "height": f["height"],
        "codec": f["codec"],
        "container": f["container"],
        "status": f["status"],
        "error": f["error"],
        "indexed_at": f["indexed_at"],
    }


def export(con: sqlite3.Connection, fmt: str, out) -> int:
    """jsonl: one object per file (`file_record`); csv: one row per segment. Returns the rows written."""
    ids = [r[0] for r in con.execute("SELECT id FROM files WHERE status = 'ok' ORDER BY path")]
    if fmt == "jsonl":
        for i in ids:
            out.write(json.dumps(file_record(con, i), ensure_ascii=False) + "\n")
        return len(ids)
    if fmt != "csv":
        raise ValueError("export formats: jsonl, csv")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file", "start", "end", "label", "score", "duration", "model"])
    n = 0
    for row in con.execute(
        'SELECT f.path, s.start, s."end", s.label, s.score, s.duration, m.name FROM segments s '
        "JOIN files f ON f.id = s.file_id LEFT JOIN models m ON m.id = s.model_id WHERE f.status = 'ok' "
        "ORDER BY f.path, s.model_id, s.start"
    ):
        w.writerow([row[0], f"{row[1]:.3f}", f"{row[2]:.3f}", row[3], f"{row[4]:.6f}", f"{row[5]:.3f}", row[6]])
        n += 1
    return n


def hits_text(hits: list[Hit], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["file", "start", "end", "label", "score", "duration", "model"])
        for h in hits:
            w.writerow(
                [h.file, f"{h.start:.3f}", f"{h.end:.3f}", h.label, f"{h.score:.6f}", f"{h.duration:.3f}", h.model]
            )
        return buf.getvalue()
    width = max([len(h.file) for h in hits] + [4])
    label_width = max([len(h.label) for h in hits] + [5])
    lines = [f"{'file':<{width}}  {'start':>8}  {'end':>8}  {'score':>6}  {'label':<{label_width}}  model"]
    lines += [
        f"{h.file:<{width}}  {h.start:8.2f}  {h.end:8.2f}  {h.score:6.1%}  {h.label:<{label_width}}  {h.model}"
        for h in hits
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MediaFile:
    """Where an indexed video is, and what it was when indexed (the server serves it only while it still is)."""

    path: str
    size: int
    mtime_ns: int


def video_listed(con: sqlite3.Connection, file_id: int) -> bool:
    """Whether the library holds this file, tagged without error."""
    return con.execute("SELECT 1 FROM files WHERE id = ? AND status = 'ok'", (file_id,)).fetchone() is not None


def media_file(con: sqlite3.Connection, file_id: int) -> MediaFile | None:
    row = con.execute("SELECT path, size, mtime_ns FROM files WHERE id = ? AND status = 'ok'", (file_id,)).fetchone()
    return MediaFile(row["path"], row["size"], row["mtime_ns"]) if row else None


def thumbnail(con: sqlite3.Connection, segment_id: int) -> bytes | None:
    """The JPEG of a segment (taken at the window nearest its middle), if one was stored."""
    row = con.execute("SELECT jpeg FROM thumbnails WHERE segment_id = ?", (segment_id,)).fetchone()
    return bytes(row[0]) if row else None
