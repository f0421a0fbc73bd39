"""tubelet: video transformers you can read, measure and run.

    import tubelet
    model = tubelet.load_model("path/or/hub-id")          # VideoMAE, TimeSformer, ViViT or tubelet checkpoints
    logits = model(video)                                 # video: normalized float (B, C, T, H, W)
    model.config.id2label
"""
__version__ = "0.1.0"

from .config import VideoTransformerConfig  # noqa: E402
from .model import VideoTransformer  # noqa: E402
from .videomae import VideoMAE, VideoMAEConfig  # noqa: E402
from .checkpoints import CheckpointError, load_model, save_pretrained  # noqa: E402

__all__ = ["VideoTransformerConfig", "VideoTransformer", "VideoMAE", "VideoMAEConfig", "load_model",
           "save_pretrained", "CheckpointError", "__version__"]
