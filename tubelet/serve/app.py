"""`tubelet serve`: the library in a browser, and a JSON API for the same data (FastAPI on uvicorn).

    GET /                         the search page (label suggestions, score and duration filters, thumbnails)
    GET /video/{file_id}          a video page: player, timeline (segments, shots, scores), segments that seek
    GET /api/labels               [{label, segments}]
    GET /api/search?label=...     {hits: [{file, start, end, label, score, duration, video_url, page_url, ...}]}
    GET /api/files/{file_id}      one file: tag's JSON schema plus the library's fields and URLs
    GET /api/thumbnails/{seg_id}  the segment's JPEG
    GET /media/{file_id}          the video itself, with HTTP Range requests (browsers seek with them)
    /docs, /openapi.json          the API's schema

The handlers are coroutines: each query is a fraction of a millisecond on an indexed SQLite file, cheaper to run
on the event loop than to hand to a thread pool (bench/serve_load.py measured both). Safety: the database is
opened read-only; a request names files only by their id in the database, so no path
from a request ever reaches the file system; a file is served only while it is the regular file the library
indexed (same size and mtime: one replaced by something else since, a symlink to elsewhere included, is
refused); limits are bounded; errors are JSON without a stack trace.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from ..library.db import open_library
from ..library.query import file_record, labels, search
from .pages import SEARCH_PAGE, VIDEO_PAGE

MAX_RESULTS = 200
MEDIA_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
               ".mkv": "video/x-matroska", ".ogv": "video/ogg", ".avi": "video/x-msvideo", ".gif": "image/gif"}


def create_app(db_path: str | os.PathLike) -> FastAPI:
    db_path = str(db_path)
    open_library(db_path, read_only=True).close()          # fail at start, with one line, if it is not usable
    local = threading.local()

    def con() -> sqlite3.Connection:
        if getattr(local, "con", None) is None:
            local.con = open_library(db_path, read_only=True)
        return local.con

    app = FastAPI(title="tubelet library", version="1", docs_url="/docs", redoc_url=None)

    @app.exception_handler(Exception)
    async def no_trace(request: Request, exc: Exception):          # never a stack trace to a client
        return JSONResponse({"error": "internal error"}, status_code=500)

    def urls(file_id: int, start: float | None = None, segment_id: int | None = None) -> dict:
        out = {"video_url": f"/media/{file_id}" + (f"#t={start:.3f}" if start is not None else ""),
               "page_url": f"/video/{file_id}" + (f"?t={start:.3f}" if start is not None else "")}
        if segment_id is not None:
            out["thumbnail_url"] = f"/api/thumbnails/{segment_id}"
        return out

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def search_page():
        return SEARCH_PAGE

    @app.get("/video/{file_id}", response_class=HTMLResponse, include_in_schema=False)
    async def video_page(file_id: int):
        if con().execute("SELECT 1 FROM files WHERE id = ? AND status = 'ok'", (file_id,)).fetchone() is None:
            raise HTTPException(404, "no such video")
        return VIDEO_PAGE

    @app.get("/api/labels")
    async def api_labels():
        return labels(con())

    @app.get("/api/search")
    async def api_search(label: str = Query(..., min_length=1, max_length=100),
                   min_score: float = Query(0.0, ge=0.0, le=1.0), min_duration: float = Query(0.0, ge=0.0, le=86400),
                   path: str | None = Query(None, max_length=200), limit: int = Query(20, ge=1, le=MAX_RESULTS),
                   offset: int = Query(0, ge=0, le=100_000)):
        hits = search(con(), label, min_score=min_score, min_duration=min_duration, path_glob=path, limit=limit,
                      offset=offset)
        return {"label": label, "hits": [{**h.to_dict(), **urls(h.file_id, h.start, h.segment_id)} for h in hits]}

    @app.get("/api/files/{file_id}")
    async def api_file(file_id: int):
        record = file_record(con(), file_id)
        if record is None or record["status"] != "ok":
            raise HTTPException(404, "no such video")
        for s in record["segments"]:
            s.update(urls(file_id, s["start"], s["id"]))
        return {**record, **urls(file_id)}

    @app.get("/api/thumbnails/{segment_id}")
    async def api_thumbnail(segment_id: int):
        row = con().execute("SELECT jpeg FROM thumbnails WHERE segment_id = ?", (segment_id,)).fetchone()
        if row is None:
            raise HTTPException(404, "no thumbnail")
        return Response(bytes(row[0]), media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @app.api_route("/media/{file_id}", methods=["GET", "HEAD"])
    async def media(file_id: int):
        row = con().execute("SELECT path, size, mtime_ns FROM files WHERE id = ? AND status = 'ok'",
                            (file_id,)).fetchone()
        if row is None:
            raise HTTPException(404, "no such video")
        path = Path(row["path"])
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            raise HTTPException(404, "the video is no longer where it was indexed") from None
        if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) != (row["size"], row["mtime_ns"]):
            raise HTTPException(409, "the file changed since it was indexed; run tubelet index again")
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"))

    return app
