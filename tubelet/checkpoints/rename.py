"""Name maps between tubelet's parameter names and a foreign checkpoint's, usable in both directions.

A map pairs tubelet module or parameter paths with foreign ones (`"blocks.0.norm1" <-> "...layernorm_before"`);
a tensor is renamed by its full name or, failing that, by its module path plus the leaf (`weight`, `bias`).
Foreign checkpoints that keep query/key/value apart are fused into one `qkv` tensor first (and split again
on export), so every map can speak of `attention.attention.qkv`.
"""
from __future__ import annotations

import re

import torch

from .files import CheckpointError

# The ViT-style layer naming that the Hugging Face VideoMAE, TimeSformer and ViViT checkpoints share.
HF_VIT_LAYER = {
    "norm1": "layernorm_before",
    "attn.qkv": "attention.attention.qkv",
    "attn.q_bias": "attention.attention.q_bias",
    "attn.v_bias": "attention.attention.v_bias",
    "attn.proj": "attention.output.dense",
    "norm2": "layernorm_after",
    "mlp.fc1": "intermediate.dense",
    "mlp.fc2": "output.dense",
}


def layer_map(ours: str, theirs: str, depth: int, per_layer: dict[str, str]) -> dict[str, str]:
    """`{"blocks.{i}.norm1": "encoder.layer.{i}.layernorm_before", ...}` for i in range(depth)."""
    return {f"{ours}.{i}.{a}": f"{theirs}.{i}.{b}" for i in range(depth) for a, b in per_layer.items()}


def rename(state: dict[str, torch.Tensor], mapping: dict[str, str], ignore=()) -> dict[str, torch.Tensor]:
    out, unknown = {}, []
    for key, value in state.items():
        module, _, leaf = key.rpartition(".")
        if key in mapping:
            out[mapping[key]] = value
        elif module in mapping:
            out[f"{mapping[module]}.{leaf}"] = value
        elif not any(re.fullmatch(p, key) for p in ignore):
            unknown.append(key)
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise CheckpointError(f"unexpected tensors in checkpoint: {shown}")
    return out


def invert(mapping: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in mapping.items()}


def fuse_qkv(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`X.query.W`, `X.key.W`, `X.value.W` -> `X.qkv.W` (for weights, and for biases when all three exist)."""
    out = dict(state)
    for key in state:
        m = re.fullmatch(r"(.*)\.query\.(weight|bias)", key)
        if not m:
            continue
        base, leaf = m.groups()
        parts = [f"{base}.{n}.{leaf}" for n in ("query", "key", "value")]
        if all(p in state for p in parts):
            out[f"{base}.qkv.{leaf}"] = torch.cat([state[p] for p in parts])
            for p in parts:
                del out[p]
    return out


def split_qkv(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"(.*)\.qkv\.(weight|bias)", key)
        if m:
            for name, part in zip(("query", "key", "value"), value.chunk(3)):
                out[f"{m[1]}.{name}.{m[2]}"] = part
        else:
            out[key] = value
    return out


def sub_keys(state: dict[str, torch.Tensor], rules: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """Rewrite key names with regex rules (to accept the newer in-memory names transformers 5 uses)."""
    out = {}
    for key, value in state.items():
        for pattern, repl in rules:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out
