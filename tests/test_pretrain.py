"""`tubelet pretrain` (VideoMAE on unlabelled real MP4s): learning, pictures, resume after kill -9, DDP, then
`tubelet train --init` fine-tuning the pretrained encoder."""

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import kill_after_first_checkpoint, model_flags, run_args, run_cli, synthesized
from safetensors.torch import load_file

from tubelet import load_model
from tubelet.modeling.videomae import VideoMAE

ENCODER = model_flags(frames=4, size=32, patch=8, tubelet=2, dim=32, depth=2, heads=2)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return synthesized(tmp_path_factory, "temporal-order", clips=40, seed=4)


def pretrain_args(data, out, *extra, epochs=3):
    return run_args("pretrain", data, out, "--picture-every", "3", *ENCODER, *extra, epochs=epochs)


def test_pretrain_learns_and_draws_reconstructions(videos, tmp_path):
    r = run_cli(*pretrain_args(videos, tmp_path / "run", epochs=4))
    assert r.returncode == 0, r.stderr
    assert "tube masking at 75% (8 of 32 tokens visible)" in r.stdout
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    pictures = sorted((tmp_path / "run" / "reconstructions").glob("step_*.png"))
    # every 3 steps + the end
    assert [p.name for p in pictures] == [f"step_{s:06d}.png" for s in (3, 6, 9, 12, 15, 16)]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pictures)
    assert (tmp_path / "run" / "loss.png").read_bytes()[:4] == b"\x89PNG"  # the loss curve, every epoch
    model = load_model(tmp_path / "run" / "checkpoint")
    assert isinstance(model, VideoMAE) and model.config.decoder_dim == 16 and model.config.encoder.dim == 32


def test_other_maskings_and_a_plain_folder_of_videos(videos, tmp_path):
    r = run_cli(
        *pretrain_args(videos / "train", tmp_path / "run", "--masking", "frame", "--mask-ratio", "0.5", epochs=1)
    )
    assert r.returncode == 0, r.stderr
    assert "frame masking at 50% (16 of 32 tokens visible)" in r.stdout and "on 32 clips" in r.stdout


def test_resume_after_kill_equals_an_uninterrupted_run(videos, tmp_path):
    full = run_cli(*pretrain_args(videos, tmp_path / "full", "--picture-every", "0", epochs=4))
    assert full.returncode == 0, full.stderr
    args = pretrain_args(videos, tmp_path / "cut", "--picture-every", "0", epochs=4)
    epoch = kill_after_first_checkpoint(args, tmp_path / "cut")
    assert 1 <= epoch < 4, "the run must be killed part-way"
    resumed = run_cli(*pretrain_args(videos, tmp_path / "cut", "--picture-every", "0", "--resume", epochs=4))
    assert resumed.returncode == 0 and f"resuming after epoch {epoch} of 4" in resumed.stdout, resumed.stderr
    a, b = (load_file(tmp_path / run / "checkpoint" / "model.safetensors") for run in ("full", "cut"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_ddp_with_two_cpu_processes(videos, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29519",
        "-m",
        "tubelet",
        *map(str, pretrain_args(videos, tmp_path / "ddp", epochs=1)),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "world size 2" in r.stdout and r.stdout.count("pretraining VideoMAE") == 1
    assert "1 epochs x 2 steps" in r.stdout  # 32 clips / (8 per batch x 2 processes)


def test_train_init_fine_tunes_the_pretrained_encoder(videos, tmp_path):
    assert run_cli(*pretrain_args(videos, tmp_path / "pre", epochs=1)).returncode == 0
    r = run_cli(
        "train",
        videos,
        "--out",
        tmp_path / "ft",
        "--init",
        tmp_path / "pre" / "checkpoint",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--workers",
        "0",
        "--threads",
        "1",
    )
    assert r.returncode == 0, r.stderr
    pre, ft = load_model(tmp_path / "pre" / "checkpoint"), load_model(tmp_path / "ft" / "best")
    assert ft.config.num_labels == 10 and ft.config.dim == 32 and not ft.config.class_token
    start = load_file(tmp_path / "pre" / "checkpoint" / "model.safetensors")
    assert any(k.startswith("encoder.") or "blocks" in k for k in start)
    assert pre.encoder.config.grid == ft.config.grid
    # the pretrained weights were loaded and used: after one epoch the encoder is still near them, far nearer than
    # a fresh initialization of the same architecture is
    from tubelet import VideoTransformer

    enc, tuned, fresh = pre.encoder.state_dict(), ft.state_dict(), VideoTransformer(ft.config).state_dict()
    shared = [k for k in enc if k in tuned and enc[k].shape == tuned[k].shape and not k.startswith("head")]
    assert len(shared) > 10
    moved = sum(float((tuned[k] - enc[k]).norm()) for k in shared)
    unrelated = sum(float((fresh[k] - enc[k]).norm()) for k in shared)
    assert moved < 0.5 * unrelated, (moved, unrelated)


def test_pretrain_bad_input_is_one_line(tmp_path):
    r = run_cli("pretrain", tmp_path / "nothing", "--out", tmp_path / "o")
    assert r.returncode == 2 and "no such videos folder" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("pretrain", tmp_path, "--out", tmp_path / "o", "--scheme", "divided")
    assert r.returncode == 2 and "joint attention" in r.stderr


def test_train_init_from_a_transformers_videomae_pretraining_folder(videos, tmp_path):
    from tubelet.checkpoints import parity

    hf = parity.reference_model("videomae-pretraining", "small")  # a real transformers model, random weights
    hf.save_pretrained(str(tmp_path / "hf"))
    r = run_cli(
        "train",
        videos,
        "--out",
        tmp_path / "ft",
        "--init",
        tmp_path / "hf",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--workers",
        "0",
        "--threads",
        "1",
    )
    assert r.returncode == 0, r.stderr
    ft = load_model(tmp_path / "ft" / "best")
    assert ft.config.num_labels == 10 and ft.config.dim == hf.config.hidden_size
    # the encoder started from the transformers weights: the embedding moved only by one short epoch
    start = hf.videomae.embeddings.patch_embeddings.projection.weight.detach()
    assert torch.allclose(ft.patch_embed.proj.weight.detach(), start, atol=0.05)
    assert not torch.allclose(ft.patch_embed.proj.weight.detach(), torch.zeros_like(start), atol=0.05)
