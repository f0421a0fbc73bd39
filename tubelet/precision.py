"""Faster inference paths for a trained model, chosen by name (`tubelet tag --precision`):

    fp32      the model as trained (the reference)
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

PRECISIONS = ("fp32", "bf16", "int8", "compile")


def fast_forward(model: nn.Module, precision: str = "fp32") -> Callable[[torch.Tensor], torch.Tensor]:
    """-> a function video -> logits running `model` (in eval mode) the chosen way; the model is not changed."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    model = model.eval()
    if precision == "fp32":
        return model
    if precision == "bf16":
        device = next(model.parameters()).device.type

        def run(video: torch.Tensor) -> torch.Tensor:
            with torch.autocast(device, dtype=torch.bfloat16):
                return model(video).float()
        return run
    if precision == "int8":
        from torch.ao.quantization import quantize_dynamic
        import warnings
        with warnings.catch_warnings():      # torch.ao.quantization announces its move to torchao
            warnings.simplefilter("ignore")
            return quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
    return torch.compile(model)
