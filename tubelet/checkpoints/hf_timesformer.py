"""Hugging Face TimesformerForVideoClassification (divided, space_only, joint_space_time) <-> tubelet.

TimeSformer embeds each frame with a Conv2d: a Conv3d with a temporal kernel of 1, so the weight only
gains a time axis of length 1. HF orders tokens (space, time) where tubelet uses (time, space); every
layer treats tokens by their grid position, so the order does not change the class logits.
HF's space_only model returns one row of logits per frame, `(B*T, L)`; tubelet returns the clip logits
`(B, L)`, which equal the mean of those rows (the head is linear).
"""

from __future__ import annotations

from ..modeling.config import VideoTransformerConfig
from ..modeling.model import VideoTransformer
from .files import CheckpointError
from .hf_config import common_from_hf, common_to_hf, head_matches, square
from .rename import HF_VIT_LAYER, invert, layer_map, load_exact, rename

MODEL_TYPE = "timesformer"
ARCHITECTURES = ("TimesformerForVideoClassification",)
SCHEMES = {"divided_space_time": "divided", "space_only": "space_only", "joint_space_time": "joint"}
DEFAULTS = dict(
    image_size=224,
    patch_size=16,
    num_channels=3,
    num_frames=8,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu",
    layer_norm_eps=1e-6,
    qkv_bias=True,
    attention_type="divided_space_time",
    drop_path_rate=0.0,
)
TEMPORAL_LAYER = {
    "temporal_norm": "temporal_layernorm",
    "temporal_attn.qkv": "temporal_attention.attention.qkv",
    "temporal_attn.proj": "temporal_attention.output.dense",
    "temporal_fc": "temporal_dense",
}


def architecture(hf: dict, keys) -> str:
    if "classifier.weight" not in keys:
        raise CheckpointError("only TimesformerForVideoClassification checkpoints are supported (no classifier found)")
    return ARCHITECTURES[0]


def _mapping(cfg: VideoTransformerConfig) -> dict[str, str]:
    per_layer = {**HF_VIT_LAYER, **(TEMPORAL_LAYER if cfg.scheme == "divided" else {})}
    m = {
        "patch_embed.proj": "timesformer.embeddings.patch_embeddings.projection",
        "cls_token": "timesformer.embeddings.cls_token",
        "pos_embed.space": "timesformer.embeddings.position_embeddings",
        **layer_map("blocks", "timesformer.encoder.layer", cfg.depth, per_layer),
        "norm": "timesformer.layernorm",
        "head": "classifier",
    }
    if cfg.scheme != "space_only":
        m["pos_embed.time"] = "timesformer.embeddings.time_embeddings"
    return m


def load(hf: dict, state: dict, arch: str) -> VideoTransformer:
    g = {**DEFAULTS, **hf}
    if g["attention_type"] not in SCHEMES:
        raise CheckpointError(f"unknown TimeSformer attention_type {g['attention_type']!r}")
    cfg = VideoTransformerConfig(
        **common_from_hf(hf, DEFAULTS),
        patch_size=square(g["patch_size"], "patch_size"),
        tubelet_size=1,
        scheme=SCHEMES[g["attention_type"]],
        pos_embed="learned_space_time",
        class_token=True,
        pooling="cls",
        qkv_bias=bool(g["qkv_bias"]),
        drop_path=float(g["drop_path_rate"]),
    )
    ours = rename(state, invert(_mapping(cfg)))
    w = ours["patch_embed.proj.weight"]
    ours["patch_embed.proj.weight"] = w[:, :, None] if w.ndim == 4 else w  # Conv2d -> Conv3d, kernel t = 1
    return load_exact(VideoTransformer(cfg), ours)


def counterpart(model) -> str | None:
    cfg = model.config
    ok = (
        isinstance(model, VideoTransformer)
        and cfg.tubelet_size == 1
        and cfg.scheme in SCHEMES.values()
        and cfg.pos_embed == "learned_space_time"
        and cfg.class_token
        and cfg.pooling == "cls"
        and cfg.key_bias
        and cfg.num_labels > 0
        and head_matches(cfg)
    )
    return ARCHITECTURES[0] if ok else None


def export(model: VideoTransformer, arch: str) -> tuple[dict, dict]:
    cfg = model.config
    state = rename(model.state_dict(), _mapping(cfg))
    key = "timesformer.embeddings.patch_embeddings.projection.weight"
    state[key] = state[key][:, :, 0]
    hf = common_to_hf(cfg, MODEL_TYPE, arch, "gelu_pytorch_tanh")
    hf.update(patch_size=cfg.patch_size, qkv_bias=cfg.qkv_bias, attention_type=invert(SCHEMES)[cfg.scheme])
    if cfg.drop_path:  # transformers 5 types this field int and rejects 0.0, so only write a real rate
        hf["drop_path_rate"] = cfg.drop_path
    return hf, state
