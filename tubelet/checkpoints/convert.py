"""Load and save models: pick the converter for a Hugging Face VideoMAE / TimeSformer / ViViT / CLIP / X-CLIP folder, or
tubelet's own format.

    model = tubelet.load_model("MCG-NJU/videomae-base-finetuned-kinetics")   # hub id (cached) or folder
    tubelet.save_pretrained(model, "out/")   # HF format when transformers has the model, else tubelet's own

The converters call the models, never the reverse: a model knows no file format (as in timm).

tubelet's own format is the same folder layout with `"model_type": "tubelet"` in config.json and
tubelet's parameter names in model.safetensors.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..constants import VERSION
from ..modeling.config import VideoTransformerConfig
from ..modeling.frame_model import FrameModel, FrameModelConfig
from ..modeling.model import VideoTransformer
from ..modeling.video_text import VideoTextConfig, VideoTextModel
from ..modeling.videomae import VideoMAE, VideoMAEConfig
from . import hf_clip, hf_timesformer, hf_videomae, hf_vivit, hf_xclip
from .files import CheckpointError, read_json, read_state_dict, resolve, write_checkpoint
from .rename import load_exact

CONVERTERS = {c.MODEL_TYPE: c for c in (hf_videomae, hf_timesformer, hf_vivit, hf_clip, hf_xclip)}
NATIVE = {
    "VideoTransformer": (VideoTransformer, VideoTransformerConfig),
    "VideoMAE": (VideoMAE, VideoMAEConfig),
    "FrameModel": (FrameModel, FrameModelConfig),
    "VideoTextModel": (VideoTextModel, VideoTextConfig),
}
SUPPORTED = ", ".join([*CONVERTERS, "tubelet"])

__all__ = ["load_model", "save_pretrained", "hf_architecture", "CheckpointError"]


def _load_native(cfg_json: dict, state: dict) -> torch.nn.Module:
    arch = (cfg_json.get("architectures") or ["VideoTransformer"])[0]
    if arch not in NATIVE:
        raise CheckpointError(f"unknown tubelet architecture {arch!r} (known: {', '.join(NATIVE)})")
    model_cls, config_cls = NATIVE[arch]
    try:
        config = config_cls.from_dict(cfg_json["tubelet_config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"bad tubelet config: {e}") from None
    return load_exact(model_cls(config), state)


def load_model(path_or_id: str | os.PathLike, device: str | torch.device | None = None) -> torch.nn.Module:
    """A tubelet model in eval mode from a checkpoint folder or a Hugging Face hub id.

    Keeps the folder's preprocessor_config.json as `model.preprocessor` (resize, crop, mean, std)."""
    folder = resolve(path_or_id)
    cfg_json = read_json(folder / "config.json")
    model_type = cfg_json.get("model_type")
    if model_type != "tubelet" and model_type not in CONVERTERS:
        raise CheckpointError(
            f"unsupported model_type {model_type!r} in {folder / 'config.json'}; supported: {SUPPORTED}"
        )
    state = read_state_dict(folder)
    if model_type == "tubelet":
        model = _load_native(cfg_json, state)
    else:
        conv = CONVERTERS[model_type]
        try:
            model = conv.load(cfg_json, state, conv.architecture(cfg_json, state.keys()))
        except (KeyError, RuntimeError, ValueError) as e:
            raise CheckpointError(f"cannot convert {folder}: {str(e).splitlines()[0][:300]}") from None
    pre = folder / "preprocessor_config.json"
    model.preprocessor = read_json(pre) if pre.exists() else None
    if isinstance(model, VideoTextModel):  # the text tower reads the folder's own tokenizer files, if it has them
        from ..text.tokenizer import FILES, ClipTokenizer

        if any((folder / name).exists() for name in FILES):
            model.tokenizer = ClipTokenizer.from_folder(folder, model.config.text_config.context_length)
    return model.to(device).eval() if device is not None else model.eval()


def hf_architecture(model: torch.nn.Module) -> str | None:
    """The transformers class that computes exactly what `model` computes, or None."""
    for video_text in (hf_clip, hf_xclip):
        if video_text.counterpart(model):
            return video_text.counterpart(model)
    config = getattr(model.config, "encoder", model.config)
    if getattr(config, "stem", None) != "linear":  # a conv stem, or a frame model: no transformers class
        return None
    for conv in CONVERTERS.values():
        arch = conv.counterpart(model)
        if arch:
            return arch
    return None


def save_pretrained(model: torch.nn.Module, directory: str | os.PathLike, format: str = "auto") -> Path:
    """Write `model` to a folder. format: `hf` (error if transformers has no such model), `tubelet`, or
    `auto` (hf when possible). Files are written atomically, config.json last."""
    if format not in ("auto", "hf", "tubelet"):
        raise ValueError("format must be auto, hf or tubelet")
    arch = hf_architecture(model) if format != "tubelet" else None
    if format == "hf" and arch is None:
        raise CheckpointError(
            "this model has no transformers counterpart (e.g. the factorized encoder); use format='tubelet'"
        )
    preprocessor = getattr(model, "preprocessor", None)
    if getattr(model, "tokenizer", None) is not None:  # before config.json, which marks a folder complete
        Path(directory).mkdir(parents=True, exist_ok=True)
        model.tokenizer.save(directory)
    if arch:
        conv = next(c for c in CONVERTERS.values() if arch in c.ARCHITECTURES)
        hf, state = conv.export(model, arch)
        hf["tubelet_version"] = VERSION
        return write_checkpoint(Path(directory), hf, state, preprocessor)
    name = type(model).__name__
    if name not in NATIVE:
        raise CheckpointError(f"cannot save a {name}")
    config = {
        "model_type": "tubelet",
        "architectures": [name],
        "tubelet_version": VERSION,
        "tubelet_config": model.config.to_dict(),
    }
    return write_checkpoint(Path(directory), config, model.state_dict(), preprocessor)
