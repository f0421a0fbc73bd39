"""Hugging Face VideoMAE (VideoMAEModel, VideoMAEForVideoClassification, VideoMAEForPreTraining) <-> tubelet.

The attention biases are where released transformers versions disagree on disk:
- 4.x, 5.0-5.16 and 5.18+ write `attention.attention.q_bias` and `v_bias` (query and value biases, no key bias);
- 5.17 keeps query / key / value as plain `nn.Linear` layers and writes `query.bias`, `key.bias`, `value.bias`.
tubelet reads both. A key bias adds q . b_k to every logit of a query's row, the same for every key, so the
softmax cancels it: dropping it is exact (tests/test_checkpoint_layouts.py proves it on a non-zero key bias).
tubelet writes the union: `q_bias` / `v_bias` for the releases that read those, and `query.bias` (= q_bias),
`key.bias` (zeros) and `value.bias` (= v_bias) for 5.17, which would otherwise leave its biases at zero; every
release ignores the names it does not use, and 5.18+ map both spellings onto the same tensor with equal values.
"""

from __future__ import annotations

import torch

from ..modeling.config import VideoTransformerConfig
from ..modeling.model import VideoTransformer
from ..modeling.videomae import VideoMAE, VideoMAEConfig
from .files import CheckpointError
from .hf_config import common_from_hf, common_to_hf, square
from .rename import HF_VIT_LAYER, fuse_qkv, invert, layer_map, load_exact, rename, split_qkv

MODEL_TYPE = "videomae"
ARCHITECTURES = ("VideoMAEForVideoClassification", "VideoMAEModel", "VideoMAEForPreTraining")
DEFAULTS = dict(
    image_size=224,
    patch_size=16,
    num_channels=3,
    num_frames=16,
    tubelet_size=2,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu",
    layer_norm_eps=1e-12,
    qkv_bias=True,
    use_mean_pooling=True,
    decoder_num_attention_heads=6,
    decoder_hidden_size=384,
    decoder_num_hidden_layers=4,
    decoder_intermediate_size=1536,
    norm_pix_loss=True,
)
FC_NORM_EPS = 1e-5  # fc_norm and the decoder norm are plain nn.LayerNorm: default eps
BIAS_SPELLINGS = {"q_bias": "query.bias", "v_bias": "value.bias"}


def architecture(hf: dict, keys) -> str:
    for arch in hf.get("architectures") or []:
        if arch in ARCHITECTURES:
            return arch
    if "decoder.head.weight" in keys:
        return "VideoMAEForPreTraining"
    return "VideoMAEForVideoClassification" if "classifier.weight" in keys else "VideoMAEModel"


def encoder_config(hf: dict, with_head: bool) -> VideoTransformerConfig:
    g = {**DEFAULTS, **hf}
    mean_pool = bool(g["use_mean_pooling"])
    common = common_from_hf(hf, DEFAULTS)
    if not with_head:
        common.update(id2label={}, num_labels=0)
    return VideoTransformerConfig(
        **common,
        patch_size=square(g["patch_size"], "patch_size"),
        tubelet_size=int(g["tubelet_size"]),
        scheme="joint",
        pos_embed="sincos",
        class_token=False,
        pooling="mean" if mean_pool else "cls",
        qkv_bias=bool(g.get("qv_bias", g["qkv_bias"])),
        key_bias=False,
        head_norm_eps=FC_NORM_EPS if mean_pool else None,
    )


def _encoder_map(cfg: VideoTransformerConfig, prefix: str, with_head: bool) -> dict[str, str]:
    m = {
        "patch_embed.proj": f"{prefix}embeddings.patch_embeddings.projection",
        **layer_map("blocks", f"{prefix}encoder.layer", cfg.depth, HF_VIT_LAYER),
    }
    if cfg.pooling == "cls":
        m["norm"] = f"{prefix}layernorm"  # use_mean_pooling=False: a final norm on the sequence
    elif with_head:
        m["norm"] = "fc_norm"  # mean pooling: the norm follows the pooling
    if with_head:
        m["head"] = "classifier"
    return m


def _pretraining_map(cfg: VideoMAEConfig) -> dict[str, str]:
    enc = {f"encoder.{k}": v for k, v in _encoder_map(cfg.encoder, "videomae.", False).items()}
    return {
        **enc,
        "encoder_to_decoder": "encoder_to_decoder",
        "mask_token": "mask_token",
        **layer_map("decoder_blocks", "decoder.decoder_layers", cfg.decoder_depth, HF_VIT_LAYER),
        "decoder_norm": "decoder.norm",
        "decoder_pred": "decoder.head",
    }


