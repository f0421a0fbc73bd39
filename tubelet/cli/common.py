"""What every command group of the command line shares: the usage error, the bundled-model default, the device."""
from __future__ import annotations

from ..errors import TubeletError


class UsageError(TubeletError):
    """A bad combination of options; one line for the user."""


def default_model() -> str:
    """--model when none is given: the camera-motion model shipped in the package."""
    from ..checkpoints.bundled import bundled_model_path
    path = bundled_model_path()
    if path is None:
        raise UsageError("no default model is bundled in this version; pass --model FOLDER_OR_HUB_ID")
    return str(path)


def resolve_device(device: str | None) -> str:
    """--device when none is given: the GPU if torch sees one, else the CPU (decided when the command runs, so
    building the parser never imports torch)."""
    if device:
        return device
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


def progress_choice(args) -> bool | None:
    """--progress forces the bar, -q hides it, neither: a bar only when stderr is a terminal."""
    return True if getattr(args, "progress", False) else (False if args.quiet else None)
