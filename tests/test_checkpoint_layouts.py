"""Every on-disk layout a released transformers version writes, and the layout of the published hub checkpoints,
read by tubelet with the outputs that release computed; without installing those releases.

The fixtures (tests/fixtures/checkpoints/) were written by `make test-compat --write-fixtures`
(`python -m compat.matrix --write-fixtures`): tiny random models of every supported class saved by each release
(transformers-X.Y.Z/) and in the published checkpoints' layout (hub/), each with an input clip, a mask and the
outputs that release computed on them (expected.safetensors).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tubelet import CheckpointError, load_model, save_pretrained
from tubelet.checkpoints import parity
from tubelet.checkpoints.files import read_state_dict
from tubelet.modeling.attention import Attention

FIXTURES = Path(__file__).parent / "fixtures" / "checkpoints"
FOLDERS = sorted(p.parent for p in FIXTURES.glob("*/*/expected.safetensors"))
TOL = 1e-4


def _expected(folder: Path):
    stored = load_file(str(folder / "expected.safetensors"))
    return stored["video"], stored["mask"].bool(), {k: v for k, v in stored.items() if k in ("output", "loss")}


def _architecture(folder: Path) -> str:
    return json.loads((folder / "config.json").read_text())["architectures"][0]


def test_fixtures_cover_every_release_class_and_hub_layout():
    releases = {p.parent.name for p in FOLDERS}
    assert {
        "transformers-4.46.3",
        "transformers-5.0.0",
        "transformers-5.17.0",
        "transformers-5.24.0",
        "hub",
    } <= releases
    kinds = {p.name for p in FOLDERS if p.parent.name == "transformers-5.17.0"}
    assert kinds == set(parity.KINDS)
    assert all(f.stat().st_size < 32_000 for p in FOLDERS for f in p.iterdir())  # tiny: a few KB each


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tubelet_reads_the_layout_with_that_releases_outputs(folder):
    video, mask, expected = _expected(folder)
    model = load_model(folder)
    got = parity.tubelet_outputs(model, _architecture(folder), video, mask)
    diff = parity.differences(got, expected)
    assert diff["max_abs_diff"] <= TOL and diff.get("loss_diff", 0.0) <= TOL, diff


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tubelets_export_of_each_layout_loads_in_the_installed_transformers(folder, tmp_path):
    video, mask, expected = _expected(folder)
    save_pretrained(load_model(folder), tmp_path / "out")
    ref, arch = parity.load_reference(tmp_path / "out")
    diff = parity.differences(parity.transformers_outputs(ref, arch, video, mask), expected)
    assert diff["max_abs_diff"] <= TOL and diff.get("loss_diff", 0.0) <= TOL, diff


def test_the_517_layout_carries_a_real_key_bias_that_tubelet_drops():
    """transformers 5.17's VideoMAE files hold a key bias (here random, non-zero); tubelet drops it and still
    reproduces 5.17's logits (the layout test above), because the softmax cancels it."""
    state = read_state_dict(FIXTURES / "transformers-5.17.0" / "videomae")
    key_biases = [v for k, v in state.items() if k.endswith("attention.attention.key.bias")]
    assert key_biases and all(v.abs().max() > 1e-3 for v in key_biases)
    assert not any(k.endswith("q_bias") for k in state)


def test_a_key_bias_never_changes_attention():
    """The proof in code: q . (k + b) = q . k + q . b, the same shift for every key of a query's row."""
    torch.manual_seed(0)
    attn = Attention(16, 2, qkv_bias=True, key_bias=True).eval()
    x = torch.randn(2, 7, 16)
    with torch.no_grad():
        attn.qkv.bias[16:32] = torch.randn(16) * 3  # a large key bias
        with_bias = attn(x)
        attn.qkv.bias[16:32] = 0
        without = attn(x)
    assert torch.allclose(with_bias, without, atol=1e-6)


def test_hub_layouts_are_the_published_ones():
    """Tensor names, format and config fields of the published checkpoints, reproduced at tiny size."""
    hub = FIXTURES / "hub"
    videomae = read_state_dict(hub / "MCG-NJU--videomae-base-finetuned-kinetics")
    assert "videomae.encoder.layer.0.attention.attention.q_bias" in videomae and "fc_norm.weight" in videomae
    assert (hub / "MCG-NJU--videomae-base-finetuned-kinetics" / "pytorch_model.bin").exists()
    timesformer = read_state_dict(hub / "facebook--timesformer-base-finetuned-k400")
    assert "timesformer.encoder.layer.0.temporal_attention.attention.qkv.weight" in timesformer
    assert timesformer["timesformer.embeddings.patch_embeddings.projection.weight"].ndim == 4  # a Conv2d
    vivit = read_state_dict(hub / "google--vivit-b-16x2-kinetics400")
    assert "vivit.encoder.layer.0.attention.attention.key.bias" in vivit
    config = json.loads((hub / "google--vivit-b-16x2-kinetics400" / "config.json").read_text())
    assert config["hidden_act"] == "gelu_fast" and config["model_type"] == "vivit"


QUERY = "videomae.encoder.layer.0.attention.attention.query.weight"


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda s: s.pop(QUERY), f"missing {QUERY}"),
        (
            lambda s: s.update({"videomae.encoder.layer.0.extra.weight": torch.zeros(1)}),
            "videomae.encoder.layer.0.extra",
        ),
        (lambda s: s.update({"classifier.weight": torch.zeros(2, 8)}), "shape head.weight (2, 8) vs (3, 8)"),
    ],
)
def test_a_checkpoint_that_does_not_fit_gets_one_line_naming_the_tensors(tmp_path, change, named):
    src = FIXTURES / "transformers-5.24.0" / "videomae"
    shutil.copytree(src, tmp_path / "bad")
    state = read_state_dict(tmp_path / "bad")
    change(state)
    save_file(state, str(tmp_path / "bad" / "model.safetensors"))
    with pytest.raises(CheckpointError) as err:
        load_model(tmp_path / "bad")
    assert named in str(err.value) and "\n" not in str(err.value)
