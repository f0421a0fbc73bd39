"""Checkpoint folders on disk: find them, read their tensors safely, write them atomically.

A folder holds `config.json`, weights as `model.safetensors` (or sharded with
`model.safetensors.index.json`) or legacy `pytorch_model.bin` (loaded with `weights_only=True`, so no
code in it runs), and optionally `preprocessor_config.json`. A Hugging Face hub id resolves through
`huggingface_hub`'s standard cache and works offline (`HF_HUB_OFFLINE=1`) once cached.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..atomic import atomic_write
from ..errors import TubeletError


class CheckpointError(TubeletError):
    """A checkpoint that cannot be found, read or understood; the message is one line for the user."""


WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def resolve(path_or_id: str | os.PathLike) -> Path:
    """A local folder, or a hub id (`org/name`) found in (or, when online, fetched into) the HF cache."""
    p = Path(path_or_id).expanduser()
    if p.is_dir():
        return p
    if p.exists():
        raise CheckpointError(f"{p} is a file; expected a checkpoint folder with config.json")
    name = str(path_or_id)
    from .bundled import bundled_model_path

    bundled = bundled_model_path(name)  # a bundled model by name: camera-motion, imagenet
    if bundled is not None:
        return bundled
    if name.count("/") != 1 or name.startswith((".", "/")):
        raise CheckpointError(f"model folder not found: {name}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CheckpointError(f"{name} is not a local folder and huggingface_hub is not installed") from None
    try:
        folder = Path(snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "merges.txt"]))
        if not any((folder / f).exists() for f in WEIGHT_FILES[:2]):
            folder = Path(snapshot_download(name, allow_patterns=["*.json", "*.bin", "merges.txt"]))
    except Exception as e:  # offline cache miss, unknown repo, network failure: all one line to the user
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        where = "in the offline Hugging Face cache" if offline else "locally or on the Hugging Face hub"
        raise CheckpointError(f"model {name!r} not found {where} ({type(e).__name__})") from None
    return folder


def read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path.parent} has no {path.name}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} is not valid JSON ({e})") from None


def _read_one(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        sd = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"cannot read weights {path.name}: {str(e).splitlines()[0][:200]}") from None
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path.name} does not hold a flat dict of tensors")
    return sd


def read_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    for name in WEIGHT_FILES:
        path = folder / name
        if not path.exists():
            continue
        if not name.endswith(".index.json"):
            return _read_one(path)
        shards = sorted(set(read_json(path).get("weight_map", {}).values()))
        sd: dict[str, torch.Tensor] = {}
        for shard in shards:
            sd.update(_read_one(folder / shard))
        return sd
    raise CheckpointError(f"{folder} has no weights (looked for {', '.join(WEIGHT_FILES)})")


def write_checkpoint(folder: Path, config: dict, state: dict[str, torch.Tensor], preprocessor: dict | None) -> Path:
    """Weights first, config last: a folder whose config.json exists is complete."""
    from safetensors.torch import save_file

    folder = Path(folder)
    state = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    atomic_write(folder / "model.safetensors", lambda p: save_file(state, str(p), metadata={"format": "pt"}))
    if preprocessor:
        text = json.dumps(preprocessor, indent=2) + "\n"
        atomic_write(folder / "preprocessor_config.json", lambda p: p.write_text(text))
    atomic_write(folder / "config.json", lambda p: p.write_text(json.dumps(config, indent=2) + "\n"))
    return folder
