"""The bundled video-language model (`video-text`): offline on a fresh clone, `tubelet tag FILE --labels ...`
without --model, camera moves named in words training never used, a thousand labels."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import run_cli

import tubelet
from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.lab.video_text_eval import TYPED_CAMERA, demo_check


@pytest.fixture(scope="module")
def model():
    assert bundled_model_path("video-text") is not None, "the video-text model ships in the package"
    return tubelet.load_model("video-text")


def test_it_loads_offline_with_its_tokenizer(model):
    assert model.config.video_tower == "transformer" and model.tokenizer is not None
    with torch.no_grad():
        text = model.encode_text(["the camera pans left", "a red circle moving up"])
    assert text.shape == (2, model.config.text_config.projection_dim)
    assert torch.allclose(text.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_tag_with_labels_and_no_model_uses_it(tmp_path):
    from videos import BIKES

    labels = "the camera pans left, a red circle moving up, a static shot"
    r = run_cli("tag", BIKES, "--labels", labels, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["model"] == "video-text"
    assert {x["label"] for x in doc["labels"]} == {"the camera pans left", "a red circle moving up", "a static shot"}
    assert len(doc["windows"]) > 1  # the model's own 2 s windows


def test_the_demo_clip_is_named_in_words_training_never_used(model):
    """Every phrasing in TYPED_CAMERA is new to the model (synth/captions.py holds what it was trained on); the
    demo clip's windows still name the move they overlap (docs/video-text-model/ records the same check)."""
    from tubelet.synth.captions import CAMERA_WORDS

    trained = {p for words in CAMERA_WORDS.values() for p in words}
    assert not trained & set(TYPED_CAMERA.values())
    check = demo_check(model)
    assert check["windows"] >= 12 and check["accuracy"] >= 0.8, check


def test_a_thousand_labels_are_encoded_in_batches(model):
    labels = [f"label number {i}" for i in range(1000)]
    model.set_labels(labels)
    assert model.label_features.shape[0] == 1000 and model.config.num_labels == 1000
