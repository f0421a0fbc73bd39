"""Check tubelet against `transformers` on the same checkpoint and the same input.

`transformers` is only needed here (it is the reference, not a runtime dependency). `reference_model`
builds randomly initialized transformers models of the kinds reference.py lists (every parameter perturbed,
so no zero bias or unit norm can hide a wrong mapping); `run_both` loads one folder with both libraries and
reports max |diff|; `round_trip` checks both directions.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from ..modeling.masking import make_mask
from .convert import load_model, save_pretrained
from .files import read_json, resolve
from .reference import KINDS, config_fields


def import_transformers():
    """transformers, quiet (no progress bars, errors only)."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return transformers


def randomize(model: torch.nn.Module, seed: int = 0, scale: float = 0.02) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return model


def reference_model(kind: str, size: str = "small", seed: int = 0, **overrides):
    """A randomly initialized transformers model of a kind reference.py lists, at size tiny, small or base."""
    transformers = import_transformers()
    config_name, model_name, _ = KINDS[kind]
    torch.manual_seed(seed)
    config = getattr(transformers, config_name)(**{**config_fields(kind, size), **overrides})
    return randomize(getattr(transformers, model_name)(config), seed).eval()


def example_input(cfg, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random clip (B, C, T, H, W) and a tube mask (90%) for a model of this config."""
    video = torch.randn(
        batch,
        cfg.num_channels,
        cfg.num_frames,
        cfg.image_size,
        cfg.image_size,
        generator=torch.Generator().manual_seed(seed),
    )
    return video, make_mask("tube", batch, cfg.grid, 0.9, torch.Generator().manual_seed(seed))


@torch.no_grad()
def transformers_outputs(model, arch: str, video: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """What a transformers model computes on a tubelet-layout clip: {"output": ..., "loss": ... (pretraining)}."""
    pixel_values = video.transpose(1, 2)  # transformers takes (B, T, C, H, W)
    if arch == "VideoMAEForPreTraining":
        out = model(pixel_values=pixel_values, bool_masked_pos=mask)
        return {"output": out.logits, "loss": out.loss.reshape(1)}
    if arch == "VideoMAEModel":
        return {"output": model(pixel_values=pixel_values).last_hidden_state}
    logits = model(pixel_values=pixel_values).logits
    if logits.shape[0] != video.shape[0]:  # TimeSformer space_only: one row per frame -> clip = mean
        logits = logits.view(video.shape[0], -1, logits.shape[-1]).mean(dim=1)
    return {"output": logits}


@torch.no_grad()
def tubelet_outputs(model, arch: str, video: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The same quantities from a tubelet model."""
    if arch == "VideoMAEForPreTraining":
        loss, pred = model(video, mask)
        return {"output": pred, "loss": loss.reshape(1)}
    if arch == "VideoMAEModel":
        return {"output": model.forward_features(video)}
    return {"output": model(video)}


def differences(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> dict:
    """max |a - b| per output, and the outputs' scale (so a diff can be read against it)."""
    result = {
        "shape": list(b["output"].shape),
        "max_abs_diff": (a["output"] - b["output"]).abs().max().item(),
        "scale": b["output"].abs().max().item(),
    }
    if "loss" in b:
        result["loss_diff"] = (a["loss"] - b["loss"]).abs().item()
    return result


def load_reference(folder: str | Path):
    """The transformers model a checkpoint folder declares, loaded by transformers; and its architecture."""
    transformers = import_transformers()
    folder = resolve(folder)
    arch = (read_json(folder / "config.json").get("architectures") or [None])[0]
    return getattr(transformers, arch).from_pretrained(str(folder)).eval(), arch


def run_both(folder: str | Path, batch: int = 2, seed: int = 0) -> dict:
    """Load `folder` with tubelet and with transformers, run both on one random clip, compare."""
    ref, arch = load_reference(folder)
    ours = load_model(folder)
    cfg = ours.config.encoder if hasattr(ours.config, "encoder") else ours.config
    video, mask = example_input(cfg, batch, seed)
    diff = differences(tubelet_outputs(ours, arch, video, mask), transformers_outputs(ref, arch, video, mask))
    return {"folder": str(folder), "architecture": arch, **diff}


def round_trip(kind: str, size: str = "small", seed: int = 0, batch: int = 2) -> tuple[dict, dict]:
    """transformers -> tubelet (load) and tubelet -> transformers (save_pretrained): compare both folders."""
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir, back_dir = Path(tmp, "hf"), Path(tmp, "back")
        reference_model(kind, size, seed).save_pretrained(str(hf_dir))
        save_pretrained(load_model(hf_dir), back_dir)
        return run_both(hf_dir, batch, seed), run_both(back_dir, batch, seed)
