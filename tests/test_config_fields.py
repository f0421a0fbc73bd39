"""Every checkpoint transformers can build loads: each config field that changes the computation, alone at each
of its values and a few hundred random combinations (seeded), against the installed transformers. Each config
loads with logits equal to transformers', or is refused naming the field; never a wrong answer, never a crash."""

import json

import pytest

from tubelet import load_model
from tubelet.checkpoints.config_fields import FAMILIES, check, random_configs, walk
from tubelet.checkpoints.parity import import_transformers


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_field_alone_loads_exactly_or_is_refused_by_name(family):
    outcomes = walk(family)
    bad = [o.to_json() for o in outcomes if o.status in ("wrong", "crash")]
    assert not bad, bad
    by_field = {(next(iter(o.fields)), json.dumps(next(iter(o.fields.values())))): o.status for o in outcomes}
    for act in ("relu", "quick_gelu", "silu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "gelu_10", "mish"):
        assert by_field["hidden_act", json.dumps(act)] == "exact", act
    assert by_field["hidden_act", '"prelu"'] in ("refused", "not built")  # an activation with its own weights
    assert by_field["num_labels", "2"] == by_field["num_labels", "1"] == "exact"
    assert by_field["image_size", "10"] == by_field["num_frames", "5"] == "exact"  # remainders dropped
    assert sum(o.status == "exact" for o in outcomes) >= 0.85 * len(outcomes)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_random_configs_never_give_a_wrong_answer_or_a_crash(family):
    outcomes = [check(family, fields, seed=i) for i, fields in enumerate(random_configs(family, 100, seed=1))]
    bad = [o.to_json() for o in outcomes if o.status in ("wrong", "crash")]
    assert not bad, bad
    refused = [o for o in outcomes if o.status == "refused"]
    assert all(o.detail for o in refused)
    assert sum(o.status == "exact" for o in outcomes) >= 70


def test_a_binary_classifier_saved_with_default_labels_loads(tmp_path):
    """transformers leaves id2label out of config.json for its default two labels: the head must still load."""
    transformers = import_transformers()
    for config, model in (("VideoMAEConfig", "VideoMAEForVideoClassification"),
                          ("VivitConfig", "VivitForVideoClassification")):  # fmt: skip
        cfg = getattr(transformers, config)(**FAMILIES["videomae" if "VideoMAE" in config else "vivit"][2])
        cfg.num_labels = 2
        getattr(transformers, model)(cfg).save_pretrained(tmp_path / model)
        saved = json.loads((tmp_path / model / "config.json").read_text())
        ours = load_model(tmp_path / model)
        assert ours.config.id2label == {0: "LABEL_0", 1: "LABEL_1"}, saved.get("id2label")
        assert ours.head.weight.shape[0] == 2


def test_vivit_as_transformers_own_test_configures_it():
    """transformers' ViViT model test: image_size 10, a [2, 4, 4] tubelet (the convolution drops the remainder)."""
    outcome = check("vivit", {"image_size": 10, "tubelet_size": [2, 4, 4], "num_frames": 8})
    assert outcome.status == "exact" and outcome.max_abs_diff < 1e-5
