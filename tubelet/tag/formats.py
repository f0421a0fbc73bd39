"""`tag --format NAME`: the whole document of one output format, and the file extension it gets."""

from __future__ import annotations

from pathlib import Path

from ..constants import OUTPUT_FORMATS
from .html import page
from .results import TagResult
from .writers import csv_doc, json_doc, jsonl_line, srt, table, vtt

EXTENSIONS = {
    "json": ".json",
    "jsonl": ".jsonl",
    "csv": ".csv",
    "srt": ".srt",
    "vtt": ".vtt",
    "html": ".html",
    "table": ".txt",
}
PER_FILE = ("srt", "vtt", "html")  # formats that hold one video each


def render(fmt: str, results: list[TagResult], out_path: Path | None = None) -> str:
    """The whole document for `fmt` (html needs the output path to link the video relative to it)."""
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")
    if fmt == "table":
        return "\n".join(table(r) for r in results)
    if fmt == "json":
        return json_doc(results)
    if fmt == "jsonl":
        return "".join(jsonl_line(r) for r in results)
    if fmt == "csv":
        return csv_doc(results)
    if len(results) != 1:
        raise ValueError(f"{fmt} holds one file; give -o DIR to write one per input")
    if fmt == "srt":
        return srt(results[0])
    if fmt == "vtt":
        return vtt(results[0])
    return page(results[0], out_path)
