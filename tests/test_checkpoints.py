"""Real transformers models as the reference: random weights, saved, loaded by tubelet, compared."""

import json
import os
import pickle
import shutil

import pytest
import torch
from conftest import randomize, run_cli, small_config
from safetensors.torch import load_file

import tubelet
from tubelet import CheckpointError, VideoTransformer, load_model
from tubelet.checkpoints import parity
from tubelet.checkpoints.convert import hf_architecture
from tubelet.modeling.masking import make_mask

TOL = 1e-4


@pytest.mark.parametrize("kind", list(parity.KINDS))
def test_parity_both_ways_for_every_supported_class(kind):
    loaded, exported = parity.round_trip(kind)
    assert loaded["max_abs_diff"] <= TOL, loaded
    assert exported["max_abs_diff"] <= TOL, exported
    assert loaded["scale"] > 0.01  # the outputs compared are not trivially zero
    if kind == "videomae-pretraining":
        assert loaded["loss_diff"] <= TOL and exported["loss_diff"] <= TOL


def test_pretraining_loss_and_reconstruction_match_transformers_by_hand(tmp_path):
    ref = parity.reference_model("videomae-pretraining", norm_pix_loss=False)
    ref.save_pretrained(tmp_path)
    ours = load_model(tmp_path)
    video = torch.randn(2, 3, 8, 32, 32)
    mask = make_mask("tube", 2, ours.config.encoder.grid, 0.5, torch.Generator().manual_seed(0))
    assert (mask.view(2, 4, 4) == mask.view(2, 4, 4)[:, :1]).all()  # tube: same pattern in every group
    with torch.no_grad():
        out = ref(pixel_values=video.transpose(1, 2), bool_masked_pos=mask)
        loss, pred = ours(video, mask)
    torch.testing.assert_close(pred, out.logits, atol=TOL, rtol=0)
    assert abs(loss.item() - out.loss.item()) <= TOL


def test_videomae_model_features_and_preprocessor_are_kept(tmp_path):
    ref = parity.reference_model("videomae-model")
    ref.save_pretrained(tmp_path)
    pre = {
        "image_processor_type": "VideoMAEImageProcessor",
        "size": {"shortest_edge": 32},
        "crop_size": {"height": 32, "width": 32},
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
    }
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(pre))
    model = load_model(tmp_path)
    assert model.preprocessor == pre and not model.training
    video = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        ref_out = ref(pixel_values=video.transpose(1, 2)).last_hidden_state
        torch.testing.assert_close(model.forward_features(video), ref_out, atol=TOL, rtol=0)
    tubelet.save_pretrained(model, tmp_path / "back")
    assert json.loads((tmp_path / "back" / "preprocessor_config.json").read_text()) == pre


def test_sharded_safetensors_load(tmp_path):
    ref = parity.reference_model("vivit")
    ref.save_pretrained(tmp_path, max_shard_size="100KB")
    assert (tmp_path / "model.safetensors.index.json").exists()
    assert len(list(tmp_path.glob("model-*.safetensors"))) > 1
    assert parity.run_both(tmp_path)["max_abs_diff"] <= TOL


def test_legacy_pytorch_bin_loads_with_weights_only(tmp_path):
    parity.reference_model("timesformer-divided").save_pretrained(tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    (tmp_path / "model.safetensors").unlink()
    torch.save(state, tmp_path / "pytorch_model.bin")
    assert parity.run_both(tmp_path)["max_abs_diff"] <= TOL


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['TUBELET_EXPLOIT_MARK']}",))


def test_a_pickle_that_runs_code_is_refused_and_never_executed(tmp_path, monkeypatch):
    parity.reference_model("vivit").save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    mark = tmp_path / "pwned"
    monkeypatch.setenv("TUBELET_EXPLOIT_MARK", str(mark))
    with open(tmp_path / "pytorch_model.bin", "wb") as f:
        pickle.dump({"x": _Exploit()}, f)
    with pytest.raises(CheckpointError, match="cannot read weights"):
        load_model(tmp_path)
    assert not mark.exists()


