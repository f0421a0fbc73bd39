"""The models shipped inside the package (tubelet/models/), so they work offline: `camera-motion` (how the camera
moves; what `tubelet tag` uses when --model is not given), `imagenet` (what is in the frames: EfficientNet-Lite0
with its ImageNet-1k weights) and `video-text` (a video-language model trained here: labels typed at run time,
what `tubelet tag --labels` uses when --model is not given). A bundled model's name works wherever a model folder
does (`--model imagenet`)."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
BUNDLED = ("camera-motion", "imagenet", "video-text")
INDEX_DEFAULT = ("camera-motion", "imagenet")  # what `index` runs without --model (labels need no typing)
VIDEO_TEXT = "video-text"  # what `tag --labels` runs without --model
BUNDLED_DIR = MODELS_DIR / "camera-motion"  # the default model's folder


def bundled_model_path(name: str = "camera-motion") -> Path | None:
    """A bundled model's folder, or None when this build ships none by that name."""
    folder = BUNDLED_DIR if name == "camera-motion" else MODELS_DIR / name
    return folder if name in BUNDLED and (folder / "config.json").exists() else None
