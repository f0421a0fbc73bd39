"""CLIP's two towers (Radford et al. 2021), built from tubelet's own `Block`.

- `ClipVisionTower`: a ViT on one image. Patches (a conv, no bias), a class token, learned positions, a layer norm
  *before* the blocks (CLIP's "pre_layrnorm"), pre-norm blocks with quick-GELU, the class token's final state
  normalised and projected into the shared space. It is an image tower of the frame models
  (`frame_model.TOWERS`): per frame, then pooled over time (meanP), which makes any CLIP checkpoint a video model.
- `ClipTextTower`: a causal transformer over byte-pair tokens; the state at the end-of-text token, normalised
  and projected, is the sentence's embedding.

Both use `attention.Block` (CLIP's layer: LN, attention, residual, LN, MLP, residual); the configs below carry
the fields a Block reads, so there is no second copy of the attention code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from einops import rearrange
from torch import nn

from .attention import Block
from .model import init_weights, trunc_normal


class _BlockFields:
    """What `attention.Block` reads besides the sizes (CLIP: biases everywhere, no dropout)."""

    qkv_bias = True
    key_bias = True
    dropout = 0.0
    attn_dropout = 0.0
    attn_impl = "sdpa"
    causal = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ClipVisionConfig(_BlockFields):
    image_size: int = 224
    patch_size: int = 32
    num_channels: int = 3
    dim: int = 768
    depth: int = 12
    heads: int = 12
    mlp_dim: int = 3072
    activation: str = "quick_gelu"
    norm_eps: float = 1e-5
    projection_dim: int = 512

    # a frame model's tower config also answers these (an embedding tower: no labels of its own)
    num_labels = property(lambda self: 0)
    id2label = property(lambda self: {})

    def __post_init__(self):
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")
        if self.image_size < self.patch_size:
            raise ValueError(f"image_size {self.image_size} is smaller than patch_size {self.patch_size}")

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


@dataclass
class ClipTextConfig(_BlockFields):
    vocab_size: int = 49408
    context_length: int = 77  # transformers: max_position_embeddings
    dim: int = 512
    depth: int = 12
    heads: int = 8
    mlp_dim: int = 2048
    activation: str = "quick_gelu"
    norm_eps: float = 1e-5
    projection_dim: int = 512
    bos_token_id: int = 49406
    eos_token_id: int = 49407
    pad_token_id: int = 1
    # where a sentence is read: "auto" = CLIP's rule (below); "argmax" = always at the largest token id, as
    # transformers' X-CLIP does whatever its config says (the end-of-text token is the largest id in CLIP's vocabulary)
    pool: str = "auto"

    causal = True

    def __post_init__(self):
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")
        if self.pool not in ("auto", "argmax"):
            raise ValueError(f"pool must be auto or argmax, got {self.pool!r}")


class ClipVisionTower(nn.Module):
    def __init__(self, config: ClipVisionConfig):
        super().__init__()
        self.config = cfg = config
        self.patch_embed = nn.Conv2d(cfg.num_channels, cfg.dim, cfg.patch_size, cfg.patch_size, bias=False)
        self.cls_token = nn.Parameter(torch.randn(cfg.dim) * cfg.dim**-0.5)
        self.pos_embed = nn.Parameter(torch.zeros(cfg.num_patches + 1, cfg.dim))
        self.pre_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.post_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.proj = nn.Linear(cfg.dim, cfg.projection_dim, bias=False)
        self.num_features = cfg.projection_dim
        self.apply(init_weights)
        trunc_normal(self.pos_embed)

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) normalized images -> (B, 1 + N, D) token states after the last block."""
        x = rearrange(self.patch_embed(images), "b d h w -> b (h w) d")
        cls = self.cls_token.expand(x.shape[0], 1, -1).to(x.dtype)
        x = self.pre_norm(torch.cat([cls, x], dim=1) + self.pos_embed)
        for block in self.blocks:
            x = block(x)
        return x

    def forward_head(self, features: torch.Tensor, pre_logits: bool = True) -> torch.Tensor:
        """The class token's state, normalised and projected: the image embedding (not yet L2-normalised)."""
        return self.proj(self.post_norm(features[:, 0]))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(images))


class ClipTextTower(nn.Module):
    def __init__(self, config: ClipTextConfig):
        super().__init__()
        self.config = cfg = config
        self.token_embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.pos_embed = nn.Parameter(torch.zeros(cfg.context_length, cfg.dim))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.final_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.proj = nn.Linear(cfg.dim, cfg.projection_dim, bias=False)
        self.apply(init_weights)
        trunc_normal(self.token_embed.weight)
        trunc_normal(self.pos_embed, std=0.01)

    def end_of_text(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) token ids -> (N,) the position each sentence is read at."""
        if self.config.pool == "argmax" or self.config.eos_token_id == 2:
            # CLIP configs saved before transformers fixed eos_token_id (its PR #24773; openai's among them) say 2
            # and are read at the largest id, which in CLIP's vocabulary is the end-of-text token
            return ids.argmax(dim=-1)
        return (ids == self.config.eos_token_id).int().argmax(dim=-1)  # the first end-of-text token

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) token ids (L <= context_length) -> (N, projection_dim) sentence embeddings (not normalised).
        Causal attention: what follows the end-of-text token (padding) cannot change the embedding."""
        x = self.token_embed(ids) + self.pos_embed[: ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        x = self.final_norm(x)
        return self.proj(x[torch.arange(x.shape[0], device=x.device), self.end_of_text(ids)])
