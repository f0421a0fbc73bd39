"""EfficientNet-Lite: the mobile EfficientNet (Tan & Le 2019; Lite variants from the TensorFlow TPU repository's
`efficientnet/lite`), an image tower for the frame models.

Lite differs from EfficientNet-B in three ways, all for integer quantization: no squeeze-and-excitation, ReLU6
instead of swish, and a stem (32 channels) and head (1280) that do not scale with the width. Convolutions pad
as TensorFlow's "SAME" does (asymmetrically when the stride is 2 and the size even), because the published
weights were trained that way; batch norm epsilon 1e-3 as in TensorFlow.

Named as timm names its stages: `forward_features` (stem, blocks, head convolution: a (B, 1280, h, w) map),
`forward_head` (pool, classifier).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# one row per stage of EfficientNet-B0 (= Lite0): (repeats, kernel, stride, expansion, channels out)
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192),
          (1, 3, 1, 6, 320))  # fmt: skip
VARIANTS = {  # (width multiplier, depth multiplier, resolution) of the Lite family
    "efficientnet_lite0": (1.0, 1.0, 224),
    "efficientnet_lite1": (1.0, 1.1, 240),
    "efficientnet_lite2": (1.1, 1.2, 260),
    "efficientnet_lite3": (1.2, 1.4, 280),
    "efficientnet_lite4": (1.4, 1.8, 300),
}


@dataclass
class EfficientNetLiteConfig:
    variant: str = "efficientnet_lite0"
    num_labels: int = 1000
    eps: float = 1e-3
    stem_channels: int = 32
    head_channels: int = 1280
    id2label: dict[int, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown EfficientNet-Lite variant {self.variant!r}; known: {', '.join(VARIANTS)}")
        self.id2label = {int(k): str(v) for k, v in self.id2label.items()}

    @property
    def image_size(self) -> int:
        return VARIANTS[self.variant][2]

    def to_dict(self) -> dict:
        return asdict(self)


def _channels(c: int, width: float, divisor: int = 8) -> int:
    """TensorFlow's round_filters: scale, round to a multiple of 8, never more than 10% below."""
    if width == 1.0:
        return c
    scaled = max(divisor, int(c * width + divisor / 2) // divisor * divisor)
    return scaled + divisor if scaled < 0.9 * c * width else scaled


def _onednn_pointwise():
    """oneDNN's convolution with a fused element-wise / add epilogue (the op TorchInductor emits on CPU), or None
    where this torch build has no oneDNN."""
    try:
        return torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):
        return None


ONEDNN_CONV = _onednn_pointwise()


