"""`VideoTransformer`: a Vision Transformer with a time axis, attention scheme chosen by config.

video (B, C, T, H, W) -> tubelet tokens (B, [cls] + t*h*w, D) + positions
  joint       -> Block x depth over all tokens
  divided     -> DividedBlock x depth (temporal, then spatial attention)
  space_only  -> Block x depth over each frame's tokens; frames meet only at pooling
  factorized  -> Block x depth per frame -> per-frame summary -> Block x temporal_depth over time
-> pool (cls | mean) -> norm -> linear head
"""

from __future__ import annotations

import torch
from einops import rearrange, repeat
from torch import nn

from .attention import Attention, Block, DividedBlock
from .config import VideoTransformerConfig
from .tokens import ConvStem, PositionEmbedding, TubeletEmbed


def trunc_normal(t: torch.Tensor, std: float = 0.02):
    """ViT's init for weights and learned tokens: normal(0, std) cut at two standard deviations."""
    nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


def init_weights(m: nn.Module):
    """Linear / conv weights trunc-normal, biases zero, LayerNorms identity (applied module by module)."""
    if isinstance(m, (nn.Linear, nn.Conv3d)):
        trunc_normal(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class VideoTransformer(nn.Module):
    def __init__(self, config: VideoTransformerConfig):
        super().__init__()
        self.config = cfg = config
        self.grid = cfg.grid
        self.patch_embed = TubeletEmbed(
            cfg.dim,
            patch_size=cfg.patch_size,
            tubelet_size=cfg.tubelet_size,
            num_channels=cfg.num_channels,
            stem=cfg.stem,
        )
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim)) if cfg.class_token else None
        self.pos_embed = PositionEmbedding(cfg)
        self.pos_drop = nn.Dropout(cfg.dropout)
        rates = torch.linspace(0, cfg.drop_path, cfg.depth).tolist()
        block = DividedBlock if cfg.scheme == "divided" else Block
        self.blocks = nn.ModuleList(block(cfg, r) for r in rates)
        if cfg.scheme == "factorized":
            n_cls = int(cfg.class_token)
            self.spatial_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
            self.temporal_cls = nn.Parameter(torch.zeros(1, 1, cfg.dim)) if cfg.class_token else None
            self.temporal_pos = nn.Parameter(torch.zeros(1, n_cls + self.grid[0], cfg.dim))
            self.temporal_blocks = nn.ModuleList(Block(cfg, cfg.drop_path) for _ in range(cfg.temporal_depth))
        head_eps = cfg.norm_eps if cfg.head_norm_eps is None else cfg.head_norm_eps
        self.norm = nn.LayerNorm(cfg.dim, eps=head_eps)
        self.head = nn.Linear(cfg.dim, cfg.num_labels) if cfg.num_labels else nn.Identity()
        self.apply(init_weights)
        if isinstance(self.patch_embed.proj, ConvStem):
            self.patch_embed.proj.reset_parameters()
        for p in (
            self.cls_token,
            getattr(self, "temporal_cls", None),
            getattr(self, "temporal_pos", None),
            *[p for n, p in self.pos_embed.named_parameters()],
        ):
            if p is not None:
                trunc_normal(p)
        for blk in self.blocks:  # re-zero after the generic init: divided starts as space-only
            if isinstance(blk, DividedBlock):
                nn.init.zeros_(blk.temporal_fc.weight)
                nn.init.zeros_(blk.temporal_fc.bias)
        self.preprocessor: dict | None = None  # the checkpoint's preprocessor_config.json, if any

    # --- the stages -----------------------------------------------------------------------------
    def embed(self, video: torch.Tensor) -> torch.Tensor:
        """Video -> tokens `(B, [cls] + t*h*w, D)` with positions added."""
        x, grid = self.patch_embed(video)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.pos_drop(self.pos_embed(x, grid))

    def _per_frame(self, x: torch.Tensor) -> torch.Tensor:
        """`(B, [cls] + t*s, D)` -> `(B*t, [cls] + s, D)`: one sequence per frame, class token copied in."""
        t = self.grid[0]
        if self.cls_token is None:
            return rearrange(x, "b (t s) d -> (b t) s d", t=t)
        frames = rearrange(x[:, 1:], "b (t s) d -> (b t) s d", t=t)
        return torch.cat([repeat(x[:, :1], "b 1 d -> (b t) 1 d", t=t), frames], dim=1)

    def forward_features(self, video: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Final token sequence, normed unless pooling is mean (then the norm follows the pooling).

        joint/divided: `(B, [cls] + t*h*w, D)`; space_only: `(B, t * ([cls] + h*w), D)` frame by frame;
        factorized: `(B, [cls] + t, D)`, the temporal transformer's tokens.
        `mask` (B, t*h*w) bool, True = dropped: the encoder runs on the visible tokens only (VideoMAE).
        """
        cfg, t = self.config, self.grid[0]
        x = self.embed(video)
        if mask is not None:
            if cfg.scheme != "joint" or cfg.class_token:
                raise ValueError("masked encoding needs the joint scheme without a class token")
            x = x[~mask].reshape(x.shape[0], -1, x.shape[-1])
        if cfg.scheme == "joint":
            for blk in self.blocks:
                x = blk(x)
        elif cfg.scheme == "divided":
            for blk in self.blocks:
                x = blk(x, t)
        else:
            b = x.shape[0]
            x = self._per_frame(x)
            for blk in self.blocks:
                x = blk(x)
            if cfg.scheme == "space_only":
                x = rearrange(x, "(b t) n d -> b (t n) d", b=b)
            else:
                x = self.spatial_norm(x)
                summary = x[:, 0] if cfg.class_token else x.mean(dim=1)
                x = rearrange(summary, "(b t) d -> b t d", b=b)
                if self.temporal_cls is not None:
                    x = torch.cat([self.temporal_cls.expand(b, -1, -1), x], dim=1)
                x = x + self.temporal_pos
                for blk in self.temporal_blocks:
                    x = blk(x)
        return x if cfg.pooling == "mean" else self.norm(x)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """Token sequence from `forward_features` -> one vector per clip `(B, D)`."""
        cfg, n_cls = self.config, int(self.config.class_token)
        if cfg.scheme == "space_only":  # each frame kept its own class token: average over frames
            x = rearrange(x, "b (t n) d -> b t n d", t=self.grid[0])
            x = x[:, :, 0].mean(dim=1) if cfg.pooling == "cls" else x[:, :, n_cls:].mean(dim=(1, 2))
        else:
            x = x[:, 0] if cfg.pooling == "cls" else x[:, n_cls:].mean(dim=1)
        return self.norm(x) if cfg.pooling == "mean" else x

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """`video` normalized float `(B, C, T, H, W)` -> logits `(B, num_labels)` (features if no head)."""
        return self.head(self.pool(self.forward_features(video)))

    # --- conveniences ---------------------------------------------------------------------------
    def set_attention_impl(self, impl: str) -> "VideoTransformer":
        """Switch every attention layer between `sdpa` and `explicit` (materialized matrix)."""
        if impl not in ("sdpa", "explicit"):
            raise ValueError("impl must be sdpa or explicit")
        self.config.attn_impl = impl
        for m in self.modules():
            if isinstance(m, Attention):
                m.impl = impl
        return self

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
