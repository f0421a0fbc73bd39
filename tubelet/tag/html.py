"""`tag --format html`: one self-contained page per tagged file (the video linked by relative path; the library's
stylesheet and JS modules inlined, nothing fetched). The page carries the result as JSON and draws it with the
same modules as `tubelet serve`'s video page (web/static/file.js, timeline.js)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from ..web.assets import inline_module, render, static_text
from .results import TagResult


def video_href(video: str, out_path: Path | None) -> str:
    target = Path(video).resolve()
    if out_path is None:
        return target.as_uri()
    return quote(os.path.relpath(target, Path(out_path).resolve().parent).replace(os.sep, "/"))


def page(r: TagResult, out_path: Path | None = None) -> str:
    index = {v: k for k, v in r.id2label.items()}
    series = [
        {"label": x.label, "scores": [round(float(p), 6) for p in r.probs[:, index[x.label]]]}
        for x in r.labels
        if x.label in index and r.probs is not None
    ]
    windows = f"{len(r.windows)} window{'s' * (len(r.windows) != 1)}"
    return render(
        "report.html",
        inline=True,
        stylesheet=static_text("style.css"),
        script=inline_module("report.js"),
        name=Path(r.file).name,
        duration=r.duration,
        windows=windows,
        model=r.model,
        video_src=video_href(r.file, out_path),
        shots=r.shots is not None,
        result={"doc": r.to_json(), "series": series},
    )