def test_hub_id_resolves_from_the_offline_cache(tmp_path):
    """The standard huggingface_hub cache layout, HF_HUB_OFFLINE=1: a hub id loads with no network."""
    src = tmp_path / "src"
    parity.reference_model("videomae").save_pretrained(src)
    repo = tmp_path / "hub" / "models--tubelet-test--tiny-videomae"
    revision = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(src, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    r = run_cli("parity", "tubelet-test/tiny-videomae", env=env)
    assert r.returncode == 0 and "PASS" in r.stdout, r.stderr
    missing = run_cli("info", "tubelet-test/not-cached", env=env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "not found in the offline Hugging Face cache" in missing.stderr and missing.stderr.count("\n") == 1


def test_unknown_model_type_names_the_supported_ones(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    supported = "videomae, timesformer, vivit, clip, xclip, tubelet"
    with pytest.raises(CheckpointError, match=f"unsupported model_type 'bert'.*{supported}"):
        load_model(tmp_path)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: None, "model folder not found"),
        (lambda d: d.mkdir(), "has no config.json"),
        (lambda d: (d.mkdir(), (d / "config.json").write_text("{oops")), "not valid JSON"),
        (lambda d: (d.mkdir(), (d / "config.json").write_text('{"model_type": "vivit"}')), "has no weights"),
    ],
)
def test_broken_folders_give_one_line_errors(tmp_path, setup, message):
    folder = tmp_path / "m"
    setup(folder)
    with pytest.raises(CheckpointError, match=message):
        load_model(folder)
    r = run_cli("info", folder)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_weights_that_do_not_fit_are_reported(tmp_path):
    parity.reference_model("vivit").save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["num_hidden_layers"] = 1
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="unexpected tensors"):
        load_model(tmp_path)


def test_export_picks_hf_format_only_when_transformers_has_the_model(tmp_path):
    factorized = VideoTransformer(small_config(scheme="factorized"))
    assert hf_architecture(factorized) is None
    with pytest.raises(CheckpointError, match="no transformers counterpart"):
        tubelet.save_pretrained(factorized, tmp_path / "hf", format="hf")
    tubelet.save_pretrained(factorized, tmp_path / "auto")
    assert json.loads((tmp_path / "auto" / "config.json").read_text())["model_type"] == "tubelet"
    timesformer_like = VideoTransformer(small_config(scheme="divided", pos_embed="learned_space_time"))
    assert hf_architecture(timesformer_like) == "TimesformerForVideoClassification"
    vivit_like = VideoTransformer(small_config(scheme="joint", tubelet_size=2))
    assert hf_architecture(vivit_like) == "VivitForVideoClassification"


def test_a_native_model_exported_to_hf_format_loads_in_transformers(tmp_path):
    """Built by tubelet, not converted from anywhere: transformers computes the same logits."""
    model = randomize(
        VideoTransformer(
            small_config(
                scheme="divided", pos_embed="learned_space_time", id2label={0: "a", 1: "b", 2: "c"}, num_labels=3
            )
        )
    )
    tubelet.save_pretrained(model, tmp_path)
    r = parity.run_both(tmp_path)
    assert r["architecture"] == "TimesformerForVideoClassification" and r["max_abs_diff"] <= TOL
    import transformers

    assert transformers.AutoConfig.from_pretrained(tmp_path).id2label == {0: "a", 1: "b", 2: "c"}


def test_cli_info_export_and_parity(tmp_path):
    parity.reference_model("timesformer-space_only").save_pretrained(tmp_path / "hf")
    info = run_cli("info", tmp_path / "hf")
    assert info.returncode == 0 and "TimesformerForVideoClassification" in info.stdout and "space_only" in info.stdout
    r = run_cli("export", tmp_path / "hf", tmp_path / "native", "--format", "tubelet")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "native" / "config.json").read_text())["model_type"] == "tubelet"
    assert "PASS" in run_cli("parity", tmp_path / "hf").stdout
    assert tubelet.load_model(tmp_path / "native").config.scheme == "space_only"
