"""One dataclass describes every video transformer tubelet builds.

The same fields cover VideoMAE (joint attention, sinusoidal positions, no class token, mean pooling),
TimeSformer (per-frame patches, divided attention, separate space + time positions, class token) and
ViViT (tubelets, joint attention or the factorized encoder, learned positions). Checkpoint converters
fill it in from a Hugging Face config; `to_dict`/`from_dict` give the JSON that tubelet saves.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..constants import ACTIVATIONS, ATTENTION_IMPLS, POOLINGS, POS_EMBEDS, SCHEMES, STEMS


@dataclass
class VideoTransformerConfig:
    image_size: int = 224
    num_frames: int = 16
    patch_size: int = 16
    tubelet_size: int = 2  # 1 = per-frame patches (TimeSformer), 2 = VideoMAE / ViViT tubelets
    num_channels: int = 3
    stem: str = "linear"  # linear (one Conv3d, kernel = stride) | conv (a small conv stack, same grid)
    dim: int = 768
    depth: int = 12  # joint/divided/space_only blocks; spatial blocks of the factorized encoder
    heads: int = 12
    mlp_ratio: float = 4.0
    scheme: str = "joint"  # joint | divided | space_only | factorized
    temporal_depth: int = 4  # factorized encoder only: blocks of the temporal transformer
    class_token: bool = True
    pooling: str = "cls"  # cls | mean (mean excludes class tokens)
    pos_embed: str = "learned"  # sincos | learned | learned_space_time
    qkv_bias: bool = True
    key_bias: bool = True  # VideoMAE has query and value biases but none on the key
    activation: str = "gelu"  # transformers' hidden_act names (modeling/activations.py); gelu_tanh = PyTorch's tanh
    norm_eps: float = 1e-6
    head_norm_eps: float | None = None  # None = norm_eps; VideoMAE's fc_norm uses LayerNorm's default 1e-5
    dropout: float = 0.0
    attn_dropout: float = 0.0
    drop_path: float = 0.0
    attn_impl: str = "sdpa"  # sdpa | explicit (materializes the N x N matrix)
    num_labels: int = 0  # 0 = no head: the model returns pooled features
    id2label: dict[int, str] = field(default_factory=dict)

    def __post_init__(self):
        self.id2label = {int(k): str(v) for k, v in self.id2label.items()}
        if self.num_labels and not self.id2label:
            self.id2label = {i: f"LABEL_{i}" for i in range(self.num_labels)}
        if self.id2label and not self.num_labels:
            self.num_labels = len(self.id2label)
        self.validate()

    def validate(self):
        def need(ok, msg):
            if not ok:
                raise ValueError(msg)

        for name, allowed in (
            ("scheme", SCHEMES),
            ("pos_embed", POS_EMBEDS),
            ("pooling", POOLINGS),
            ("activation", ACTIVATIONS),
            ("attn_impl", ATTENTION_IMPLS),
            ("stem", STEMS),
        ):
            value = getattr(self, name)
            need(value in allowed, f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        need(self.dim % self.heads == 0, f"dim {self.dim} is not divisible by heads {self.heads}")
        # sizes the patch or tubelet does not divide are allowed, as in transformers: the patch convolution
        # (kernel = stride) drops the remainder, so the grid is the floor (a 10-pixel frame, 4-pixel patches: 2 x 2)
        need(
            self.image_size >= self.patch_size,
            f"image_size {self.image_size} is smaller than patch_size {self.patch_size}",
        )
        need(
            self.num_frames >= self.tubelet_size,
            f"num_frames {self.num_frames} is smaller than tubelet_size {self.tubelet_size}",
        )
        need(len(self.id2label) == self.num_labels, "id2label must have num_labels entries")

    # --- derived quantities -------------------------------------------------------------------
    @property
    def grid(self) -> tuple[int, int, int]:
        """The (t, h, w) token grid of one clip."""
        side = self.image_size // self.patch_size
        return self.num_frames // self.tubelet_size, side, side

    @property
    def num_patches(self) -> int:
        t, h, w = self.grid
        return t * h * w

    @property
    def mlp_dim(self) -> int:
        return int(round(self.dim * self.mlp_ratio))

    @property
    def label2id(self) -> dict[str, int]:
        return {v: k for k, v in self.id2label.items()}

    # --- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["id2label"] = {str(k): v for k, v in self.id2label.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "VideoTransformerConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(sorted(unknown))}")
        return cls(**d)

    def replace(self, **changes) -> "VideoTransformerConfig":
        return dataclasses.replace(self, **changes)
