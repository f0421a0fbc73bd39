"""The transformers config fields that change what a video classifier computes, the values to try for each, and
the check of one config: a random transformers model of it, saved by transformers, loaded by tubelet, both run on
the same clip. Every config ends one of three ways: `exact` (logits equal), `refused` (tubelet says no before
computing anything, naming the field or its value), or `not built` (transformers itself cannot build or run it).
Anything else (`wrong` logits, a `crash`) is a defect. Used by the tests (the installed transformers) and by
`make test-compat` (every supported release)."""

from __future__ import annotations

import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

TOL = 1e-4
SMALL = dict(
    hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, image_size=8, num_frames=4
)
ACTS = (  # every name of transformers' ACT2FN table (releases differ: a name one lacks is `not built` there)
    "gelu", "gelu_10", "gelu_fast", "gelu_new", "gelu_python", "gelu_pytorch_tanh", "gelu_python_tanh",
    "gelu_accurate", "hardswish", "laplace", "leaky_relu", "linear", "mish", "quick_gelu", "relu", "relu2", "relu6",
    "sigmoid", "silu", "sqrtsoftplus", "swish", "tanh", "prelu", "xielu",
)  # fmt: skip
COMMON = dict(
    hidden_act=ACTS,
    layer_norm_eps=(1e-12, 1e-6, 1e-3),
    qkv_bias=(True, False),
    num_channels=(1, 3, 4),
    num_frames=(2, 4, 5),
    image_size=(8, 10, 12),
    hidden_size=(8, 16, 24),
    num_attention_heads=(1, 2, 4),
    intermediate_size=(8, 32, 40),
    num_hidden_layers=(1, 2),
    num_labels=(1, 2, 3, 7),
    hidden_dropout_prob=(0.0, 0.3),  # dropout at eval time: no effect, must load
    attention_probs_dropout_prob=(0.0, 0.3),
)
# family -> (config class, model class, base fields, the fields to vary with their values)
FAMILIES = {
    "videomae": (
        "VideoMAEConfig",
        "VideoMAEForVideoClassification",
        dict(SMALL, patch_size=4, tubelet_size=2, num_labels=3),
        dict(COMMON, patch_size=(2, 3, 4), tubelet_size=(1, 2, 3), use_mean_pooling=(True, False)),
    ),
    "timesformer": (
        "TimesformerConfig",
        "TimesformerForVideoClassification",
        dict(SMALL, patch_size=4, num_labels=3),
        dict(
            COMMON,
            patch_size=(2, 3, 4),
            attention_type=("divided_space_time", "space_only", "joint_space_time"),
            drop_path_rate=(0, 0.0, 0.2),  # a release may type it int or float
        ),
    ),
    "vivit": (
        "VivitConfig",
        "VivitForVideoClassification",
        dict(SMALL, tubelet_size=[2, 4, 4], num_labels=3),
        dict(COMMON, tubelet_size=([2, 4, 4], [1, 2, 2], [3, 4, 4], [2, 4, 2])),
    ),
}


@dataclass
class Outcome:
    family: str
    fields: dict  # the fields changed from the family's base config
    status: str  # exact | refused | not built | wrong | crash
    detail: str = ""
    max_abs_diff: float | None = None

    def to_json(self) -> dict:
        return asdict(self)


def _named(message: str, fields: dict) -> bool:
    text = message.lower()
    return any(k.lower() in text or str(v).lower() in text for k, v in fields.items())


def check(
    family: str, fields: dict, seed: int = 0, workdir: str | Path | None = None, both_ways: bool = False
) -> Outcome:
    """One config: transformers builds, saves and runs it; tubelet loads and runs it (and with `both_ways`,
    tubelet's export is loaded back by transformers and must compute the same)."""
    import torch

    from . import parity
    from .convert import load_model, save_pretrained
    from .files import CheckpointError

    transformers = parity.import_transformers()
    config_name, model_name, base, _ = FAMILIES[family]
    try:
        torch.manual_seed(seed)
        config = getattr(transformers, config_name)(**{**base, **fields})
        ref = parity.randomize(getattr(transformers, model_name)(config), seed).eval()
        video = torch.randn(2, config.num_channels, config.num_frames, config.image_size, config.image_size,
                            generator=torch.Generator().manual_seed(seed))  # fmt: skip
        expected = parity.transformers_outputs(ref, model_name, video, None)["output"]
    except Exception as e:  # transformers cannot build or run this config: nothing for tubelet to match
        return Outcome(family, fields, "not built", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        ref.save_pretrained(tmp)
        try:
            ours = load_model(tmp)
        except (CheckpointError, ValueError) as e:
            message = str(e).splitlines()[0][:300]
            status = "refused" if _named(message, fields) else "crash"
            return Outcome(family, fields, status, message)
        except Exception as e:
            return Outcome(family, fields, "crash", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    try:
        got = parity.tubelet_outputs(ours, model_name, video, None)["output"]
    except Exception as e:
        return Outcome(family, fields, "crash", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    if got.shape != expected.shape:
        return Outcome(family, fields, "wrong", f"shape {tuple(got.shape)} != {tuple(expected.shape)}")
    diff = (got - expected).abs().max().item()
    if diff > TOL:
        return Outcome(family, fields, "wrong", "", diff)
    if both_ways:  # tubelet's export, loaded back by transformers, computes the same
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            try:
                save_pretrained(ours, tmp, format="hf")
                back = getattr(transformers, model_name).from_pretrained(tmp).eval()
                again = parity.transformers_outputs(back, model_name, video, None)["output"]
            except Exception as e:
                return Outcome(family, fields, "crash", f"export: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        diff = max(diff, (again - expected).abs().max().item())
    return Outcome(family, fields, "exact" if diff <= TOL else "wrong", "", diff)


def walk(family: str) -> list[Outcome]:
    """Each field alone, at each of its values, on the family's base config, both ways."""
    return [
        check(family, {name: value}, both_ways=True) for name, values in FAMILIES[family][3].items() for value in values
    ]


def random_configs(family: str, count: int, seed: int = 0, fields_per_config: int = 4) -> list[dict]:
    """`count` configs, each changing a few fields at once to values drawn from the walk's (seeded)."""
    rng = random.Random(f"{family}-{seed}")
    space = FAMILIES[family][3]
    return [{k: rng.choice(space[k]) for k in rng.sample(sorted(space), fields_per_config)} for _ in range(count)]
