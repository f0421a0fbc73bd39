"""Small, fast versions of the experiment and the helper commands (the real runs are documented in docs/)."""

import json

import numpy as np
from conftest import run_cli

from tubelet.lab.attention_experiment import attention_experiment, order_scores
from tubelet.synth import order
from tubelet.synth.camera import make_shot_sequence
from tubelet.video.decode import probe


def test_attention_experiment_writes_its_report(tmp_path):
    report = attention_experiment(
        out=tmp_path / "docs",
        data=tmp_path / "data",
        runs=tmp_path / "runs",
        clips=40,
        epochs=1,
        batch_size=8,
        workers=0,
        schemes=("joint", "space_only"),
        progress=False,
    )
    assert [r["scheme"] for r in report["rows"]] == ["joint", "space_only"]
    md = (tmp_path / "docs" / "attention-experiment" / "attention-experiment.md").read_text()
    assert "| joint |" in md and "| space_only |" in md and "tubelet experiment attention --clips 40 --epochs 1" in md
    assert (tmp_path / "docs" / "attention-experiment" / "attention-experiment.png").read_bytes()[:4] == b"\x89PNG"
    row = report["rows"][0]
    assert row["params"] > 0 and row["gflops"] > 0 and 0 <= row["order_top1"] <= 1


def test_order_scores_split_pairs_and_controls():
    labels = list(order.LABELS)
    confusion = np.eye(len(labels), dtype=int) * 4
    confusion[0] = 0
    confusion[0, 1] = 4  # moves_right always called moves_left
    s = order_scores(confusion.tolist(), labels)
    assert s["control_top1"] == 1.0 and s["order_top1"] == 7 / 8 and s["pairs"]["moves_right / moves_left"] == 0.5


def test_shot_sequence_ground_truth(tmp_path):
    frames, truth = make_shot_sequence([("static", 1.0), ("pan_left", 1.2)], np.random.default_rng(0), fps=10)
    assert frames.shape == (22, 108, 192, 3)
    assert truth == [{"start": 0.0, "end": 1.0, "label": "static"}, {"start": 1.0, "end": 2.2, "label": "pan_left"}]
    r = run_cli("demo-clip", tmp_path / "demo.mp4")
    assert r.returncode == 0 and "pan_left" in r.stdout
    assert abs(probe(tmp_path / "demo.mp4").duration - 16.0) < 0.05


def test_eval_command_reports_accuracy_and_confusion(tmp_path):
    from tubelet.synth import synthesize

    synthesize("temporal-order", tmp_path / "d", clips=20, seed=1, workers=1, progress=False)
    from tiny_model import tiny_model

    model = tiny_model()
    model.config.id2label = dict(enumerate(order.LABELS))
    model.config.num_labels = len(order.LABELS)
    model.head = __import__("torch").nn.Linear(64, len(order.LABELS))
    __import__("tubelet").save_pretrained(model, tmp_path / "m", format="tubelet")
    r = run_cli("eval", tmp_path / "d" / "train.csv", tmp_path / "d" / "test.csv", "--model", tmp_path / "m", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["clips"] == 18 and len(result["confusion"]) == 10 and result["labels"] == list(order.LABELS)
    assert sum(map(sum, result["confusion"])) == 18
