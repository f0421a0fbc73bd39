"""The VideoMAE experiments at toy size: every stage runs on real MP4s and the report says what was measured."""

import json

import pytest
import torch
from conftest import run_cli

from tubelet.checkpoints.convert import load_model
from tubelet.lab import mae_cost, mae_report
from tubelet.lab import mae_experiments as me
from tubelet.lab.mae_presets import PRESETS, toy_sized
from tubelet.lab.probe import knn_top1
from tubelet.synth import synthesize
from tubelet.synth.shapes import label_parts
from tubelet.training.data import ClipDataset
from tubelet.video.preprocess import Preprocessor

TINY = dict(num_frames=4, image_size=32, patch_size=8, tubelet_size=2, dim=32, depth=1, heads=2)


def test_labelled_fraction_is_balanced_seeded_and_keeps_the_dataset_description(tmp_path):
    synthesize("temporal-order", tmp_path / "d", clips=60, seed=2, workers=1, progress=False)
    a = me.labelled_fraction(tmp_path / "d", 0.25, 0, tmp_path / "a" / "l.csv").read_text().splitlines()
    b = me.labelled_fraction(tmp_path / "d", 0.25, 0, tmp_path / "b" / "l.csv").read_text().splitlines()
    c = me.labelled_fraction(tmp_path / "d", 0.25, 1, tmp_path / "c" / "l.csv").read_text().splitlines()
    assert a == b != c and a[0] == "path,label"
    labels = [line.rsplit(",", 1)[1] for line in a[1:]]
    assert len(set(labels)) == 10 and max(labels.count(x) for x in set(labels)) <= 2
    assert (tmp_path / "a" / "dataset.json").read_text() == (tmp_path / "d" / "dataset.json").read_text()


def test_factor_accuracy_scores_each_half_of_the_label():
    labels = ["square_moves_right", "square_grows", "cross_moves_right", "cross_grows"]
    # rows truth, columns predicted: 4 right; 2 right shape wrong motion; 1 right motion wrong shape; 1 both wrong
    confusion = [[2, 1, 1, 0], [0, 2, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    f = me.factor_accuracy(confusion, labels)
    assert f == {"shape": 6 / 8, "motion": 5 / 8}
    assert me.factor_accuracy([[1, 0], [0, 1]], ["static", "pan_left"]) is None
    with pytest.raises(ValueError, match="not a moving-shapes label"):
        label_parts("disc_moves_right")


def test_knn_top1_votes_by_similarity():
    memory = torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1.0], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 1, 1])
    queries = torch.tensor([[1.0, 0.05], [0.05, 1.0], [0.2, 1.0]])
    assert knn_top1(memory, labels, queries, torch.tensor([0, 1, 1]), k=2) == 1.0
    assert knn_top1(memory, labels, queries, torch.tensor([1, 1, 1]), k=2) == pytest.approx(2 / 3)


