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
from .convert import load_model
from .files import read_json, resolve
from .reference import KINDS, SMALL


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
    """A randomly initialized transformers model: `size` small (tests, demo) or base (the released configs)."""
    transformers = import_transformers()
    config_name, model_name, small, base = KINDS[kind]
    kw = {**SMALL, **small} if size == "small" else {**small, **base, "image_size": 224}
    if size != "small" and kind.startswith("vivit"):
        kw["tubelet_size"] = [2, 16, 16]
    if size != "small" and "decoder_hidden_size" in kw:     # base VideoMAE keeps its default decoder
        for k in ("decoder_hidden_size", "decoder_num_hidden_layers", "decoder_num_attention_heads",
                  "decoder_intermediate_size"):
            kw.pop(k)
    kw.update(overrides)
    torch.manual_seed(seed)
    model = getattr(transformers, model_name)(getattr(transformers, config_name)(**kw))
    return randomize(model, seed).eval()


def run_both(folder: str | Path, batch: int = 2, seed: int = 0) -> dict:
    """Load `folder` with tubelet and with transformers, run both on one random clip, compare."""
    transformers = import_transformers()
    folder = resolve(folder)
    arch = (read_json(folder / "config.json").get("architectures") or [None])[0]
    ref = getattr(transformers, arch).from_pretrained(str(folder)).eval()
    ours = load_model(folder)
    cfg = ours.config.encoder if hasattr(ours.config, "encoder") else ours.config
    video = torch.randn(batch, cfg.num_channels, cfg.num_frames, cfg.image_size, cfg.image_size,
                        generator=torch.Generator().manual_seed(seed))
    pixel_values = video.transpose(1, 2)                        # transformers takes (B, T, C, H, W)
    result = {"folder": str(folder), "architecture": arch}
    with torch.no_grad():
        if arch == "VideoMAEForPreTraining":
            mask = make_mask("tube", batch, cfg.grid, 0.9, torch.Generator().manual_seed(seed))
            out = ref(pixel_values=pixel_values, bool_masked_pos=mask)
            loss, pred = ours(video, mask)
            result["loss_diff"] = abs(loss.item() - out.loss.item())
            a, b = pred, out.logits
        elif arch == "VideoMAEModel":
            a, b = ours.forward_features(video), ref(pixel_values=pixel_values).last_hidden_state
        else:
            a, b = ours(video), ref(pixel_values=pixel_values).logits
            if b.shape[0] != a.shape[0]:         # TimeSformer space_only: one row per frame -> clip = mean
                b = b.view(a.shape[0], -1, b.shape[-1]).mean(dim=1)
    result.update(shape=list(a.shape), max_abs_diff=(a - b).abs().max().item(), scale=b.abs().max().item())
    return result


def round_trip(kind: str, size: str = "small", seed: int = 0, batch: int = 2) -> tuple[dict, dict]:
    """transformers -> tubelet (load) and tubelet -> transformers (save_pretrained): compare both folders."""
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir, back_dir = Path(tmp, "hf"), Path(tmp, "back")
        reference_model(kind, size, seed).save_pretrained(str(hf_dir))
        load_model(hf_dir).save_pretrained(back_dir)
        return run_both(hf_dir, batch, seed), run_both(back_dir, batch, seed)
