"""The MLP activations, by the names Hugging Face configs use (`hidden_act`), each computed the way transformers'
activation table computes it, so a checkpoint trained with any of them gives the same logits here.

`gelu_tanh` is tubelet's own older name for PyTorch's tanh approximation (= `gelu_pytorch_tanh`). Activations with
learned parameters of their own (`prelu`, `xielu`) are not in the table: a config naming one is refused by name.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..constants import ACTIVATIONS

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _tanh_gelu(x: torch.Tensor) -> torch.Tensor:  # OpenAI GPT's formula, with x^3 as a power
    return 0.5 * x * (1.0 + torch.tanh(SQRT_2_OVER_PI * (x + 0.044715 * torch.pow(x, 3.0))))


def _fast_gelu(x: torch.Tensor) -> torch.Tensor:  # the same curve written as x * (1 + c x^2), a rounded constant
    return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def _laplace(x: torch.Tensor, mu: float = 0.707107, sigma: float = 0.282095) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf((x - mu).div(sigma * math.sqrt(2.0))))


FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_python": lambda x: x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))),
    "gelu_python_tanh": _tanh_gelu,
    "gelu_new": _tanh_gelu,
    "gelu_accurate": _tanh_gelu,
    "gelu_fast": _fast_gelu,
    "gelu_10": lambda x: torch.clip(F.gelu(x), -10, 10),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "relu": F.relu,
    "relu2": lambda x: torch.square(F.relu(x)),
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "silu": F.silu,
    "swish": F.silu,
    "mish": F.mish,
    "hardswish": F.hardswish,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "laplace": _laplace,
    "sqrtsoftplus": lambda x: F.softplus(x).sqrt(),
    "linear": lambda x: x,
}
assert tuple(FUNCTIONS) == ACTIVATIONS, "constants.ACTIVATIONS names the table (the CLI offers it without torch)"
WITH_PARAMETERS = ("prelu", "xielu")  # transformers' activations that hold learned weights: not supported


class Activation(nn.Module):
    def __init__(self, name: str):
        super().__init__()
        if name not in FUNCTIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
        self.name, self.fn = name, FUNCTIONS[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name
