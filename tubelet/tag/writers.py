"""Tagging results as text people use: a terminal table, JSON / JSON Lines, CSV, SRT and WebVTT subtitles."""

from __future__ import annotations

import csv
import io
import json

from .results import Segment, TagResult


def clock(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def table(r: TagResult) -> str:
    lines = [f"{r.file}  ({r.duration:.2f} s, {len(r.windows)} window{'s' * (len(r.windows) != 1)}, model {r.model})"]
    width = max([len(x.label) for x in r.labels] + [5])
    for x in r.labels:
        bar = "#" * int(round(x.score * 20))
        lines.append(f"  {x.label:<{width}}  {x.score:6.1%}  {bar}")
    if len(r.windows) > 1:
        lines.append("  timeline:")
        for s in r.segments:
            lines.append(f"    {clock(s.start)} - {clock(s.end)}  {s.label:<{width}}  {s.score:6.1%}")
        if not r.segments:
            lines.append("    (no segment reaches --min-score)")
    return "\n".join(lines) + "\n"


def json_doc(results: list[TagResult]) -> str:
    docs = [r.to_json() for r in results]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False) + "\n"


def jsonl_line(r: TagResult) -> str:
    return json.dumps(r.to_json(), ensure_ascii=False) + "\n"


CSV_HEADER = ["file", "start", "end", "rank", "label", "score"]


def csv_rows(r: TagResult) -> str:
    """One row per window and top-k label; spreadsheets and pandas read it as is."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for win in r.windows:
        for rank, x in enumerate(win.labels, 1):
            w.writerow([r.file, f"{win.start:.3f}", f"{win.end:.3f}", rank, x.label, f"{x.score:.6f}"])
    return buf.getvalue()


def csv_doc(results: list[TagResult]) -> str:
    return ",".join(CSV_HEADER) + "\n" + "".join(csv_rows(r) for r in results)


def _cue_text(s: Segment) -> str:
    return f"{s.label} ({s.score:.0%})"


def srt(r: TagResult) -> str:
    cues = [
        f"{i}\n{clock(s.start, ',')} --> {clock(s.end, ',')}\n{_cue_text(s)}\n" for i, s in enumerate(r.segments, 1)
    ]
    return "\n".join(cues)


def vtt(r: TagResult) -> str:
    cues = [f"{clock(s.start)} --> {clock(s.end)}\n{_cue_text(s)}\n" for s in r.segments]
    return "WEBVTT\n\n" + "\n".join(cues)
