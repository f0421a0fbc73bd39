"""Hugging Face VivitForVideoClassification (ViViT model 1: joint space-time attention over tubelets) <-> tubelet."""

from __future__ import annotations

from ..modeling.config import VideoTransformerConfig
from ..modeling.model import VideoTransformer
from .files import CheckpointError
from .hf_config import common_from_hf, common_to_hf, head_matches
from .rename import HF_VIT_LAYER, fuse_qkv, invert, layer_map, load_exact, rename, split_qkv, sub_keys

MODEL_TYPE = "vivit"
ARCHITECTURES = ("VivitForVideoClassification",)
DEFAULTS = dict(
    image_size=224,
    num_frames=32,
    tubelet_size=[2, 16, 16],
    num_channels=3,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu_fast",
    layer_norm_eps=1e-6,
    qkv_bias=True,
)
# transformers 5's in-memory names -> the names its checkpoints keep on disk
V5_NAMES = [
    (r"^vivit\.layers\.(\d+)\.", r"vivit.encoder.layer.\1."),
    (
        r"\.attention\.([qkv])_proj\.",
        lambda m: ".attention.attention." + {"q": "query", "k": "key", "v": "value"}[m[1]] + ".",
    ),
    (r"\.attention\.o_proj\.", ".attention.output.dense."),
    (r"\.mlp\.fc1\.", ".intermediate.dense."),
    (r"\.mlp\.fc2\.", ".output.dense."),
]


def architecture(hf: dict, keys) -> str:
    if "classifier.weight" not in keys:
        raise CheckpointError("only VivitForVideoClassification checkpoints are supported (no classifier found)")
    return ARCHITECTURES[0]


def _mapping(cfg: VideoTransformerConfig) -> dict[str, str]:
    return {
        "patch_embed.proj": "vivit.embeddings.patch_embeddings.projection",
        "cls_token": "vivit.embeddings.cls_token",
        "pos_embed.table": "vivit.embeddings.position_embeddings",
        **layer_map("blocks", "vivit.encoder.layer", cfg.depth, HF_VIT_LAYER),
        "norm": "vivit.layernorm",
        "head": "classifier",
    }


def load(hf: dict, state: dict, arch: str) -> VideoTransformer:
    g = {**DEFAULTS, **hf}
    t, ph, pw = (int(v) for v in g["tubelet_size"])
    if ph != pw:
        raise CheckpointError(f"non-square ViViT tubelet_size {g['tubelet_size']} is not supported")
    cfg = VideoTransformerConfig(
        **common_from_hf(hf, DEFAULTS),
        patch_size=ph,
        tubelet_size=t,
        scheme="joint",
        pos_embed="learned",
        class_token=True,
        pooling="cls",
        qkv_bias=bool(g["qkv_bias"]),
    )
    state = fuse_qkv(sub_keys(state, V5_NAMES))
    model = VideoTransformer(cfg)
    # the pooler (dense + tanh on the class token) is not used by the classification head
    return load_exact(model, rename(state, invert(_mapping(cfg)), ignore=[r"vivit\.pooler\..*"]))


def counterpart(model) -> str | None:
    cfg = model.config
    ok = (
        isinstance(model, VideoTransformer)
        and cfg.scheme == "joint"
        and cfg.pos_embed == "learned"
        and cfg.class_token
        and cfg.pooling == "cls"
        and cfg.key_bias
        and cfg.num_labels > 0
        and head_matches(cfg)
    )
    return ARCHITECTURES[0] if ok else None


def export(model: VideoTransformer, arch: str) -> tuple[dict, dict]:
    cfg = model.config
    hf = common_to_hf(cfg, MODEL_TYPE, arch, "gelu_fast")
    hf.update(tubelet_size=[cfg.tubelet_size, cfg.patch_size, cfg.patch_size], qkv_bias=cfg.qkv_bias)
    return hf, split_qkv(rename(model.state_dict(), _mapping(cfg)))
