"""The two pages of `tubelet serve`, from templates (web/templates): each is a shell that its JS module fills
from the JSON API with textContent, so no library data is ever parsed as HTML; nothing is fetched from elsewhere."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from ..library.query import video_listed
from ..web.assets import render
from .deps import Library

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def search_page():
    return render("search.html", inline=False, script="search.js")


@router.get("/video/{file_id}", response_class=HTMLResponse)
async def video_page(file_id: int, con: Library):
    if not video_listed(con, file_id):
        raise HTTPException(404, "no such video")
    return render("video.html", inline=False, script="video.js", file_id=file_id, video_src=None, shots=True)
