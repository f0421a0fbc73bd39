"""A small classifier saved the way users save theirs, for tagging tests (weights are random; the tests
check the plumbing and the numbers it must reproduce, not what the labels mean)."""

import torch

from tubelet import VideoTransformer, VideoTransformerConfig, save_pretrained

LABELS = {0: "static", 1: "pan_left", 2: "pan_right", 3: "zoom_in"}


def tiny_model(seed=0, frames=8, size=64):
    torch.manual_seed(seed)
    model = VideoTransformer(
        VideoTransformerConfig(
            image_size=size, num_frames=frames, patch_size=16, tubelet_size=2, dim=64, depth=2, heads=4, id2label=LABELS
        )
    )
    with torch.no_grad():  # spread the logits so labels differ between clips
        model.head.weight.mul_(50)
    model.preprocessor = {
        "image_processor_type": "VideoMAEImageProcessor",
        "size": {"shortest_edge": size},
        "crop_size": {"height": size, "width": size},
        "do_center_crop": True,
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
    }
    return model.eval()


def save_tiny_model(path, **kw):
    save_pretrained(tiny_model(**kw), path, format="tubelet")
    return path
