"""VideoMAE: masked autoencoding of video (Tong et al. 2022), in the shape of MAE's models_mae.py.

The encoder is a joint-attention `VideoTransformer` that sees only the visible tokens (at 90% masking,
a tenth of the sequence: that is where the speed comes from). A light decoder gets the encoded visible
tokens plus a shared mask token at every hidden position, each with a fixed sinusoidal position, and
predicts the pixels of the masked tubes. The loss is MSE on masked tubes only, against per-patch
normalized pixels (`norm_pix_loss`) or raw pixels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ..constants import IMAGENET_MEAN, IMAGENET_STD
from .attention import Block
from .config import VideoTransformerConfig
from .model import VideoTransformer, trunc_normal
from .tokens import sinusoid_table


def videomae_encoder_config(**fields) -> VideoTransformerConfig:
    """VideoMAE's encoder: joint attention, sinusoidal positions, no class token, mean pooling, no key bias."""
    base = dict(
        scheme="joint",
        pos_embed="sincos",
        class_token=False,
        pooling="mean",
        key_bias=False,
        norm_eps=1e-12,
        head_norm_eps=1e-5,
    )
    return VideoTransformerConfig(**{**base, **fields})


@dataclass
class VideoMAEConfig:
    encoder: VideoTransformerConfig = field(default_factory=videomae_encoder_config)
    decoder_dim: int = 384
    decoder_depth: int = 4
    decoder_heads: int = 6
    decoder_mlp_ratio: float = 4.0
    decoder_norm_eps: float = 1e-5
    norm_pix_loss: bool = True
    mask_ratio: float = 0.9
    pixel_mean: tuple[float, ...] = IMAGENET_MEAN  # how the input was normalized: needed to get pixels back
    pixel_std: tuple[float, ...] = IMAGENET_STD

    def __post_init__(self):
        if isinstance(self.encoder, dict):
            self.encoder = VideoTransformerConfig.from_dict(self.encoder)
        if self.encoder.scheme != "joint" or self.encoder.class_token:
            raise ValueError("the VideoMAE encoder must use joint attention without a class token")
        enc = self.encoder
        if enc.image_size % enc.patch_size or enc.num_frames % enc.tubelet_size:
            # the pixel targets cut the whole clip into tubes (as transformers' pretraining loss does)
            raise ValueError(
                f"VideoMAE pretraining needs image_size ({enc.image_size}) a multiple of patch_size "
                f"({enc.patch_size}) and num_frames ({enc.num_frames}) a multiple of tubelet_size ({enc.tubelet_size})"
            )
        self.pixel_mean, self.pixel_std = tuple(self.pixel_mean), tuple(self.pixel_std)

    @property
    def decoder_block_config(self) -> VideoTransformerConfig:
        return self.encoder.replace(
            dim=self.decoder_dim,
            heads=self.decoder_heads,
            mlp_ratio=self.decoder_mlp_ratio,
            depth=self.decoder_depth,
            num_labels=0,
            id2label={},
            drop_path=0.0,
        )

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["encoder"] = self.encoder.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "VideoMAEConfig":
        return cls(**d)


