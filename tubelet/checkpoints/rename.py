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
    """`X.query.W`, `X.key.W`, `X.value.W` -> `X.qkv.W` (for weights, and for biases when all three exist).

    A layer with some of the three weights but not all is a checkpoint that does not fit: named in one line."""
    out = dict(state)
    for key in state:
        m = re.fullmatch(r"(.*)\.(query|key|value)\.(weight|bias)", key)
        if not m or m[2] != "query" and f"{m[1]}.query.{m[3]}" in state:
            continue
        base, leaf = m[1], m[3]
        parts = [f"{base}.{n}.{leaf}" for n in ("query", "key", "value")]
        absent = [p for p in parts if p not in state]
        if not absent:
            out[f"{base}.qkv.{leaf}"] = torch.cat([state[p] for p in parts])
            for p in parts:
                del out[p]
        elif leaf == "weight":
            raise CheckpointError(f"checkpoint does not fit the model: missing {', '.join(absent)}")
    return out


def split_qkv(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"(.*)\.qkv\.(weight|bias)", key)
        if m:
            for name, part in zip(("query", "key", "value"), value.chunk(3), strict=True):
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


def load_exact(model: torch.nn.Module, state: dict[str, torch.Tensor], may_be_missing=()) -> torch.nn.Module:
    """Load `state` into `model`, every tensor accounted for; else one line naming the first tensors that do
    not fit (missing, unexpected, or of another shape)."""
    own = model.state_dict()
    missing = [k for k in own if k not in state and k not in set(may_be_missing)]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in state
        if k in own and state[k].shape != own[k].shape
    ]
    problems = [
        f"{what} {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
        for what, names in (("missing", missing), ("unexpected", unexpected), ("shape", shapes))
        if names
    ]
    if problems:
        raise CheckpointError(f"checkpoint does not fit the model: {'; '.join(problems)}")
    model.load_state_dict(state, strict=False)
    return model
