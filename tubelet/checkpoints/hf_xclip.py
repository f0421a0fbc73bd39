"""Hugging Face XCLIPModel folders (the layout of microsoft/xclip-base-patch32) <-> tubelet's video-language model
with X-CLIP's video tower (modeling/xclip.py). The text side and the tokenizer are CLIP's (hf_clip.py)."""

from __future__ import annotations

from ..modeling.video_text import VideoTextConfig, VideoTextModel
from .files import CheckpointError
from .hf_clip import (
    CLIP_LAYER,
    act_to_hf,
    activation_from_hf,
    export_state,
    load_with,
    text_from_hf,
    text_mapping,
    text_to_hf,
    vision_from_hf,
    vision_to_hf,
)
from .rename import layer_map

MODEL_TYPE = "xclip"
ARCHITECTURES = ("XCLIPModel",)
# XCLIPTextConfig's defaults differ from CLIPTextConfig's in the special tokens
TEXT_DEFAULTS = dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                     num_attention_heads=8, max_position_embeddings=77, hidden_act="quick_gelu",
                     layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)  # fmt: skip
MIT_DEFAULTS = dict(mit_hidden_size=512, mit_intermediate_size=2048, mit_num_hidden_layers=1,
                    mit_num_attention_heads=8, num_frames=8)  # fmt: skip
CROSS_FRAME = {**{f"block.{a}": b for a, b in CLIP_LAYER.items()}, "message_fc": "message_fc",
               "message_norm": "message_ln", "message_attn.qkv": "message_attn.qkv",
               "message_attn.proj": "message_attn.out_proj"}  # fmt: skip
PROMPT_LAYER = {"norm1": "norm1", "q": "cross_attn.q_proj", "k": "cross_attn.k_proj", "v": "cross_attn.v_proj",
                "proj": "cross_attn.proj", "norm2": "norm3", "mlp.0": "mlp.0", "mlp.2": "mlp.3"}  # fmt: skip


def architecture(hf: dict, keys) -> str:
    if not {"visual_projection.weight", "text_projection.weight", "prompts_generator.alpha"} <= set(keys):
        raise CheckpointError("only XCLIPModel checkpoints (both towers, MIT and prompt generator) are supported")
    return ARCHITECTURES[0]


def _mapping(cfg: VideoTextConfig) -> dict[str, str]:
    v = cfg.video_config
    return {
        "video.frames.patch_embed": "vision_model.embeddings.patch_embedding",
        "video.frames.cls_token": "vision_model.embeddings.class_embedding",
        "video.frames.pos_embed": "vision_model.embeddings.position_embedding.weight",
        "video.frames.pre_norm": "vision_model.pre_layernorm",
        **layer_map("video.frames.blocks", "vision_model.encoder.layers", v.depth, CROSS_FRAME),
        "video.frames.post_norm": "vision_model.post_layernorm",
        "video.frames.proj": "visual_projection",
        "video.mit_pos": "mit.position_embedding",
        **layer_map("video.mit", "mit.encoder.layers", v.mit_depth, CLIP_LAYER),
        "video.prompt_norm": "prompts_visual_layernorm",
        "video.prompt_proj": "prompts_visual_projection",
        "video.prompt_context_norm": "prompts_generator.layernorm",
        **layer_map("video.prompts", "prompts_generator.decoder", v.prompt_layers, PROMPT_LAYER),
        "video.prompt_alpha": "prompts_generator.alpha",
        **text_mapping(cfg.text_config.depth),
    }


def config_from_hf(hf: dict) -> VideoTextConfig:
    v = {**MIT_DEFAULTS, **(hf.get("vision_config") or {})}
    text = dict(text_from_hf(hf, TEXT_DEFAULTS), pool="argmax")  # every transformers release reads X-CLIP text there
    video = dict(
        vision_from_hf(hf),
        num_frames=int(v["num_frames"]),
        mit_dim=int(v["mit_hidden_size"]),
        mit_depth=int(v["mit_num_hidden_layers"]),
        mit_heads=int(v["mit_num_attention_heads"]),
        mit_mlp_dim=int(v["mit_intermediate_size"]),
        prompt_layers=int(hf.get("prompt_layers", 2)),
        prompt_heads=int(hf.get("prompt_num_attention_heads", 8)),
        prompt_alpha=float(hf.get("prompt_alpha", 0.1)),
        prompt_activation=activation_from_hf(hf.get("prompt_hidden_act", "quick_gelu")),
        prompt_norm_eps=text["norm_eps"],
    )
    return VideoTextConfig(video=video, text=text, video_tower="xclip",
                           logit_scale_init=float(hf.get("logit_scale_init_value", 2.6592)))  # fmt: skip


def load(hf: dict, state: dict, arch: str) -> VideoTextModel:
    return load_with(config_from_hf, _mapping, hf, state, "X-CLIP")


def counterpart(model) -> str | None:
    ok = isinstance(model, VideoTextModel) and model.config.video_tower == "xclip"
    return ARCHITECTURES[0] if ok else None


def export(model: VideoTextModel, arch: str) -> tuple[dict, dict]:
    cfg = model.config
    v, t = cfg.video_config, cfg.text_config
    vision = dict(vision_to_hf(v), num_frames=v.num_frames, mit_hidden_size=v.mit_dim,
                  mit_intermediate_size=v.mit_mlp_dim, mit_num_hidden_layers=v.mit_depth,
                  mit_num_attention_heads=v.mit_heads)  # fmt: skip
    hf = {
        "model_type": MODEL_TYPE,
        "architectures": [arch],
        "projection_dim": t.projection_dim,
        "logit_scale_init_value": cfg.logit_scale_init,
        "prompt_layers": v.prompt_layers,
        "prompt_alpha": v.prompt_alpha,
        "prompt_hidden_act": act_to_hf(v.prompt_activation),
        "prompt_num_attention_heads": v.prompt_heads,
        "text_config": text_to_hf(t),
        "vision_config": vision,
    }
    return hf, export_state(model, _mapping)