def _xavier(m: nn.Module):
    """MAE's / VideoMAE's pretraining init: xavier-uniform linear layers, zero biases, unit norms. (The
    classifier's trunc-normal(0.02) leaves a patch's content 5x weaker than its sinusoidal position at the
    start; on tubelet's small encoders the loss then sat on a plateau for thousands of steps.)"""
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class VideoMAE(nn.Module):
    def __init__(self, config: VideoMAEConfig):
        super().__init__()
        self.config = config
        enc = config.encoder
        self.encoder = VideoTransformer(enc)
        self.encoder_to_decoder = nn.Linear(enc.dim, config.decoder_dim, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, config.decoder_dim))
        decoder_pos = sinusoid_table(enc.num_patches, config.decoder_dim)
        self.register_buffer("decoder_pos", decoder_pos, persistent=False)
        dec = config.decoder_block_config
        self.decoder_blocks = nn.ModuleList(Block(dec) for _ in range(config.decoder_depth))
        self.decoder_norm = nn.LayerNorm(config.decoder_dim, eps=config.decoder_norm_eps)
        self.patch_dim = enc.tubelet_size * enc.patch_size**2 * enc.num_channels
        self.decoder_pred = nn.Linear(config.decoder_dim, self.patch_dim)
        self.apply(_xavier)
        proj = self.encoder.patch_embed.proj
        if isinstance(proj, nn.Conv3d):  # the linear tubelet embedding, initialized as the linear layer it is
            nn.init.xavier_uniform_(proj.weight.view(proj.weight.shape[0], -1))
        trunc_normal(self.mask_token)
        self.preprocessor: dict | None = None

    # --- pixels <-> tubes -----------------------------------------------------------------------
    def patchify(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, t*h*w, tubelet*p*p*C), pixels ordered (time, row, column, channel)."""
        enc = self.config.encoder
        return rearrange(
            video,
            "b c (t pt) (h ph) (w pw) -> b (t h w) (pt ph pw c)",
            pt=enc.tubelet_size,
            ph=enc.patch_size,
            pw=enc.patch_size,
        )

    def unpatchify(self, patches: torch.Tensor) -> torch.Tensor:
        enc = self.config.encoder
        t, h, w = enc.grid
        return rearrange(
            patches,
            "b (t h w) (pt ph pw c) -> b c (t pt) (h ph) (w pw)",
            t=t,
            h=h,
            w=w,
            pt=enc.tubelet_size,
            ph=enc.patch_size,
            pw=enc.patch_size,
        )

    def pixels(self, video: torch.Tensor) -> torch.Tensor:
        """Undo the input normalization (RGB inputs only), giving pixels in [0, 1]."""
        if video.shape[1] != len(self.config.pixel_mean):
            return video

        def per_channel(values):
            return torch.tensor(values, device=video.device, dtype=video.dtype).view(1, -1, 1, 1, 1)

        return video * per_channel(self.config.pixel_std) + per_channel(self.config.pixel_mean)

    def targets(self, video: torch.Tensor) -> torch.Tensor:
        """What the decoder must predict for every tube `(B, N, patch_dim)`."""
        with torch.no_grad():
            patches = self.patchify(self.pixels(video))
            if not self.config.norm_pix_loss:
                return patches
            c = self.config.encoder.num_channels
            p = rearrange(patches, "b n (k c) -> b n k c", c=c)  # normalize each channel within each tube
            p = (p - p.mean(dim=-2, keepdim=True)) / (p.var(dim=-2, unbiased=True, keepdim=True).sqrt() + 1e-6)
            return rearrange(p, "b n k c -> b n (k c)")

    # --- the stages -----------------------------------------------------------------------------
    def forward_encoder(self, video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encode visible tokens only: `(B, N_visible, D)`."""
        return self.encoder.forward_features(video, mask=mask)

    def forward_decoder(self, visible: torch.Tensor, mask: torch.Tensor, *, predict_all: bool = False) -> torch.Tensor:
        """Visible encodings + mask tokens -> predicted pixels of the masked tubes `(B, N_masked, patch_dim)`,
        in the order the masked positions appear in the sequence. `predict_all` (with a mask hiding nothing:
        pretraining without masking, for cost comparisons) predicts every tube."""
        x = self.encoder_to_decoder(visible)
        b, _, d = x.shape
        pos = self.decoder_pos.to(x.dtype).expand(b, -1, -1)
        pos_visible, pos_masked = pos[~mask].reshape(b, -1, d), pos[mask].reshape(b, -1, d)
        x = torch.cat([x + pos_visible, self.mask_token + pos_masked], dim=1)
        for blk in self.decoder_blocks:
            x = blk(x)
        if predict_all:
            if mask.any():
                raise ValueError("predict_all needs a mask that hides nothing")
            return self.decoder_pred(self.decoder_norm(x))
        return self.decoder_pred(self.decoder_norm(x[:, -pos_masked.shape[1] :]))

    def forward_loss(self, video: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        target = self.targets(video)
        target = target[mask].reshape(target.shape[0], -1, target.shape[-1])
        return F.mse_loss(pred, target)

    def forward(self, video: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`mask` (B, t*h*w) bool, True = hidden, the same count per clip. Returns (loss, prediction)."""
        if mask.dtype != torch.bool or mask.shape != (video.shape[0], self.config.encoder.num_patches):
            raise ValueError(f"mask must be bool of shape (B, {self.config.encoder.num_patches})")
        pred = self.forward_decoder(self.forward_encoder(video, mask), mask)
        return self.forward_loss(video, pred, mask), pred