def attention_biases_to_tubelet(state: dict) -> dict:
    """`query.bias` / `value.bias` (transformers 5 in memory; 5.17 on disk) -> `q_bias` / `v_bias`; a key bias
    (5.17) is dropped: the softmax cancels it exactly. Where a file holds both spellings they must agree."""
    out = {}
    for key, value in state.items():
        head, sep, leaf = key.rpartition("attention.attention.")
        if not sep or leaf not in ("query.bias", "key.bias", "value.bias"):
            out.setdefault(key, value)
            continue
        if leaf == "key.bias":
            continue
        name = head + sep + ("q_bias" if leaf == "query.bias" else "v_bias")
        other = state.get(name)
        if other is not None and not torch.equal(other, value):
            raise CheckpointError(f"{key} and {name} disagree; the checkpoint is inconsistent")
        out[name] = value
    return out


def load(hf: dict, state: dict, arch: str):
    state = fuse_qkv(attention_biases_to_tubelet(state))
    if arch == "VideoMAEForPreTraining":
        g = {**DEFAULTS, **hf}
        dec_dim = int(g["decoder_hidden_size"])
        cfg = VideoMAEConfig(
            encoder=encoder_config(hf, with_head=False),
            decoder_dim=dec_dim,
            decoder_depth=int(g["decoder_num_hidden_layers"]),
            decoder_heads=int(g["decoder_num_attention_heads"]),
            decoder_mlp_ratio=int(g["decoder_intermediate_size"]) / dec_dim,
            decoder_norm_eps=FC_NORM_EPS,
            norm_pix_loss=bool(g["norm_pix_loss"]),
        )
        model, mapping = VideoMAE(cfg), _pretraining_map(cfg)
    else:
        with_head = arch == "VideoMAEForVideoClassification"
        cfg = encoder_config(hf, with_head)
        # a bare VideoMAEModel checkpoint has no "videomae." prefix
        prefix = "videomae." if any(k.startswith("videomae.") for k in state) else ""
        model, mapping = VideoTransformer(cfg), _encoder_map(cfg, prefix, with_head)
    # tubelet always has a final norm; a mean-pooling VideoMAE without a head has none (it stays identity-initialised)
    unused_norm = [
        k
        for k in model.state_dict()
        if k.endswith(("norm.weight", "norm.bias")) and not k.startswith(("blocks", "decoder_blocks"))
    ]
    return load_exact(model, rename(state, invert(mapping)), may_be_missing=unused_norm)


def counterpart(model) -> str | None:
    """The HF architecture that computes exactly what this tubelet model computes, if there is one."""
    pretraining = isinstance(model, VideoMAE)
    cfg = model.config.encoder if pretraining else model.config
    if not (cfg.scheme == "joint" and cfg.pos_embed == "sincos" and not cfg.class_token and not cfg.key_bias):
        return None
    if pretraining and model.config.decoder_norm_eps != FC_NORM_EPS:
        return None
    head_eps = cfg.norm_eps if cfg.head_norm_eps is None else cfg.head_norm_eps
    norm_exported = cfg.pooling == "cls" or (cfg.num_labels and not pretraining)
    if norm_exported and head_eps != (FC_NORM_EPS if cfg.pooling == "mean" else cfg.norm_eps):
        return None
    if pretraining:
        return "VideoMAEForPreTraining"
    return "VideoMAEForVideoClassification" if cfg.num_labels else "VideoMAEModel"


def export(model, arch: str) -> tuple[dict, dict]:
    state = model.state_dict()
    if arch == "VideoMAEForPreTraining":
        c = model.config
        enc = c.encoder
        mapping = _pretraining_map(c)
        if enc.pooling == "mean":
            state = {k: v for k, v in state.items() if not k.startswith("encoder.norm.")}
        extra = dict(
            decoder_hidden_size=c.decoder_dim,
            decoder_num_hidden_layers=c.decoder_depth,
            decoder_num_attention_heads=c.decoder_heads,
            decoder_intermediate_size=c.decoder_block_config.mlp_dim,
            norm_pix_loss=c.norm_pix_loss,
        )
    else:
        enc = model.config
        with_head = arch == "VideoMAEForVideoClassification"
        mapping = _encoder_map(enc, "videomae." if with_head else "", with_head)
        if not with_head and enc.pooling == "mean":
            state = {k: v for k, v in state.items() if not k.startswith("norm.")}
        extra = {}
    hf = common_to_hf(enc, MODEL_TYPE, arch, "gelu_pytorch_tanh")
    hf.update(
        patch_size=enc.patch_size,
        tubelet_size=enc.tubelet_size,
        qkv_bias=enc.qkv_bias,
        qv_bias=enc.qkv_bias,
        use_mean_pooling=enc.pooling == "mean",
        **extra,
    )
    return hf, with_every_bias_spelling(split_qkv(rename(state, mapping)))


def with_every_bias_spelling(state: dict) -> dict:
    """Add 5.17's `query.bias` / `key.bias` (zeros) / `value.bias` beside `q_bias` / `v_bias` (see the top)."""
    out = dict(state)
    for key, value in state.items():
        head, sep, leaf = key.rpartition("attention.attention.")
        if sep and leaf in BIAS_SPELLINGS:
            out[head + sep + BIAS_SPELLINGS[leaf]] = value.clone()  # its own storage: safetensors refuses aliases
            if leaf == "q_bias":
                out[head + sep + "key.bias"] = torch.zeros_like(value)
    return out
