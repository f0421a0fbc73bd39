"""The JSON API of `tubelet serve` (the pages read the same endpoints), and the media and thumbnail bytes.

Safety: a request names files only by their id in the database, so no path from a request ever reaches the file
system; a file is served only while it is the regular file the library indexed (same size and mtime: one replaced
by something else since, a symlink to elsewhere included, is refused); limits are bounded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, Response

from ..library import query
from .deps import Library

MAX_RESULTS = 200
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".ogv": "video/ogg",
    ".avi": "video/x-msvideo",
    ".gif": "image/gif",
}

router = APIRouter()


def urls(file_id: int, start: float | None = None, segment_id: int | None = None) -> dict:
    out = {
        "video_url": f"/media/{file_id}" + (f"#t={start:.3f}" if start is not None else ""),
        "page_url": f"/video/{file_id}" + (f"?t={start:.3f}" if start is not None else ""),
    }
    if segment_id is not None:
        out["thumbnail_url"] = f"/api/thumbnails/{segment_id}"
    return out


@router.get("/api/labels")
async def api_labels(con: Library):
    return query.labels(con)


@router.get("/api/words")
async def api_words(con: Library):
    """General words that name several of the library's labels ("dog", "vehicle"), for search suggestions."""
    from ..library.words import vocabulary

    return vocabulary(query.model_names(con), {x["label"] for x in query.labels(con)})


@router.get("/api/search")
async def api_search(
    con: Library,
    label: str = Query(..., min_length=1, max_length=100),
    min_score: float = Query(0.0, ge=0.0, le=1.0),
    min_duration: float = Query(0.0, ge=0.0, le=86400),
    path: str | None = Query(None, max_length=200),
    limit: int = Query(20, ge=1, le=MAX_RESULTS),
    offset: int = Query(0, ge=0, le=100_000),
):
    named = query.labels_for(con, label)  # the label itself, or every label under a general word
    hits = query.search(
        con, named, min_score=min_score, min_duration=min_duration, path_glob=path, limit=limit, offset=offset
    )
    return {
        "label": label,
        "labels": named,
        "hits": [{**h.to_dict(), **urls(h.file_id, h.start, h.segment_id)} for h in hits],
    }


@router.get("/api/files/{file_id}")
async def api_file(file_id: int, con: Library):
    record = query.file_record(con, file_id)
    if record is None or record["status"] != "ok":
        raise HTTPException(404, "no such video")
    for s in record["segments"]:
        s.update(urls(file_id, s["start"], s["id"]))
    return {**record, **urls(file_id)}


@router.get("/api/thumbnails/{segment_id}")
async def api_thumbnail(segment_id: int, con: Library):
    jpeg = query.thumbnail(con, segment_id)
    if jpeg is None:
        raise HTTPException(404, "no thumbnail")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.api_route("/media/{file_id}", methods=["GET", "HEAD"])
async def media(file_id: int, con: Library):
    found = query.media_file(con, file_id)
    if found is None:
        raise HTTPException(404, "no such video")
    path = Path(found.path)
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        raise HTTPException(404, "the video is no longer where it was indexed") from None
    if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) != (found.size, found.mtime_ns):
        raise HTTPException(409, "the file changed since it was indexed; run tubelet index again")
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"))
