"""Captioned clips and contrastive video-language training: the facts behind each caption, the held-out
combinations and phrasings, the loss, the retrieval metrics, and `tubelet train-text` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import run_cli

import tubelet
from tubelet.synth import captions
from tubelet.synth.caption_set import plan
from tubelet.training.captions_data import positives, read_captions
from tubelet.training.contrastive import contrastive_loss
from tubelet.training.retrieval import ranks


def test_captions_say_the_facts_in_the_phrasings_each_split_may_use():
    rows = plan(400, seed=0)
    for c in rows:
        f = c.facts
        whole, obj, cam = c.captions
        assert f"{f.colour} {f.shape}" in whole and f"{f.colour} {f.shape}" in obj
        allowed_cam = captions.phrasings(captions.CAMERA_WORDS[f.camera], c.split)
        allowed_motion = captions.phrasings(captions.MOTION_WORDS[f.motion], c.split)
        assert cam in allowed_cam and any(m in obj for m in allowed_motion)
        assert any(p in whole for p in allowed_cam)
    train = [c for c in rows if c.split != "test"]
    test = [c for c in rows if c.split == "test"]
    assert not any(c.facts.held_out for c in train)  # no blue triangle ever moves up in training
    assert sum(c.facts.held_out for c in test) >= len(test) // 4
    held_phrasing = captions.CAMERA_WORDS["pan_left"][-1]
    assert all(held_phrasing not in t for c in train for t in c.captions)


def _centroid(frames: np.ndarray, colour) -> np.ndarray:
    target = np.array(colour) * 255
    near = np.abs(frames.astype(float) - target).max(axis=-1) < 60
    ys, xs = np.nonzero(near)
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize("motion, axis, sign", [("right", 0, 1), ("left", 0, -1), ("up", 1, -1), ("down", 1, 1)])
def test_the_object_moves_on_screen_as_its_caption_says(motion, axis, sign):
    f = captions.Facts("circle", "red", motion, "static")
    frames, fps, _ = captions.make_clip(f, np.random.default_rng(3))
    assert frames.shape == (captions.FRAMES, 64, 64, 3) and fps == captions.FPS
    start, end = _centroid(frames[0], captions.COLOURS["red"]), _centroid(frames[-1], captions.COLOURS["red"])
    assert sign * (end[axis] - start[axis]) > 15  # pixels over the clip
    assert abs(end[1 - axis] - start[1 - axis]) < 3
    still = captions.make_clip(captions.Facts("circle", "red", "still", "static"), np.random.default_rng(3))[0]
    moved = _centroid(still[-1], captions.COLOURS["red"]) - _centroid(still[0], captions.COLOURS["red"])
    assert np.abs(moved).max() < 1.5


def test_a_caption_manifest_groups_rows_by_clip_and_refuses_bad_ones(tmp_path):
    rows = ["path,caption,camera", "a.mp4,a dog,static", "b.mp4,a cat,pan_left", "a.mp4,a pup,static"]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    clips = read_captions(tmp_path / "m.csv")
    assert [c.captions for c in clips] == [("a dog", "a pup"), ("a cat",)]
    assert clips[0].path == (tmp_path / "a.mp4").resolve() and clips[1].facts == {"camera": "pan_left"}
    assert clips[0].meanings[1] == frozenset({("caption", "a pup")})  # no mentions: a caption means its text
    (tmp_path / "bad.csv").write_text("path,label\na.mp4,x\n")
    with pytest.raises(ValueError, match="'path' and 'caption'"):
        read_captions(tmp_path / "bad.csv")
    (tmp_path / "empty.csv").write_text("path,caption\na.mp4,  \n")
    with pytest.raises(ValueError, match="an empty caption"):
        read_captions(tmp_path / "empty.csv")
    (tmp_path / "mentions.csv").write_text("path,caption,mentions,camera\na.mp4,x,colour,static\n")
    with pytest.raises(ValueError, match="'mentions' names colour, which is not a fact column"):
        read_captions(tmp_path / "mentions.csv")


def test_a_caption_is_true_of_every_clip_with_the_facts_it_states(tmp_path):
    rows = [
        "path,caption,mentions,camera,colour",
        "a.mp4,panning to the left,camera,pan_left,red",
        "b.mp4,the camera pans left,camera,pan_left,blue",
        "c.mp4,a static shot,camera,static,red",
        "c.mp4,something red,colour,static,red",
    ]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    a, b, c = read_captions(tmp_path / "m.csv")
    true_of = positives([a.meanings[0], c.meanings[1]], [a, b, c])
    # "panning to the left" is true of both pans, whatever words b's own caption used; "something red" of a and c
    assert true_of.tolist() == [[True, True, False], [True, False, True]]


def test_the_loss_counts_every_clip_a_caption_is_true_of_as_a_positive():
    g = torch.Generator().manual_seed(0)
    text = F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    scale = torch.tensor(20.0)
    true_of = torch.eye(4, dtype=torch.bool)
    aligned, found = contrastive_loss(text.clone(), text, scale, true_of)
    assert found == 4  # each clip finds its own caption first
    shuffled, _ = contrastive_loss(text[[1, 0, 3, 2]], text, scale, true_of)
    assert aligned < shuffled
    # captions 0 and 2 are true of both clips 0 and 2 (and say the same): swapping those clips changes nothing
    true_of[0, 2] = true_of[2, 0] = True
    text[2] = text[0]
    a, _ = contrastive_loss(text, text, scale, true_of)
    b, _ = contrastive_loss(text[[2, 1, 0, 3]], text, scale, true_of)
    assert torch.allclose(a, b)


def test_ranks_count_the_best_positive():
    sim = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8], [0.7, 0.6, 0.65]])
    positives = torch.eye(3, dtype=torch.bool)
    assert ranks(sim, positives).tolist() == [1, 2, 2]
    positives[2, 0] = True  # a shared caption: clip 2's query also matches clip 0, found first
    assert ranks(sim, positives).tolist() == [1, 2, 1]


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    out = tmp_path_factory.mktemp("captions")
    r = run_cli("synth", "captions", out, "--clips", "60", "--workers", "1", "-q")
    assert r.returncode == 0, r.stderr
    return out


TINY = ["--size", "32", "--frames", "4", "--patch", "8", "--tubelet", "2", "--dim", "32", "--depth", "1",
        "--heads", "2", "--no-cls", "--text-dim", "32", "--text-depth", "1", "--vocab", "300",
        "--projection-dim", "16", "--batch-size", "8", "--cache", "--workers", "0", "-q"]  # fmt: skip


def test_train_text_end_to_end_then_tag_with_typed_labels(captioned, tmp_path):
    from videos import BIKES

    info = json.loads((captioned / "dataset.json").read_text())
    assert info["splits"] == {"train": 48, "val": 6, "test": 6}
    run = tmp_path / "run"
    r = run_cli("train-text", captioned, "--out", run, "--epochs", "1", *TINY)
    assert r.returncode == 0, r.stderr
    r = run_cli("train-text", captioned, "--out", run, "--epochs", "2", "--resume", *TINY)
    assert r.returncode == 0 and "resuming after epoch 1 of 2" in r.stdout, r.stdout + r.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == [1, 2]
    test = metrics["test"]
    assert test["clips"] == 6 and 0 <= test["r1"] <= test["r5"] <= test["r10"] <= 1 and test["median_rank"] >= 1
    r = run_cli("eval-text", captioned / "test.csv", "--model", run / "best", "--json")
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)  # the same model on the same clips: the numbers train-text wrote
    assert again == pytest.approx(test)
    r = run_cli("eval-text", captioned / "test.csv", "--model", "camera-motion")
    assert r.returncode != 0 and "is not a video-language model" in r.stderr and r.stderr.count("\n") == 1
    model = tubelet.load_model(run / "best")
    assert model.config.video_tower == "transformer" and model.tokenizer is not None
    with torch.no_grad():
        v = model.encode_video(torch.randn(2, 3, 4, 32, 32))
    assert torch.allclose(v.norm(dim=-1), torch.ones(2), atol=1e-5)
    labels = "a static shot, the camera pans left"
    r = run_cli("tag", BIKES, "--model", run / "best", "--labels", labels, "--window", "2", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert {x["label"] for x in json.loads(r.stdout)["labels"]} == {"a static shot", "the camera pans left"}


def test_train_text_starts_the_video_tower_from_a_pretrained_encoder(captioned, tmp_path):
    from tiny_model import save_tiny_model

    from tubelet.training.contrastive import TextTrainConfig, build_model

    folder = save_tiny_model(tmp_path / "encoder")
    source = tubelet.load_model(folder)
    cfg = TextTrainConfig(data=str(captioned), out=str(tmp_path / "run"), init=str(folder), vocab_size=300)
    model = build_model(cfg, ["a static shot", "zooming in"])
    ours = model.video.state_dict()
    for k, v in source.state_dict().items():
        if not k.startswith("head."):
            assert torch.equal(ours[k], v), k
    assert model.config.video_config.num_labels == 0 and not any(k.startswith("head.") for k in ours)
