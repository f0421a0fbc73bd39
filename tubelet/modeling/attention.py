"""One attention module and the blocks that arrange it over space and time.

Every scheme uses the same `Attention`; they differ only in which tokens they group into one sequence:
- joint:       all t*h*w tokens attend to each other                 (N^2 pairs)
- divided:     temporal attention over the t tokens at one location, then spatial attention over the
               h*w tokens of one frame, each sub-layer with its own norm and residual (TimeSformer)
- space-only:  spatial attention within each frame, frames never meet (until pooling)
- factorized:  a spatial transformer per frame, then a temporal transformer over per-frame summaries
               (ViViT model 2; assembled in model.py from plain `Block`s)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange, reduce, repeat
from torch import nn

from .activations import Activation


class Attention(nn.Module):
    """Multi-head self-attention on `F.scaled_dot_product_attention`.

    `impl="explicit"` materializes the (N x N) attention matrix instead, as the papers' code did; the
    benchmarks use it to show the quadratic memory wall that fused kernels avoid. `causal=True`: each token
    attends to itself and the tokens before it (CLIP's text tower).
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        *,
        qkv_bias: bool = True,
        key_bias: bool = True,
        attn_dropout: float = 0.0,
        dropout: float = 0.0,
        impl: str = "sdpa",
        causal: bool = False,
    ):
        super().__init__()
        self.heads, self.impl, self.attn_dropout, self.causal = heads, impl, attn_dropout, causal
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias and key_bias)
        if qkv_bias and not key_bias:  # VideoMAE: learned q and v biases, the key bias is always zero
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        else:
            self.q_bias = self.v_bias = None
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def qkv_bias(self) -> torch.Tensor | None:
        if self.q_bias is None:
            return self.qkv.bias
        return torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.q_bias is None:
            qkv = self.qkv(x)
        elif isinstance(self.qkv, nn.Linear):
            qkv = F.linear(x, self.qkv.weight, self.qkv_bias())  # transformers' exact op: bit-identical parity
        else:  # a swapped-in linear (int8 dynamic) has no bias
            qkv = self.qkv(x) + self.qkv_bias()
        q, k, v = rearrange(qkv, "b n (three h d) -> three b h n d", three=3, h=self.heads)
        p = self.attn_dropout if self.training else 0.0
        if self.impl == "explicit":
            attn = (q * self.scale) @ k.transpose(-2, -1)  # (B, heads, N, N): the quadratic wall
            if self.causal:
                n = attn.shape[-1]
                attn = attn.masked_fill(torch.ones(n, n, dtype=torch.bool, device=attn.device).triu(1), float("-inf"))
            attn = F.dropout(attn.softmax(dim=-1), p)
            out = attn @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=self.causal)
        return self.proj_drop(self.proj(rearrange(out, "b h n d -> b n (h d)")))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int, activation: str = "gelu", dropout: float = 0.0):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.act = Activation(activation)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class DropPath(nn.Module):
    """Stochastic depth: drop a whole residual branch per sample while training."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # one draw per sample
        keep = torch.empty(shape, device=x.device, dtype=x.dtype).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


def attention_from_config(cfg) -> Attention:
    return Attention(
        cfg.dim,
        cfg.heads,
        qkv_bias=cfg.qkv_bias,
        key_bias=cfg.key_bias,
        attn_dropout=cfg.attn_dropout,
        dropout=cfg.dropout,
        impl=cfg.attn_impl,
        causal=getattr(cfg, "causal", False),
    )


class Block(nn.Module):
    """Pre-norm transformer block; attention over whatever sequence it is given (joint, or one frame)."""

    def __init__(self, cfg, drop_path: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.attn = attention_from_config(cfg)
        self.norm2 = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.mlp = Mlp(cfg.dim, cfg.mlp_dim, cfg.activation, cfg.dropout)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class DividedBlock(nn.Module):
    """TimeSformer's divided space-time block: temporal attention, then spatial attention, then the MLP.

    Input `(B, [cls] + t*s, D)` in (t s) order. The class token sits out temporal attention; for spatial
    attention it is copied into every frame's sequence and the per-frame updates are averaged back into
    one token. `temporal_fc` starts at zero, so a freshly built block is exactly a space-only block
    (TimeSformer's trick for starting from image weights).
    """

    def __init__(self, cfg, drop_path: float = 0.0):
        super().__init__()
        self.class_token = cfg.class_token
        self.temporal_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.temporal_attn = attention_from_config(cfg)
        self.temporal_fc = nn.Linear(cfg.dim, cfg.dim)
        nn.init.zeros_(self.temporal_fc.weight)
        nn.init.zeros_(self.temporal_fc.bias)
        self.norm1 = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.attn = attention_from_config(cfg)
        self.norm2 = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.mlp = Mlp(cfg.dim, cfg.mlp_dim, cfg.activation, cfg.dropout)
        self.drop_path = DropPath(drop_path)

    def temporal_attention(self, x: torch.Tensor, t: int) -> torch.Tensor:
        """Patch tokens `(B, t*s, D)` -> same, each attending only to its own spatial location over time."""
        b = x.shape[0]
        xt = rearrange(x, "b (t s) d -> (b s) t d", t=t)
        res = self.drop_path(self.temporal_attn(self.temporal_norm(xt)))
        res = rearrange(res, "(b s) t d -> b (t s) d", b=b)
        return x + self.temporal_fc(res)

    def spatial_attention(self, x: torch.Tensor, t: int, cls: torch.Tensor | None = None):
        """Patch tokens `(B, t*s, D)` (and an optional class token `(B, 1, D)`) -> same, frames kept apart."""
        xs = rearrange(x, "b (t s) d -> (b t) s d", t=t)
        if cls is not None:
            xs = torch.cat([repeat(cls, "b 1 d -> (b t) 1 d", t=t), xs], dim=1)
        res = self.drop_path(self.attn(self.norm1(xs)))
        if cls is not None:
            cls = cls + reduce(res[:, :1], "(b t) 1 d -> b 1 d", "mean", t=t)
            res = res[:, 1:]
        return x + rearrange(res, "(b t) s d -> b (t s) d", t=t), cls

    def forward(self, x: torch.Tensor, t: int) -> torch.Tensor:
        cls, x = (x[:, :1], x[:, 1:]) if self.class_token else (None, x)
        x = self.temporal_attention(x, t)
        x, cls = self.spatial_attention(x, t, cls)
        if cls is not None:
            x = torch.cat([cls, x], dim=1)
        return x + self.drop_path(self.mlp(self.norm2(x)))
