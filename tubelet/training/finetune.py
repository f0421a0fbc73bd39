"""Start a classifier from a pretrained checkpoint: its encoder weights, a fresh head for new labels.

Works with tubelet VideoMAE pretraining checkpoints, HF `VideoMAEForPreTraining` / `VideoMAEModel` folders,
and any tubelet/HF classifier (its head is dropped)."""

from __future__ import annotations

from ..checkpoints.convert import load_model
from ..checkpoints.files import CheckpointError
from ..modeling.model import VideoTransformer
from ..modeling.videomae import VideoMAE


def classifier_from_pretrained(path: str, id2label: dict[int, str], overrides: dict | None = None) -> VideoTransformer:
    source = load_model(path)
    encoder = source.encoder if isinstance(source, VideoMAE) else source
    if not isinstance(encoder, VideoTransformer):
        raise CheckpointError(f"{path} holds no video transformer encoder")
    # training knobs may change; the architecture may not
    keep = {"drop_path", "dropout", "attn_dropout", "attn_impl"}
    changes = {k: v for k, v in (overrides or {}).items() if k in keep}
    config = encoder.config.replace(id2label=dict(id2label), num_labels=len(id2label), **changes)
    model = VideoTransformer(config)
    # a classifier with the same labels keeps its head (continued training); otherwise the head starts fresh
    same_labels = getattr(encoder.config, "num_labels", 0) and dict(encoder.config.id2label) == config.id2label
    state = {k: v for k, v in encoder.state_dict().items() if same_labels or not k.startswith("head.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if not k.startswith("head.")]:
        raise CheckpointError(f"pretrained weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    model.preprocessor = source.preprocessor
    return model
