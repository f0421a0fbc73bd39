"""Where an experiment or benchmark writes: `<docs>/<name>/` holds its report, its JSON and its pictures together,
so a report's links to its pictures are plain file names and a folder can be moved whole."""

from __future__ import annotations

from pathlib import Path


def report_dir(root: str | Path, name: str) -> Path:
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
