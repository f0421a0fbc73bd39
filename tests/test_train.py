"""`tubelet train` on real MP4 files made by `tubelet synth`: learning, metrics, resume after kill -9, DDP."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import kill_after_first_checkpoint, model_flags, run_args, run_cli, synthesized
from safetensors.torch import load_file

from tubelet import load_model

MODEL = model_flags(frames=8, size=64, patch=16, tubelet=2, dim=48, depth=2, heads=4)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return synthesized(tmp_path_factory, "temporal-order", clips=60, seed=3)


def train_args(data, out, *extra, epochs=3):
    return run_args("train", data, out, *MODEL, *extra, epochs=epochs)


def test_train_writes_a_model_metrics_and_a_confusion_matrix(dataset, tmp_path):
    r = run_cli(*train_args(dataset, tmp_path / "run", "--window", "2.0"))
    assert r.returncode == 0, r.stderr
    assert "test: top1" in r.stdout and "world size 1" in r.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    history = metrics["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3] and history[-1]["train_loss"] < history[0]["train_loss"]
    assert {"val_top1", "val_top5"} <= set(history[0])
    assert (tmp_path / "run" / "curves.png").read_bytes()[:4] == b"\x89PNG"  # loss and top-1 per epoch
    conf = metrics["test"]["confusion"]
    assert len(conf) == 10 and sum(map(sum, conf)) == metrics["test"]["clips"] == 6
    model = load_model(tmp_path / "run" / "best")
    assert list(model.config.id2label.values())[:2] == ["moves_right", "moves_left"]  # the dataset's label order
    assert model.preprocessor["tubelet_window_seconds"] == 2.0
    tagged = run_cli("tag", dataset / "test.csv", "--model", tmp_path / "run" / "best")  # a csv is no video: error
    assert tagged.returncode != 0 and "Traceback" not in tagged.stderr


def _weights(folder):
    return load_file(folder / "model.safetensors")


def test_resume_after_kill_equals_an_uninterrupted_run(dataset, tmp_path):
    full = run_cli(*train_args(dataset, tmp_path / "full", epochs=5))
    assert full.returncode == 0, full.stderr
    epoch = kill_after_first_checkpoint(train_args(dataset, tmp_path / "cut", epochs=5), tmp_path / "cut")
    assert 1 <= epoch < 5, "the run must be killed part-way"
    resumed = run_cli(*train_args(dataset, tmp_path / "cut", "--resume", epochs=5))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {epoch} of 5" in resumed.stdout
    a, b = _weights(tmp_path / "full" / "checkpoint"), _weights(tmp_path / "cut" / "checkpoint")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not [p for p in (tmp_path / "cut").iterdir() if p.name.startswith(".")]
    # the same folder under another recipe is refused, not silently mixed into this run
    other = run_cli(*train_args(dataset, tmp_path / "cut", "--resume", "--lr", "1e-3", epochs=6))
    assert other.returncode != 0 and "Traceback" not in other.stderr
    assert "started with another config (lr: 0.002 there, 0.001 now)" in other.stderr


def test_ddp_with_two_cpu_processes_on_gloo(dataset, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29517",
        "-m",
        "tubelet",
        *map(str, train_args(dataset, tmp_path / "ddp", epochs=2)),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "world size 2" in r.stdout and r.stdout.count("training joint") == 1  # rank 0 alone reports
    steps = int(r.stdout.split(" steps, world size")[0].rsplit("x ", 1)[1])
    assert steps == 3  # 48 training clips / (8 per batch x 2 processes)
    assert load_model(tmp_path / "ddp" / "best").config.num_labels == 10


def test_folder_per_class_layout(dataset, tmp_path):
    root = tmp_path / "ucf"
    for label in ("moves_right", "grows", "still_circle"):
        (root / label).mkdir(parents=True)
        for i, clip in enumerate((dataset / "train" / label).glob("*.mp4")):
            shutil.copy(clip, root / label / f"v_{label}_g{i:02d}.mp4")
    r = run_cli(*train_args(root, tmp_path / "run", epochs=1))
    assert r.returncode == 0, r.stderr
    labels = load_model(tmp_path / "run" / "best").config.id2label.values()
    assert sorted(labels) == ["grows", "moves_right", "still_circle"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: None, "no such dataset"),
        (
            lambda d: (d.mkdir(), (d / "train.csv").write_text("file,y\na.mp4,x\n")),
            "needs a header with 'path' and 'label'",
        ),
    ],
)
def test_bad_datasets_are_one_line_errors(tmp_path, make, message):
    data = tmp_path / "d"
    make(data)
    r = run_cli("train", data, "--out", tmp_path / "o", "--epochs", "1")
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
