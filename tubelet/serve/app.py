"""`tubelet serve`: the library in a browser, and a JSON API for the same data (FastAPI on uvicorn).

    GET /                         the search page (label suggestions, score and duration filters, thumbnails)
    GET /video/{file_id}          a video page: player, timeline (segments, shots, scores), segments that seek
    GET /api/labels               [{label, segments}]
    GET /api/search?label=...     {hits: [{file, start, end, label, score, duration, video_url, page_url, ...}]}
    GET /api/files/{file_id}      one file: tag's JSON schema plus the library's fields and URLs
    GET /api/thumbnails/{seg_id}  the segment's JPEG
    GET /media/{file_id}          the video itself, with HTTP Range requests (browsers seek with them)
    GET /static/...               the pages' stylesheet and JS modules (web/static)
    /docs, /openapi.json          the API's schema

Routes: api.py (JSON, media) and pages.py (templates); deps.py gives them the read-only connection. The handlers
are coroutines: each query is a fraction of a millisecond on an indexed SQLite file, cheaper to run on the event
loop than to hand to a thread pool (bench/serve_load.py measured both). Errors are JSON without a stack trace.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from ..web.assets import STATIC
from . import api, pages
from .deps import Connections


async def no_trace(request: Request, exc: Exception):  # never a stack trace to a client
    return JSONResponse({"error": "internal error"}, status_code=500)


def create_app(db_path: str | os.PathLike) -> FastAPI:
    app = FastAPI(title="tubelet library", version="1", docs_url="/docs", redoc_url=None)
    app.state.connections = Connections(str(db_path))
    app.add_exception_handler(Exception, no_trace)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
