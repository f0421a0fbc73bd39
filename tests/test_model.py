import pytest
import torch
from conftest import randomize, small_config

from tubelet import VideoTransformer, VideoTransformerConfig, load_model, save_pretrained

SCHEMES = ["joint", "divided", "space_only", "factorized"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("class_token, pooling", [(True, "cls"), (False, "mean"), (True, "mean")])
def test_every_scheme_classifies_and_trains(scheme, class_token, pooling, clip):
    model = VideoTransformer(small_config(scheme=scheme, class_token=class_token, pooling=pooling, tubelet_size=2))
    logits = model(clip)
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 3])).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_a_few_steps_of_training_fit_a_tiny_batch(clip):
    torch.manual_seed(0)
    model = VideoTransformer(small_config(scheme="divided"))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    labels = torch.tensor([1, 4])
    first = None
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(model(clip), labels)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 * first


def test_config_round_trips_and_knows_its_grid():
    cfg = small_config(scheme="factorized", id2label={0: "a", 1: "b"}, num_labels=2)
    assert VideoTransformerConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.grid == (4, 4, 4) and cfg.num_patches == 64 and cfg.label2id == {"a": 0, "b": 1}
    assert VideoTransformerConfig(num_frames=32, tubelet_size=2).grid == (16, 14, 14)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(scheme="sparse"), "scheme must be one of"),
        (dict(dim=30, heads=4), "not divisible"),
        (dict(image_size=4, patch_size=8), "smaller than patch_size"),
        (dict(num_frames=1, tubelet_size=2), "smaller than tubelet_size"),
        (dict(activation="prelu"), "activation must be one of"),
    ],
)
def test_bad_configs_fail_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        small_config(**bad)


def test_default_labels_and_explicit_labels():
    assert small_config(num_labels=3).id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    model = VideoTransformer(small_config(id2label={0: "pan_left", 1: "zoom_in"}, num_labels=0))
    assert model.config.num_labels == 2 and model.config.id2label[1] == "zoom_in"


def test_headless_model_returns_pooled_features(clip):
    model = VideoTransformer(small_config(num_labels=0))
    assert model(clip).shape == (2, 32)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_native_save_and_load_round_trip(scheme, tmp_path, clip):
    model = randomize(VideoTransformer(small_config(scheme=scheme, id2label={i: f"c{i}" for i in range(5)})))
    model.preprocessor = {"size": {"shortest_edge": 32}, "image_mean": [0.5] * 3, "image_std": [0.5] * 3}
    save_pretrained(model, tmp_path / "m", format="tubelet")
    loaded = load_model(tmp_path / "m")
    with torch.no_grad():
        assert torch.equal(model(clip), loaded(clip))
    assert loaded.config == model.config and loaded.preprocessor == model.preprocessor
    assert not loaded.training
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".")]  # no temp files left