class SameConv2d(nn.Conv2d):
    """A convolution padded as TensorFlow's "SAME": output size ceil(input / stride), the odd pixel of padding
    at the bottom / right."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the kernel with a leading zero row and column (`shift_for_inference`); not saved, moves with the module
        self.register_buffer("shifted", None, persistent=False)

    def plan(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int], list[int] | None]:
        """-> (kernel, symmetric padding the convolution does itself, padding to copy in first or None)."""
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1], strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if pads[0] == pads[1] and pads[2] == pads[3]:  # symmetric: the convolution pads itself, no copy
            return self.weight, (pads[2], pads[0]), None
        if self.shifted is not None and pads[1] == pads[0] + 1 and pads[3] == pads[2] + 1:
            # padding (p, p + 1) = symmetric p + 1 with the kernel moved one tap right / down: the extra tap in
            # front reads the extra top / left pixel and weighs it 0. Saves F.pad's copy of a large activation.
            return self.shifted, (pads[3], pads[1]), None
        return self.weight, (0, 0), pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, padding, copy_pads = self.plan(x)
        if copy_pads is not None:
            x = F.pad(x, copy_pads)
        return F.conv2d(x, weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def forward_fused(self, x: torch.Tensor, relu6: bool, residual: torch.Tensor | None = None) -> torch.Tensor:
        """conv (+ residual) (-> ReLU6) as one oneDNN call: the activation and the add happen while the output
        is still in cache instead of in a second pass over memory (inference only: the op has no gradient)."""
        weight, padding, copy_pads = self.plan(x)
        if copy_pads is not None:
            x = F.pad(x, copy_pads)
        args = (weight, self.bias, list(padding), list(self.stride), list(self.dilation), self.groups)
        if residual is not None:  # only projections take a residual, and they have no activation
            return ONEDNN_CONV.binary(x, residual, *args, "add", None, None, [], None)
        return ONEDNN_CONV(x, *args, "hardtanh" if relu6 else "none", [0.0, 6.0] if relu6 else [], "")

    def shift_for_inference(self) -> None:
        """Keep the shifted kernel beside the weight (the weight must not change afterwards)."""
        if self.stride != (1, 1) and self.dilation == (1, 1):
            self.shifted = F.pad(self.weight.detach(), (1, 0, 1, 0))


class ConvBN(nn.Sequential):
    """conv -> batch norm (-> ReLU6); an optional residual is added after the batch norm."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, stride: int = 1, groups: int = 1, eps=1e-3, act=True):
        super().__init__()
        self.conv = SameConv2d(c_in, c_out, k, stride, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=eps)
        if act:
            self.act = nn.ReLU6()
        self.fused = False  # set by fuse_for_inference

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        if self.fused and self._fusable(x):
            return self.conv.forward_fused(x, hasattr(self, "act"), residual)
        y = super().forward(x)
        return y if residual is None else y + residual

    def _fusable(self, x: torch.Tensor) -> bool:
        return (
            ONEDNN_CONV is not None
            and x.device.type == "cpu"
            and x.dtype == self.conv.weight.dtype == torch.float32
            and not (torch.is_grad_enabled() and x.requires_grad)
            and not torch.is_autocast_enabled("cpu")
            and not torch.jit.is_tracing()  # an export or a compiler sees the plain ops (and fuses them itself)
            and not torch.compiler.is_compiling()
        )

    def fuse_for_inference(self) -> None:
        """Fold the (eval-mode) batch norm into the convolution, in place: a per-channel affine map, so the
        same function up to float rounding, one pass over memory fewer (tag/precision.inference_copy). From then
        on the convolution, its activation and a residual add run as one oneDNN call on CPU."""
        if isinstance(self.bn, nn.Identity):
            return
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        with torch.no_grad():
            self.conv.weight.mul_(scale.view(-1, 1, 1, 1))
            self.conv.bias = nn.Parameter(self.bn.bias - self.bn.running_mean * scale)
        self.bn = nn.Identity()
        self.conv.shift_for_inference()
        self.fused = True
        if hasattr(self, "act"):
            self.act = nn.ReLU6(inplace=True)


class InvertedResidual(nn.Module):
    """MBConv without squeeze-excitation: 1x1 expand, k x k depthwise, 1x1 project, residual when shapes allow."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, expand: int, eps: float):
        super().__init__()
        mid = c_in * expand
        self.expand = ConvBN(c_in, mid, eps=eps) if expand != 1 else nn.Identity()
        self.depthwise = ConvBN(mid, mid, k, stride, groups=mid, eps=eps)
        self.project = ConvBN(mid, c_out, eps=eps, act=False)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.depthwise(self.expand(x)), x if self.residual else None)


class EfficientNetLite(nn.Module):
    def __init__(self, config: EfficientNetLiteConfig):
        super().__init__()
        self.config = config
        width, depth, _ = VARIANTS[config.variant]
        eps, c = config.eps, config.stem_channels
        self.stem = ConvBN(3, c, 3, 2, eps=eps)
        blocks = []
        for i, (repeats, k, stride, expand, c_out) in enumerate(STAGES):
            c_out = _channels(c_out, width)
            # Lite keeps the first and last stage's depth fixed (they sit next to the unscaled stem and head)
            n = repeats if i in (0, len(STAGES) - 1) else math.ceil(repeats * depth)
            for j in range(n):
                blocks.append(InvertedResidual(c, c_out, k, stride if j == 0 else 1, expand, eps))
                c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = ConvBN(c, config.head_channels, eps=eps)
        self.num_features = config.head_channels
        self.classifier = nn.Linear(config.head_channels, config.num_labels) if config.num_labels else nn.Identity()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalized images -> (B, 1280, H/32, W/32)."""
        if self.stem.conv.weight.is_contiguous(memory_format=torch.channels_last):  # an inference copy
            x = x.contiguous(memory_format=torch.channels_last)
        return self.head(self.blocks(self.stem(x)))

    def forward_head(self, features: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        pooled = features.mean(dim=(-2, -1))
        return pooled if pre_logits else self.classifier(pooled)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
