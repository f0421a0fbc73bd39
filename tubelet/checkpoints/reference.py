"""The transformers classes tubelet is checked against, as data: three sizes of random config for each kind.

    tiny   a few KB of weights: the fixtures under tests/fixtures/checkpoints/ (one per transformers release)
    small  the default of `tubelet parity --random` and the tests
    base   the released base configurations (`--size base`, slow tests)

Plain names and numbers (no torch, no transformers), so the command line can list the kinds.
"""

SIZES = ("tiny", "small", "base")

COMMON = {
    "tiny": dict(
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        image_size=8,
        num_frames=4,
        num_labels=3,
    ),
    "small": dict(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        image_size=32,
        num_frames=8,
        num_labels=5,
    ),
    "base": dict(image_size=224),
}
_DECODER = {
    "tiny": dict(
        decoder_hidden_size=8, decoder_num_hidden_layers=1, decoder_num_attention_heads=2, decoder_intermediate_size=16
    ),
    "small": dict(
        decoder_hidden_size=32, decoder_num_hidden_layers=2, decoder_num_attention_heads=4, decoder_intermediate_size=64
    ),
    "base": {},
}  # base VideoMAE keeps its default decoder (384 wide, 4 blocks)


def _sized(tiny: dict, small: dict, base: dict) -> dict:
    return {"tiny": tiny, "small": small, "base": base}


def _videomae(**extra) -> dict:
    return _sized(
        dict(patch_size=4, tubelet_size=2, **extra),
        dict(patch_size=16, tubelet_size=2, **extra),
        dict(patch_size=16, tubelet_size=2, num_frames=16, **extra),
    )


def _timesformer(attention_type: str) -> dict:
    return _sized(
        dict(patch_size=4, attention_type=attention_type),
        dict(patch_size=16, attention_type=attention_type),
        dict(patch_size=16, attention_type=attention_type, num_frames=8, num_labels=400),
    )


# name -> (config class, model class, {size: overrides})
KINDS = {
    "videomae": (
        "VideoMAEConfig",
        "VideoMAEForVideoClassification",
        {**_videomae(), "base": dict(patch_size=16, tubelet_size=2, num_frames=16, num_labels=400)},
    ),
    "videomae-cls-norm": ("VideoMAEConfig", "VideoMAEForVideoClassification", _videomae(use_mean_pooling=False)),
    "videomae-model": ("VideoMAEConfig", "VideoMAEModel", _videomae()),
    "videomae-pretraining": (
        "VideoMAEConfig",
        "VideoMAEForPreTraining",
        {size: {**kw, **_DECODER[size]} for size, kw in _videomae().items()},
    ),
    "timesformer-divided": (
        "TimesformerConfig",
        "TimesformerForVideoClassification",
        _timesformer("divided_space_time"),
    ),
    "timesformer-space_only": ("TimesformerConfig", "TimesformerForVideoClassification", _timesformer("space_only")),
    "timesformer-joint": ("TimesformerConfig", "TimesformerForVideoClassification", _timesformer("joint_space_time")),
    "vivit": (
        "VivitConfig",
        "VivitForVideoClassification",
        _sized(
            dict(tubelet_size=[2, 4, 4]),
            dict(tubelet_size=[2, 16, 16]),
            dict(tubelet_size=[2, 16, 16], num_frames=32, num_labels=400),
        ),
    ),
}


def config_fields(kind: str, size: str = "small") -> dict:
    """The transformers config fields of a random reference model of this kind and size."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    return {**COMMON[size], **KINDS[kind][2][size]}
