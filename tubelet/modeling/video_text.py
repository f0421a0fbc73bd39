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

VIDEO_TOWERS = {"frames": (FrameModel, FrameModelConfig), "transformer": (VideoTransformer, VideoTransformerConfig)}


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
        if self.video_tower == "frames":
            dims = self.video_config.image.projection_dim, self.text_config.projection_dim
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
        self.register_buffer("label_embeddings", torch.zeros(0, config.text_config.projection_dim), persistent=False)

    # --- the two towers ----------------------------------------------------------------------------------------
    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) normalized video -> (B, D) unit vectors."""
        pooled = self.video.pool(self.video.forward_features(video))
        return pooled if self.video_proj is None else F.normalize(self.video_proj(pooled), dim=-1)

    def encode_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) token ids -> (N, D) unit vectors."""
        return F.normalize(self.text(ids), dim=-1)

    def encode_text(self, texts: list[str], batch_size: int = 256) -> torch.Tensor:
        """Sentences -> (N, D) unit vectors, in batches (a thousand labels never make one huge padded batch)."""
        if self.tokenizer is None:
            raise ValueError(
                "this model has no tokenizer: its folder needs tokenizer.json, or vocab.json and merges.txt"
            )
        device = self.logit_scale.device
        parts = [self.encode_tokens(ids.to(device)) for ids in self.tokenizer.batches(list(texts), batch_size)]
        return torch.cat(parts) if parts else torch.zeros(0, self.config.text_config.projection_dim, device=device)

    def similarity(self, video: torch.Tensor, texts: list[str] | torch.Tensor) -> torch.Tensor:
        """(B, N) logit_scale.exp() x cosine between each clip and each text (sentences or unit vectors)."""
        text = self.encode_text(texts) if isinstance(texts, (list, tuple)) else texts
        return self.logit_scale.exp() * self.encode_video(video) @ text.t()

    # --- labels typed at run time ------------------------------------------------------------------------------
    def set_labels(self, labels: list[str], template: str = "{}") -> None:
        """Make `forward` score these labels: each is written into `template` and encoded once."""
        with torch.no_grad():
            self.label_embeddings = self.encode_text([template.format(label) for label in labels])
        self.config.id2label = dict(enumerate(labels))
        self.label_template = template

    def _label_logits(self, embedding: torch.Tensor) -> torch.Tensor:
        if not len(self.label_embeddings):
            raise ValueError("no labels: call set_labels first (tubelet tag --labels ...)")
        return self.logit_scale.exp() * embedding @ self.label_embeddings.t()

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, L) similarities to the labels; their softmax is the label distribution."""
        return self._label_logits(self.encode_video(video))

    def forward_with_embedding(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.encode_video(video)
        return self._label_logits(embedding), embedding
