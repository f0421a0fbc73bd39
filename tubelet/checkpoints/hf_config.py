"""Config fields the Hugging Face VideoMAE, TimeSformer and ViViT configs share, in both directions."""

from __future__ import annotations

from ..modeling.activations import ACTIVATIONS, WITH_PARAMETERS
from ..modeling.config import VideoTransformerConfig
from .files import CheckpointError

HF_NUM_LABELS = 2  # PretrainedConfig's default


def activation_from_hf(name: str) -> str:
    """transformers' `hidden_act` -> tubelet's activation (the same names; each computed as transformers does)."""
    if name in WITH_PARAMETERS:
        raise CheckpointError(f"unsupported hidden_act {name!r}: an activation with learned weights of its own")
    if name not in ACTIVATIONS:
        raise CheckpointError(f"unsupported hidden_act {name!r}; supported: {', '.join(ACTIVATIONS)}")
    return name


def square(value, what: str) -> int:
    """HF allows an int or a pair for image/patch sizes; tubelet models are square."""
    if isinstance(value, (list, tuple)):
        if len(set(value)) != 1:
            raise CheckpointError(f"non-square {what} {list(value)} is not supported")
        value = value[0]
    return int(value)


def common_from_hf(hf: dict, defaults: dict) -> dict:
    """The tubelet config fields every one of the three model types spells the same way."""
    g = {**defaults, **hf}
    dim = int(g["hidden_size"])
    # transformers leaves id2label out of config.json when it is its default: num_labels (2 unless set) named LABEL_i
    labels = hf.get("id2label") or {i: f"LABEL_{i}" for i in range(int(hf.get("num_labels") or HF_NUM_LABELS))}
    id2label = {int(k): v for k, v in labels.items()}
    return dict(
        image_size=square(g["image_size"], "image_size"),
        num_frames=int(g["num_frames"]),
        num_channels=int(g["num_channels"]),
        dim=dim,
        depth=int(g["num_hidden_layers"]),
        heads=int(g["num_attention_heads"]),
        mlp_ratio=int(g["intermediate_size"]) / dim,
        activation=activation_from_hf(g["hidden_act"]),
        norm_eps=float(g["layer_norm_eps"]),
        dropout=float(g.get("hidden_dropout_prob", 0.0)),
        attn_dropout=float(g.get("attention_probs_dropout_prob", 0.0)),
        id2label=id2label,
        num_labels=len(id2label),
    )


def common_to_hf(cfg: VideoTransformerConfig, model_type: str, architecture: str, tanh_name: str) -> dict:
    return dict(
        model_type=model_type,
        architectures=[architecture],
        image_size=cfg.image_size,
        num_frames=cfg.num_frames,
        num_channels=cfg.num_channels,
        hidden_size=cfg.dim,
        num_hidden_layers=cfg.depth,
        num_attention_heads=cfg.heads,
        intermediate_size=cfg.mlp_dim,
        hidden_act=tanh_name if cfg.activation == "gelu_tanh" else cfg.activation,
        layer_norm_eps=cfg.norm_eps,
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.attn_dropout,
        id2label={str(k): v for k, v in cfg.id2label.items()},
        label2id=cfg.label2id,
        torch_dtype="float32",
    )


def head_matches(cfg: VideoTransformerConfig) -> bool:
    """HF's final norm shares the block eps (except VideoMAE's fc_norm, checked there)."""
    return cfg.head_norm_eps in (None, cfg.norm_eps)
