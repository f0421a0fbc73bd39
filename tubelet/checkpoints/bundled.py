"""The model `tubelet tag` uses when --model is not given: shipped inside the package (tubelet/models/), so it
works offline."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "models" / "camera-motion"


def bundled_model_path() -> Path | None:
    """The bundled model's folder, or None when this build ships none."""
    return BUNDLED_DIR if (BUNDLED_DIR / "config.json").exists() else None
