"""The model `tubelet tag` uses when --model is not given: shipped inside the package, so it works offline."""
from __future__ import annotations

from pathlib import Path

DEFAULT_DIR = Path(__file__).parent / "models" / "camera-motion"


def default_model_path() -> Path | None:
    return DEFAULT_DIR if (DEFAULT_DIR / "config.json").exists() else None
