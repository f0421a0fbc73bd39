"""Hugging Face CLIPModel folders <-> tubelet's video-language model (meanP over frames).

CLIP sees images; tubelet runs its image tower on each sampled frame and averages the normalised frame embeddings
(CLIP4Clip's meanP), so any CLIP checkpoint tags and searches video. The text tower and the temperature are
CLIP's own. How many frames a window samples is tubelet's choice, kept in config.json as `tubelet_num_frames`
(transformers ignores the key).
"""

from __future__ import annotations

from ..modeling.video_text import VideoTextConfig, VideoTextModel
from .files import CheckpointError
from .hf_config import activation_from_hf
from .rename import fuse_qkv, invert, layer_map, load_exact, rename, split_qkv, sub_keys

MODEL_TYPE = "clip"
ARCHITECTURES = ("CLIPModel",)
DEFAULT_FRAMES = 8
TEXT_DEFAULTS = dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                     num_attention_heads=8, max_position_embeddings=77, hidden_act="quick_gelu",
                     layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=49406, eos_token_id=49407)  # fmt: skip
VISION_DEFAULTS = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                       num_channels=3, image_size=224, patch_size=32, hidden_act="quick_gelu",
                       layer_norm_eps=1e-5)  # fmt: skip
CLIP_LAYER = {
    "norm1": "layer_norm1",
    "attn.qkv": "self_attn.qkv",
    "attn.proj": "self_attn.out_proj",
    "norm2": "layer_norm2",
    "mlp.fc1": "mlp.fc1",
    "mlp.fc2": "mlp.fc2",
}
QKV = (("q", "query"), ("k", "key"), ("v", "value"))
# CLIP's attention names -> fuse_qkv's, and back (X-CLIP's message attention too; never its cross-attention)
TO_FUSE = [(rf"\.(self_attn|message_attn)\.{a}_proj\.", rf".\1.{b}.") for a, b in QKV]
TO_CLIP = [(rf"\.(self_attn|message_attn)\.{b}\.", rf".\1.{a}_proj.") for a, b in QKV]


def architecture(hf: dict, keys) -> str:
    if not {"visual_projection.weight", "text_projection.weight"} <= set(keys):
        raise CheckpointError("only CLIPModel checkpoints (both towers and their projections) are supported")
    return ARCHITECTURES[0]


def text_mapping(depth: int) -> dict[str, str]:
    """tubelet's text tower <-> transformers' CLIP / X-CLIP text model and projection."""
    return {
        "text.token_embed": "text_model.embeddings.token_embedding",
        "text.pos_embed": "text_model.embeddings.position_embedding.weight",
        **layer_map("text.blocks", "text_model.encoder.layers", depth, CLIP_LAYER),
        "text.final_norm": "text_model.final_layer_norm",
        "text.proj": "text_projection",
        "logit_scale": "logit_scale",
    }


def _mapping(cfg: VideoTextConfig) -> dict[str, str]:
    vision = cfg.video_config.image
    return {
        "video.tower.patch_embed": "vision_model.embeddings.patch_embedding",
        "video.tower.cls_token": "vision_model.embeddings.class_embedding",
        "video.tower.pos_embed": "vision_model.embeddings.position_embedding.weight",
        "video.tower.pre_norm": "vision_model.pre_layrnorm",
        **layer_map("video.tower.blocks", "vision_model.encoder.layers", vision.depth, CLIP_LAYER),
        "video.tower.post_norm": "vision_model.post_layernorm",
        "video.tower.proj": "visual_projection",
        **text_mapping(cfg.text_config.depth),
    }


def text_from_hf(hf: dict, defaults: dict = TEXT_DEFAULTS) -> dict:
    t = {**defaults, **(hf.get("text_config") or {})}
    return dict(
        vocab_size=int(t["vocab_size"]),
        context_length=int(t["max_position_embeddings"]),
        dim=int(t["hidden_size"]),
        depth=int(t["num_hidden_layers"]),
        heads=int(t["num_attention_heads"]),
        mlp_dim=int(t["intermediate_size"]),
        activation=activation_from_hf(t["hidden_act"]),
        norm_eps=float(t["layer_norm_eps"]),
        projection_dim=int(hf.get("projection_dim", 512)),
        bos_token_id=int(t["bos_token_id"]),
        eos_token_id=int(t["eos_token_id"]),
        pad_token_id=int(t["pad_token_id"]),
    )