def test_toy_preset_efficiency_end_to_end(tmp_path):
    out, runs, data = tmp_path / "docs", tmp_path / "runs", tmp_path / "data"
    r = run_cli(
        "experiment",
        "mae-efficiency",
        "--preset",
        "toy",
        "--data",
        data,
        "--runs",
        runs,
        "--out",
        out,
        "--threads",
        "1",
        "--device",
        "cpu",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads((out / "mae-efficiency" / "mae-efficiency.json").read_text())
    toy = PRESETS["toy"]
    assert [s["seed"] for s in report["seeds"]] == list(toy.seeds) and report["labels"] == 18
    for s in report["seeds"]:
        assert 0 <= s["scratch"]["top1"] <= 1 and 0 <= s["tube"]["top1"] <= 1
        assert set(s["probe"]) == {"random", "tube"}
    # each seed pretrains its own encoder (the toy and cpu presets) and has its own labelled subset
    assert len(report["pretraining"]) == len(toy.seeds) and report["pretraining"][0]["clips_per_second"] > 0
    subsets = [(runs / f"seed{s}" / "train_0.5.csv").read_text() for s in toy.seeds]
    assert subsets[0] != subsets[1]
    mean, std = report["summary"]["tube"]["gain"]
    gains = [s["tube"]["top1"] - s["scratch"]["top1"] for s in report["seeds"]]
    assert abs(mean - sum(gains) / 2) < 1e-9 and std >= 0
    assert report["full_labels"]["clips"] == len((data / "train.csv").read_text().splitlines()) - 1
    md = (out / "mae-efficiency" / "mae-efficiency.md").read_text()
    assert "| scratch |" in md and "| VideoMAE, tube masking |" in md and "kNN" in md and "Testbed check" in md
    assert "Testbed check, overfitting" in md and 0 <= report["overfit"]["train_clean_top1"] <= 1
    # the shape / motion halves, read off each run's test confusion matrix, beside top-1 in the report
    for s in report["seeds"]:
        f = s["tube"]["factors"]
        assert s["tube"]["top1"] <= min(f["shape"], f["motion"]) <= max(f["shape"], f["motion"]) <= 1
    assert "| VideoMAE, tube masking | " in md.split("| start | shape right | motion right |")[1]

    # the overfitting check trains seed 0's labelled clips with every regularizer of the recipe off
    def recipe(run):
        state = torch.load(runs / "seed0" / run / "checkpoint" / "trainer_state.pt", weights_only=True)
        model = load_model(runs / "seed0" / run / "best")
        return [state["config"][k] for k in ("data", "crop_scale", "label_smoothing", "symmetries")] + [
            model.config.drop_path
        ]

    assert recipe("scratch-unregularized") == [str(runs / "seed0" / "train_0.5.csv"), 1.0, 0.0, "", 0.0]
    assert recipe("scratch")[1:] == [toy.crop_scale, toy.label_smoothing, "all", toy.drop_path]
    assert report["overfit"]["clips"] == report["seeds"][0]["scratch"]["clips"]
    assert "train_clean_top1" in report["summary"]["scratch"]
    assert "Regenerate: `tubelet experiment mae-efficiency --preset toy`" in md
    for png in ("mae-efficiency-curves.png", "mae-efficiency-reconstruction.png"):
        assert (out / "mae-efficiency" / png).read_bytes()[:4] == b"\x89PNG"
    # mae-masking re-opens the scratch / tube runs and adds random and frame pretraining
    stamp = (runs / "seed0" / "scratch" / "best" / "model.safetensors").stat().st_mtime_ns
    r = run_cli(
        "experiment",
        "mae-masking",
        "--preset",
        "toy",
        "--data",
        data,
        "--runs",
        runs,
        "--out",
        out,
        "--threads",
        "1",
        "--device",
        "cpu",
        "--seeds",
        "0",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    masking = json.loads((out / "mae-masking" / "mae-masking.json").read_text())
    assert masking["maskings"] == ["tube", "random", "frame"] and len(masking["seeds"]) == 1
    assert masking["seeds"][0]["tube"] == report["seeds"][0]["tube"]
    assert (runs / "seed0" / "scratch" / "best" / "model.safetensors").stat().st_mtime_ns == stamp
    assert "| VideoMAE, frame masking |" in (out / "mae-masking" / "mae-masking.md").read_text()


def test_cost_rows_count_visible_tokens():
    r = mae_cost.cost(TINY, ratios=(0.9, 0.75, 0.0), reps=1)
    rows = {x["mask_ratio"]: x for x in r["rows"]}
    assert rows[0.9]["visible_tokens"] == 4 and rows[0.75]["visible_tokens"] == 8 and rows[0.0]["visible_tokens"] == 32
    assert rows[0.9]["pairs_vs_unmasked"] == (4 / 32) ** 2
    assert all(x["step_seconds"] > 0 for x in r["rows"])
    assert "| 0.90 | 4 / 32 |" in mae_cost.cost_markdown(r)


def test_experiment_command_names(tmp_path):
    r = run_cli("experiment", "mae-nothing")
    assert r.returncode == 2 and "invalid choice" in r.stderr


@pytest.mark.parametrize("name, shared", [("cpu", False), ("gpu", False), ("cpu", True)])
def test_cpu_and_gpu_recipes_run_at_toy_size(tmp_path, name, shared):
    preset = toy_sized(name)
    assert preset.pretrain_per_seed == PRESETS[name].pretrain_per_seed is True
    assert preset.layer_decay == PRESETS[name].layer_decay and preset.clips == PRESETS["toy"].clips
    if shared:  # `--shared-pretraining`: the explicit cheap mode
        preset = preset.replace(pretrain_per_seed=False)
    report = me.run_experiment(preset, tmp_path / "data", tmp_path / "runs", progress=False)
    # both recipes pretrain once per seed; the shared mode once, for every seed
    folders = sorted(p["checkpoint"] for p in report["pretraining"])
    assert len(folders) == (1 if shared else len(preset.seeds))
    assert all((tmp_path / "runs" / f"pretrain-tube-seed{s}").is_dir() == (not shared or s == 0) for s in preset.seeds)
    for s in report["seeds"]:
        assert 0 <= s["tube"]["top1"] <= 1 and s["tube"]["clips"] == s["scratch"]["clips"] > 0
    md = mae_report.write_report(report, "mae-efficiency", tmp_path / "docs", "cmd")
    assert md.startswith("# VideoMAE on tubelet's data: mae-efficiency\n\n**Shared pretraining**") == shared
    assert ("one pretraining per seed" in md) != shared


@pytest.mark.parametrize(
    "task, described",
    [("moving-shapes-pan", "the camera drifting"), ("moving-shapes-start-stop", "starting and stopping")],
)
def test_other_testbeds_get_their_own_data_runs_and_report(tmp_path, task, described):
    """`--task moving-shapes-pan | moving-shapes-start-stop`: a testbed next to, not over, the fixed-camera one."""
    r = run_cli(
        "experiment",
        "mae-masking",
        "--preset",
        "toy",
        "--task",
        task,
        "--out",
        "docs",
        "--seeds",
        "0",
        "--full-labels",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",
        "-q",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    info = json.loads((tmp_path / "data" / f"{task}-toy" / "dataset.json").read_text())
    assert info["task"] == task
    assert (tmp_path / "runs" / f"mae-{task}-toy" / "pretrain-frame-seed0" / "checkpoint").is_dir()
    report = json.loads((tmp_path / "docs" / f"mae-masking-{task}" / f"mae-masking-{task}.json").read_text())
    assert report["task"] == task and report["maskings"] == ["tube", "random", "frame"]
    assert "full_labels" not in report
    md = (tmp_path / "docs" / f"mae-masking-{task}" / f"mae-masking-{task}.md").read_text()
    assert described in md and "| VideoMAE, frame masking |" in md
    assert f"Regenerate: `tubelet experiment mae-masking --preset toy --task {task} --full-labels 0 --seeds 0`" in md
    assert not (tmp_path / "docs" / "mae-masking" / "mae-masking.md").exists()


def test_per_frame_tokens_and_another_ratio_get_their_own_runs_and_report(tmp_path):
    """`--tubelet-frames 1 --mask-ratio 0.875`: per-frame tokens, frame masking leaving one frame; the task's
    data is shared, the runs and the report are not."""
    r = run_cli(
        "experiment",
        "mae-masking",
        "--preset",
        "toy",
        "--tubelet-frames",
        "1",
        "--mask-ratio",
        "0.875",
        "--out",
        "docs",
        "--seeds",
        "0",
        "--full-labels",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",
        "-q",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    runs = tmp_path / "runs" / "mae-tubelet1-ratio0.875-toy"
    assert (tmp_path / "data" / "moving-shapes-toy" / "train.csv").exists()
    for masking in ("tube", "random", "frame"):
        config = json.loads((runs / f"pretrain-{masking}-seed0" / "checkpoint" / "config.json").read_text())
        assert config["tubelet_config"]["encoder"]["tubelet_size"] == 1
    assert load_model(runs / "seed0" / "scratch" / "best").config.tubelet_size == 1
    folder = tmp_path / "docs" / "mae-masking-tubelet1-ratio0.875"
    report = json.loads((folder / "mae-masking-tubelet1-ratio0.875.json").read_text())
    assert report["recipe"]["mask_ratio"] == 0.875 and report["encoder"]["tubelet_size"] == 1
    md = (folder / "mae-masking-tubelet1-ratio0.875.md").read_text()
    assert "1x8x8 tubes" in md and "mask ratio 0.875" in md
    assert (
        "Regenerate: `tubelet experiment mae-masking --preset toy --tubelet-frames 1 --mask-ratio 0.875 "
        "--full-labels 0 --seeds 0`"
    ) in md
    assert not (tmp_path / "docs" / "mae-masking" / "mae-masking.md").exists()


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--tubelet-frames", "3", "must divide the clip's 8 frames"),
        ("--patch-size", "5", "must divide the clip's 32 px"),
        ("--mask-ratio", "1", "strictly between 0 and 1"),
        ("--frames", "9", "between 1 and the testbed's 8 frames"),
        ("--frames", "3", "not a whole number of the preset's 2-frame"),
    ],
)
def test_bad_token_variants_are_refused_in_one_line(tmp_path, option, value, message):
    r = run_cli("experiment", "mae-masking", "--preset", "toy", option, value, cwd=tmp_path)
    assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "data").exists()


def test_a_finer_grid_runs_at_toy_size(tmp_path):
    """`--patch-size 4 --tubelet-frames 1`: 8 x 8 places a frame, 512 tokens; every masking keeps its share."""
    r = run_cli(
        "experiment",
        "mae-efficiency",
        "--preset",
        "toy",
        "--patch-size",
        "4",
        "--tubelet-frames",
        "1",
        "--mask-ratio",
        "0.9",
        "--out",
        "docs",
        "--seeds",
        "0",
        "--full-labels",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",
        "-q",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    runs = tmp_path / "runs" / "mae-tubelet1-patch4-ratio0.9-toy"
    model = load_model(runs / "seed0" / "finetune-tube" / "best")
    assert (model.config.patch_size, model.config.tubelet_size) == (4, 1)
    name = "mae-efficiency-tubelet1-patch4-ratio0.9"
    md = (tmp_path / "docs" / name / f"{name}.md").read_text()
    assert "1x4x4 tubes" in md and "mask ratio 0.9" in md


def test_fewer_frames_spread_over_the_clip_get_their_own_runs_and_report(tmp_path):
    """`--frames 4 --tubelet-frames 1`: 4 instants of each 8-frame clip (frames 1, 3, 5, 7), one token per frame
    and place, so frame masking at 0.75 leaves exactly one instant; one seed's report shows no spread."""
    r = run_cli(
        "experiment",
        "mae-masking",
        "--preset",
        "toy",
        "--frames",
        "4",
        "--tubelet-frames",
        "1",
        "--out",
        "docs",
        "--seeds",
        "0",
        "--full-labels",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",
        "-q",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    runs = tmp_path / "runs" / "mae-frames4-tubelet1-toy"
    for masking in ("tube", "random", "frame"):
        config = json.loads((runs / f"pretrain-{masking}-seed0" / "checkpoint" / "config.json").read_text())
        assert config["tubelet_config"]["encoder"]["num_frames"] == 4
    model = load_model(runs / "seed0" / "finetune-frame" / "best")
    assert (model.config.num_frames, model.config.tubelet_size) == (4, 1)
    md = (tmp_path / "docs" / "mae-masking-frames4-tubelet1" / "mae-masking-frames4-tubelet1.md").read_text()
    assert "4 frames x 32 px, 1x8x8 tubes" in md and "± 0.0%" not in md
    assert "Regenerate: `tubelet experiment mae-masking --preset toy --frames 4 --tubelet-frames 1" in md
    # the 4 frames a 4-frame model is fed are the clip's frames 1, 3, 5, 7 as decoded
    data = tmp_path / "data" / "moving-shapes-toy"
    sample = me.load_splits(data)["test"][0]
    pre = Preprocessor.from_config(None, 32)
    every = ClipDataset([sample], {sample.label: 0}, 8, pre).frames(0)
    four = ClipDataset([sample], {sample.label: 0}, 4, pre).frames(0)
    assert torch.equal(four, every[1::2])
