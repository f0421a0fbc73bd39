"""tubelet: video transformers you can read, measure and run.

    import tubelet
    model = tubelet.load_model("path/or/hub-id")          # VideoMAE, TimeSformer, ViViT or tubelet checkpoints
    logits = model(video)                                 # video: normalized float (B, C, T, H, W)
    model.config.id2label

The names below are imported on first use (PEP 562), so `import tubelet` and `tubelet --help` do not pay for
torch until a model is needed. The packages follow the data:
    video/ (decode, sampling, preprocess) -> modeling/ -> tag/ (tagger, writers)
    synth/ or your folder -> training/ (data, loop) -> checkpoints/ -> tag/
"""

from importlib import import_module

from .constants import VERSION as __version__

_EXPORTS = {
    "VideoTransformerConfig": "tubelet.modeling.config",
    "VideoTransformer": "tubelet.modeling.model",
    "VideoMAE": "tubelet.modeling.videomae",
    "VideoMAEConfig": "tubelet.modeling.videomae",
    "load_model": "tubelet.checkpoints.convert",
    "save_pretrained": "tubelet.checkpoints.convert",
    "CheckpointError": "tubelet.checkpoints.files",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'tubelet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
