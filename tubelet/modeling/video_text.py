"""A video-language dual encoder: a video tower and a text tower that map a clip and a sentence describing it
close together in one space, so labels become text typed at query time.

    model = tubelet.load_model("clip-folder")          # any CLIPModel folder: a video model by meanP
    model.similarity(video, ["a dog jumping into water", "a static shot"])   # (B, N), logit_scale x cosine
    model.set_labels(["pans left", "zooms in"])         # then forward(video) gives logits over those labels

The video tower is a frame model (`frame_model.FrameModel`: an image tower per frame, the frames' normalised
embeddings averaged and normalised again, CLIP4Clip's meanP; how CLIP checkpoints see video) or one of tubelet's
own video transformers, pooled and projected (`video_tower="transformer"`: a model trained here, which sees
motion). The text tower is CLIP's causal transformer.
Similarity is `logit_scale.exp()` times the cosine, the learned temperature of CLIP's contrastive loss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .clip import ClipTextConfig, ClipTextTower
from .config import VideoTransformerConfig
from .frame_model import FrameModel, FrameModelConfig
from .model import VideoTransformer, trunc_normal
from .xclip import XClipVideoConfig, XClipVideoTower

VIDEO_TOWERS = {
    "frames": (FrameModel, FrameModelConfig),  # an image tower per frame, meanP (CLIP checkpoints)
    "transformer": (VideoTransformer, VideoTransformerConfig),  # tubelet's own, pooled and projected
    "xclip": (XClipVideoTower, XClipVideoConfig),  # X-CLIP: cross-frame messages, MIT, prompted texts
}


@dataclass
class VideoTextConfig:
    video: dict = field(default_factory=lambda: {"tower": "clip_vision", "num_frames": 8})  # the video tower's config
    text: dict = field(default_factory=dict)  # a ClipTextConfig
    video_tower: str = "frames"  # frames: a FrameModelConfig (meanP) | transformer: a VideoTransformerConfig
    logit_scale_init: float = 2.6592  # log(1 / 0.07), CLIP's initial temperature
    id2label: dict[int, str] = field(default_factory=dict)  # the labels set by `set_labels` (saved with it)

    def __post_init__(self):
        if self.video_tower not in VIDEO_TOWERS:
            raise ValueError(f"video_tower must be one of {', '.join(VIDEO_TOWERS)}, got {self.video_tower!r}")
        self.video = VIDEO_TOWERS[self.video_tower][1](**self.video).to_dict()
        self.text = ClipTextConfig(**self.text).to_dict()
        self.id2label = {int(k): str(v) for k, v in self.id2label.items()}
        if self.video_tower == "transformer" and self.video_config.num_labels:
            raise ValueError("the video transformer of a video-language model has no classification head")
        if self.video_tower != "transformer":
            video = self.video_config
            dims = getattr(video, "image", video).projection_dim, self.text_config.projection_dim
            if dims[0] != dims[1]:
                raise ValueError(f"the towers project to different sizes (video {dims[0]}, text {dims[1]})")

    video_config = property(lambda self: VIDEO_TOWERS[self.video_tower][1](**self.video))
    text_config = property(lambda self: ClipTextConfig(**self.text))
    image_size = property(lambda self: self.video_config.image_size)
    num_frames = property(lambda self: self.video_config.num_frames)
    num_labels = property(lambda self: len(self.id2label))
    label2id = property(lambda self: {v: k for k, v in self.id2label.items()})

    @property
    def clip_activation_bytes(self) -> int:
        vc = self.video_config
        return getattr(vc, "clip_activation_bytes", None) or vc.num_patches * vc.mlp_dim * 4

    def to_dict(self) -> dict:
        d = asdict(self)
        d["id2label"] = {str(k): v for k, v in self.id2label.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "VideoTextConfig":
        return cls(**d)


class VideoTextModel(nn.Module):
    # forward's logits are similarities to the labels, not a head on the pooled embedding
    head_on_pool = False

    def __init__(self, config: VideoTextConfig):
        super().__init__()
        self.config = config
        video_cls, _ = VIDEO_TOWERS[config.video_tower]
        self.video = video_cls(config.video_config)
        # a video transformer's pooled features, projected into the shared space (a frame tower projects itself)
        self.video_proj = None
        if config.video_tower == "transformer":
            self.video_proj = nn.Linear(config.video_config.dim, config.text_config.projection_dim, bias=False)
            trunc_normal(self.video_proj.weight)
        self.text = ClipTextTower(config.text_config)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init))
        self.tokenizer = None  # a text.tokenizer.ClipTokenizer, attached by the loader
        self.label_template = "{}"
        self.register_buffer("label_features", torch.zeros(0, config.text_config.projection_dim), persistent=False)

    # --- the two towers ----------------------------------------------------------------------------------------
    def _video(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """-> (B, D) unit vectors, and (X-CLIP) the context its texts are prompted with, else None."""
        if self.config.video_tower == "xclip":
            embedding, context = self.video(video)
            return F.normalize(embedding, dim=-1), context
        pooled = self.video.pool(self.video.forward_features(video))
        return (pooled if self.video_proj is None else F.normalize(self.video_proj(pooled), dim=-1)), None

    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) normalized video -> (B, D) unit vectors."""
        return self._video(video)[0]

    def encode_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) token ids -> (N, D) unit vectors."""
        return F.normalize(self.text(ids), dim=-1)

    def text_features(self, texts: list[str], batch_size: int = 256) -> torch.Tensor:
        """Sentences -> (N, D) projected text features, not normalised, in batches (a thousand labels never make
        one huge padded batch)."""
        if self.tokenizer is None:
            raise ValueError(
                "this model has no tokenizer: its folder needs tokenizer.json, or vocab.json and merges.txt"
            )
        device = self.logit_scale.device
        parts = [self.text(ids.to(device)) for ids in self.tokenizer.batches(list(texts), batch_size)]
        return torch.cat(parts) if parts else torch.zeros(0, self.config.text_config.projection_dim, device=device)

    def encode_text(self, texts: list[str], batch_size: int = 256) -> torch.Tensor:
        """Sentences -> (N, D) unit vectors. For X-CLIP, the text as no particular video prompts it (what a search
        index can hold; `similarity` prompts it with each video)."""
        return F.normalize(self.text_features(texts, batch_size), dim=-1)

    def _scores(self, video: torch.Tensor, context: torch.Tensor | None, text: torch.Tensor) -> torch.Tensor:
        """Unit video vectors (B, D) and projected text features (K, D) -> (B, K) logit_scale x cosine."""
        if context is None:
            return self.logit_scale.exp() * video @ F.normalize(text, dim=-1).t()
        prompted = self.video.condition(text[None].expand(len(video), -1, -1), context)  # X-CLIP: per video
        return self.logit_scale.exp() * torch.einsum("bd,bkd->bk", video, F.normalize(prompted, dim=-1))

    def similarity(self, video: torch.Tensor, texts: list[str] | torch.Tensor) -> torch.Tensor:
        """(B, N) logit_scale.exp() x cosine between each clip and each text (sentences, or `text_features`);
        transformers' `logits_per_video`."""
        text = self.text_features(texts) if isinstance(texts, (list, tuple)) else texts
        return self._scores(*self._video(video), text)

    # --- labels typed at run time ------------------------------------------------------------------------------
    def set_labels(self, labels: list[str], template: str = "{}") -> None:
        """Make `forward` score these labels: each is written into `template` and encoded once."""
        with torch.no_grad():
            self.label_features = self.text_features([template.format(label) for label in labels])
        self.config.id2label = dict(enumerate(labels))
        self.label_template = template

    def forward_with_embedding(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, T, H, W) -> (B, L) similarities to the labels (their softmax is the label distribution), and the
        (B, D) video embedding."""
        if not len(self.label_features):
            raise ValueError("no labels: call set_labels first (tubelet tag --labels ...)")
        embedding, context = self._video(video)
        return self._scores(embedding, context, self.label_features), embedding

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.forward_with_embedding(video)[0]
