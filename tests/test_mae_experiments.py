"""The VideoMAE experiments, small and fast: they run end to end on real MP4s and report what they claim to."""

import torch
from conftest import run_cli

from tubelet.lab import mae_experiments as me
from tubelet.synth import synthesize

TINY = dict(num_frames=4, image_size=32, patch_size=8, tubelet_size=2, dim=32, depth=1, heads=2)


def test_labelled_fraction_is_balanced_and_seeded(tmp_path):
    synthesize("temporal-order", tmp_path / "d", clips=60, seed=2, workers=1, progress=False)
    a = me.labelled_fraction(tmp_path / "d", 0.25, 0, tmp_path / "a.csv").read_text().splitlines()
    b = me.labelled_fraction(tmp_path / "d", 0.25, 0, tmp_path / "b.csv").read_text().splitlines()
    assert a == b and a[0] == "path,label"
    labels = [line.rsplit(",", 1)[1] for line in a[1:]]
    assert len(set(labels)) == 10 and max(labels.count(x) for x in set(labels)) <= 2


def test_efficiency_and_masking_rows(tmp_path):
    synthesize("temporal-order", tmp_path / "d", clips=40, seed=3, workers=1, progress=False)
    torch.set_num_threads(1)
    r = me.efficiency(tmp_path / "d", tmp_path / "runs", fraction=0.5, pretrain_epochs=1, finetune_epochs=1,
                      maskings=("tube", "frame"), progress=False, encoder=TINY)
    assert [x["init"] for x in r["rows"]] == ["scratch", "VideoMAE, tube masking 90%", "VideoMAE, frame masking 90%"]
    assert all(0 <= x["top1"] <= 1 for x in r["rows"])
    assert r["labelled_clips"] == len((tmp_path / "runs" / "train_0.5.csv").read_text().splitlines()) - 1 < 32
    assert (tmp_path / "runs" / "pretrain-frame" / "checkpoint" / "model.safetensors").exists()
    md = me.efficiency_markdown(r, "t")
    assert md.count("| VideoMAE") == 2 and "| scratch |" in md
    # mae-efficiency after mae-masking: the finished scratch and tube runs are re-opened, not retrained
    stamp = (tmp_path / "runs" / "scratch" / "checkpoint" / "model.safetensors").stat().st_mtime_ns
    again = me.efficiency(tmp_path / "d", tmp_path / "runs", fraction=0.5, pretrain_epochs=1, finetune_epochs=1,
                          maskings=("tube",), progress=False, encoder=TINY)
    assert again["rows"] == r["rows"][:2]
    assert (tmp_path / "runs" / "scratch" / "checkpoint" / "model.safetensors").stat().st_mtime_ns == stamp


def test_cost_rows_count_visible_tokens(tmp_path):
    r = me.cost(TINY, ratios=(0.9, 0.75, 0.0), reps=1)
    rows = {x["mask_ratio"]: x for x in r["rows"]}
    assert rows[0.9]["visible_tokens"] == 4 and rows[0.75]["visible_tokens"] == 8 and rows[0.0]["visible_tokens"] == 32
    assert rows[0.9]["pairs_vs_unmasked"] == (4 / 32) ** 2
    assert all(x["step_seconds"] > 0 for x in r["rows"])
    assert "| 0.90 | 4 / 32 |" in me.cost_markdown(r)


def test_experiment_command_names(tmp_path):
    r = run_cli("experiment", "mae-nothing")
    assert r.returncode == 2 and "invalid choice" in r.stderr