def vision_from_hf(hf: dict) -> dict:
    v = {**VISION_DEFAULTS, **(hf.get("vision_config") or {})}
    return dict(
        image_size=int(v["image_size"]),
        patch_size=int(v["patch_size"]),
        num_channels=int(v["num_channels"]),
        dim=int(v["hidden_size"]),
        depth=int(v["num_hidden_layers"]),
        heads=int(v["num_attention_heads"]),
        mlp_dim=int(v["intermediate_size"]),
        activation=activation_from_hf(v["hidden_act"]),
        norm_eps=float(v["layer_norm_eps"]),
        projection_dim=int(hf.get("projection_dim", 512)),
    )


def config_from_hf(hf: dict) -> VideoTextConfig:
    frames = int(hf.get("tubelet_num_frames", DEFAULT_FRAMES))
    return VideoTextConfig(
        video={"tower": "clip_vision", "tower_config": vision_from_hf(hf), "num_frames": frames},
        text=text_from_hf(hf),
        logit_scale_init=float(hf.get("logit_scale_init_value", 2.6592)),
    )


def load_with(config_from, mapping, hf: dict, state: dict, family: str) -> VideoTextModel:
    """A CLIP-family folder -> the model: its config read by `config_from`, its tensors renamed by `mapping`."""
    try:
        cfg = config_from(hf)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"bad {family} config: {e}") from None
    state = fuse_qkv(sub_keys(state, TO_FUSE))
    # position ids are a buffer transformers rebuilds; older checkpoints saved them
    ignore = [r".*\.embeddings\.position_ids"]
    return load_exact(VideoTextModel(cfg), rename(state, invert(mapping(cfg)), ignore=ignore))


def export_state(model: VideoTextModel, mapping) -> dict:
    """The model's tensors under the transformers names `mapping` gives, attention split back into q, k, v."""
    return sub_keys(split_qkv(rename(model.state_dict(), mapping(model.config))), TO_CLIP)


def load(hf: dict, state: dict, arch: str) -> VideoTextModel:
    return load_with(config_from_hf, _mapping, hf, state, "CLIP")


def counterpart(model) -> str | None:
    cfg = getattr(model, "config", None)
    ok = isinstance(model, VideoTextModel) and cfg.video_tower == "frames" and cfg.video_config.tower == "clip_vision"
    return ARCHITECTURES[0] if ok else None


def act_to_hf(name: str) -> str:
    return "gelu_pytorch_tanh" if name == "gelu_tanh" else name


def text_to_hf(t) -> dict:
    return {
        "vocab_size": t.vocab_size,
        "hidden_size": t.dim,
        "intermediate_size": t.mlp_dim,
        "num_hidden_layers": t.depth,
        "num_attention_heads": t.heads,
        "max_position_embeddings": t.context_length,
        "hidden_act": act_to_hf(t.activation),
        "layer_norm_eps": t.norm_eps,
        "projection_dim": t.projection_dim,
        "pad_token_id": t.pad_token_id,
        "bos_token_id": t.bos_token_id,
        "eos_token_id": t.eos_token_id,
    }


def vision_to_hf(v) -> dict:
    return {
        "hidden_size": v.dim,
        "intermediate_size": v.mlp_dim,
        "num_hidden_layers": v.depth,
        "num_attention_heads": v.heads,
        "num_channels": v.num_channels,
        "image_size": v.image_size,
        "patch_size": v.patch_size,
        "hidden_act": act_to_hf(v.activation),
        "layer_norm_eps": v.norm_eps,
        "projection_dim": v.projection_dim,
    }


def export(model: VideoTextModel, arch: str) -> tuple[dict, dict]:
    cfg = model.config
    v, t = cfg.video_config.image, cfg.text_config
    hf = {
        "model_type": MODEL_TYPE,
        "architectures": [arch],
        "projection_dim": t.projection_dim,
        "logit_scale_init_value": cfg.logit_scale_init,
        "tubelet_num_frames": cfg.num_frames,
        "text_config": text_to_hf(t),
        "vision_config": vision_to_hf(v),
    }
    return hf, export_state(model, _mapping)
