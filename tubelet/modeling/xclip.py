"""X-CLIP's video tower (Ni et al., "Expanding Language-Image Pretrained Models for General Video Recognition",
ECCV 2022), built from tubelet's own `Block` and `Attention`.

Three parts on top of CLIP's image tower:
- cross-frame communication: in every block each frame's class token is turned into a message token, the T
  messages attend to each other, and each frame's tokens attend to their own message for that block;
- the multi-frame integration transformer (MIT): the frames' projected class tokens, plus a learned position per
  frame, through a few blocks with a residual, averaged over time: the video embedding;
- the video-specific prompt generator: the patch tokens, averaged over frames, are what a sentence's embedding
  attends to (cross-attention), so the text side of X-CLIP depends on the video it is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .activations import Activation
from .attention import Attention, Block
from .clip import ClipVisionConfig, ClipVisionTower


@dataclass
class XClipVideoConfig(ClipVisionConfig):
    num_frames: int = 8
    mit_dim: int = 512  # the integration transformer works on projected class tokens: mit_dim = projection_dim
    mit_depth: int = 1
    mit_heads: int = 8
    mit_mlp_dim: int = 2048
    prompt_layers: int = 2
    prompt_heads: int = 8
    prompt_alpha: float = 0.1
    prompt_activation: str = "quick_gelu"
    prompt_norm_eps: float = 1e-5  # the prompt generator's layers use the text tower's epsilon

    def __post_init__(self):
        super().__post_init__()
        if self.mit_dim != self.projection_dim:
            raise ValueError(f"mit_dim ({self.mit_dim}) must equal projection_dim ({self.projection_dim})")

    def mit(self) -> ClipVisionConfig:
        """What a Block of the integration transformer reads."""
        return ClipVisionConfig(image_size=self.image_size, patch_size=self.patch_size, dim=self.mit_dim,
                                depth=self.mit_depth, heads=self.mit_heads, mlp_dim=self.mit_mlp_dim,
                                activation=self.activation, norm_eps=self.norm_eps)  # fmt: skip


class CrossFrameBlock(nn.Module):
    """A CLIP block whose frames talk through message tokens: (B*T, 1 + N, D) -> same."""

    def __init__(self, cfg: XClipVideoConfig):
        super().__init__()
        self.num_frames = cfg.num_frames
        self.message_fc = nn.Linear(cfg.dim, cfg.dim)
        self.message_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)
        self.message_attn = Attention(cfg.dim, cfg.heads)
        self.block = Block(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        messages = rearrange(self.message_fc(x[:, 0]), "(b t) d -> b t d", t=self.num_frames)
        messages = messages + self.message_attn(self.message_norm(messages))  # the frames exchange messages
        x = torch.cat([x, rearrange(messages, "b t d -> (b t) 1 d")], dim=1)
        x = x + self.block.attn(self.block.norm1(x))
        x = x[:, :n]  # the message has been read; it does not go through the MLP
        return x + self.block.mlp(self.block.norm2(x))


class PromptLayer(nn.Module):
    """A sentence embedding attends to the video's patch tokens, then an MLP (both residual)."""

    def __init__(self, dim: int, heads: int, activation: str, eps: float):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.q, self.k, self.v = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), Activation(activation), nn.Linear(4 * dim, dim))

    def cross_attention(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        q = rearrange(self.q(text), "b n (h d) -> b h n d", h=self.heads)
        k, v = (rearrange(f(visual), "b m (h d) -> b h m d", h=self.heads) for f in (self.k, self.v))
        return self.proj(rearrange(F.scaled_dot_product_attention(q, k, v), "b h n d -> b n (h d)"))

    def forward(self, text: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        text = text + self.cross_attention(self.norm1(text), visual)
        return text + self.mlp(self.norm2(text))


class XClipVideoTower(nn.Module):
    """(B, C, T, H, W) -> the video embedding (B, D) and the prompt context (B, N, D) its texts attend to."""

    def __init__(self, config: XClipVideoConfig):
        super().__init__()
        self.config = cfg = config
        self.frames = ClipVisionTower(cfg)  # patches, class token, positions, norms, projection
        self.frames.blocks = nn.ModuleList(CrossFrameBlock(cfg) for _ in range(cfg.depth))
        mit = cfg.mit()
        self.mit_pos = nn.Parameter(torch.zeros(1, cfg.num_frames, cfg.mit_dim))
        self.mit = nn.ModuleList(Block(mit) for _ in range(cfg.mit_depth))
        self.prompt_norm = nn.LayerNorm(cfg.dim, eps=cfg.norm_eps)  # on the patch tokens, before their projection
        self.prompt_proj = nn.Parameter(torch.randn(cfg.dim, cfg.projection_dim) * cfg.dim**-0.5)
        self.prompt_context_norm = nn.LayerNorm(cfg.projection_dim, eps=cfg.norm_eps)
        self.prompts = nn.ModuleList(
            PromptLayer(cfg.projection_dim, cfg.prompt_heads, cfg.prompt_activation, cfg.prompt_norm_eps)
            for _ in range(cfg.prompt_layers)
        )
        self.prompt_alpha = nn.Parameter(torch.full((cfg.projection_dim,), cfg.prompt_alpha))

    def forward(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = video.shape[0]
        tokens = self.frames.forward_features(rearrange(video, "b c t h w -> (b t) c h w"))
        cls = rearrange(self.frames.forward_head(tokens), "(b t) d -> b t d", b=b)
        x = cls + self.mit_pos
        for block in self.mit:
            x = block(x)
        embedding = (x + cls).mean(dim=1)
        patches = self.prompt_norm(tokens[:, 1:]) @ self.prompt_proj
        context = rearrange(patches, "(b t) n d -> b t n d", b=b).mean(dim=1)
        return embedding, context

    def condition(self, text: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Text embeddings (B, K, D) and each video's context (B, N, D) -> the texts as that video prompts them."""
        context = self.prompt_context_norm(context)
        prompt = text
        for layer in self.prompts:
            prompt = layer(prompt, context)
        return text + self.prompt_alpha * prompt
