"""Faster inference paths for a trained model, chosen by name (`tubelet tag --precision`):

    fp32      the model as trained (the reference), with exact inference-only rewrites (`inference_copy`)
    bf16      bfloat16 autocast: matmuls and convs in bf16 (fast on GPUs and CPUs with AVX512-BF16 / AMX;
              emulated, hence slower, on CPUs without them)
    int8      dynamic int8 quantization of every nn.Linear (weights int8, activations quantized per batch);
              attention's softmax(QK^T)V, norms and convolutions stay fp32
    compile   torch.compile (TorchInductor): fused kernels, compiled once per input shape

The benchmarks (bench/precision.py) time each path and check it against fp32: top-1 agreement on real
clips with the bundled model, logit cosine on the base configuration.
"""

from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn

from ..constants import PRECISIONS
from ..modeling.tokens import ConvStem


def inference_copy(model: nn.Module) -> nn.Module:
    """The model rewritten for inference, same function up to float rounding; the model itself is not changed.

    Conv stems (`stem="conv"`, the bundled model's): each Conv3d + BatchNorm3d pair folded into one Conv3d
    (eval-mode BatchNorm is a per-channel affine map), ReLUs in place, and the conv weights in channels-last
    layout, which oneDNN's 3-D convolutions run faster in (measured in docs/speed.md; bench/tag_default.py
    times the end-to-end effect).
    Image towers (the frame models' EfficientNet): every conv + batch norm pair folded the same way
    (`fuse_for_inference`), weights channels-last (2-D convolutions, depthwise ones above all, run several times
    faster in that layout on oneDNN), each conv with its ReLU6 or residual add as one oneDNN call, and stride-2
    "SAME" padding done by the convolution with a shifted kernel instead of a padded copy (bench/content_speed.py).
    A model with nothing to rewrite is returned as it is (no copy)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fusable = any(hasattr(m, "fuse_for_inference") for m in model.modules())
    if not fusable and not any(isinstance(m, ConvStem) for m in model.modules()):
        return model.eval()
    model = copy.deepcopy(model).eval()
    if fusable:
        for m in model.modules():
            if hasattr(m, "fuse_for_inference"):
                m.fuse_for_inference()
        model.to(memory_format=torch.channels_last)
    for stem in (m for m in model.modules() if isinstance(m, ConvStem)):
        layers, fused = list(stem.layers), []
        while layers:
            layer = layers.pop(0)
            if isinstance(layer, nn.Conv3d) and layers and isinstance(layers[0], nn.BatchNorm3d):
                layer = fuse_conv_bn_eval(layer, layers.pop(0))
            elif isinstance(layer, nn.ReLU):
                layer = nn.ReLU(inplace=True)
            fused.append(layer)
        stem.layers = nn.Sequential(*fused)
        stem.to(memory_format=torch.channels_last_3d)
    return model


def fast_forward(model: nn.Module, precision: str = "fp32") -> Callable[[torch.Tensor], torch.Tensor]:
    """-> a function video -> logits running `model` (in eval mode) the chosen way; the model is not changed."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    original, model = model, inference_copy(model)
    if precision == "fp32":
        return model
    if precision == "bf16":
        device = next(model.parameters()).device.type

        def run(video: torch.Tensor) -> torch.Tensor:
            with torch.autocast(device, dtype=torch.bfloat16):
                return model(video).float()

        return run
    if precision == "int8":
        import warnings

        from torch.ao.quantization import quantize_dynamic

        with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
            warnings.simplefilter("ignore")
            own = model if model is not original else copy.deepcopy(model)  # quantize_dynamic works in place
            return quantize_dynamic(own, {nn.Linear}, dtype=torch.qint8)
    return torch.compile(model)
