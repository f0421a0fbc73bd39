import json

import pytest
import torch
from conftest import run_cli, small_config
from torch.utils.flop_counter import FlopCounterMode

from tubelet import VideoTransformer
from tubelet.modeling.cost import attention_pairs, clip_flops, cost_report, token_grid


def test_reproduces_the_seed_table_exactly():
    """Table 26.3.1: 32 frames, 224, p = 16, t = 2."""
    t, h, w = token_grid(frames=32, size=224, patch=16, tubelet=2)
    s = h * w
    assert (t, s, t * s) == (16, 196, 3136)
    assert attention_pairs("joint", t, s) == 3136**2 == 9_834_496
    assert attention_pairs("divided", t, s) == 614_656 + 50_176 == 664_832
    assert attention_pairs("space_only", t, s) == 614_656
    rows = {r["scheme"]: r for r in cost_report(frames=32, size=224, patch=16, tubelet=2)["schemes"]}
    assert round(rows["divided"]["relative"], 3) == 0.068
    assert rows["space_only"]["relative"] == 0.0625


def test_seed_exercise_64_frames_tubelet_4():
    report = cost_report(frames=64, size=224, patch=16, tubelet=4)
    assert report["grid"] == [16, 14, 14] and report["tokens"] == 3136
    rows = {r["scheme"]: r for r in report["schemes"]}
    assert rows["joint"]["pairs_per_layer"] == 9_834_496 and rows["divided"]["pairs_per_layer"] == 664_832
    # a deeper tubelet: the same tokens from twice the frames, so only the embedding FLOPs grow
    base = {r["scheme"]: r for r in cost_report(frames=32, size=224, patch=16, tubelet=2)["schemes"]}
    embed_growth = 2 * 3136 * 768 * 3 * 16 * 16 * 2 / 1e9
    assert rows["joint"]["gflops"] - base["joint"]["gflops"] == pytest.approx(embed_growth)


def test_attention_matrix_memory_is_the_quadratic_wall():
    rows = {r["scheme"]: r for r in cost_report(frames=32, size=224, patch=16, tubelet=2)["schemes"]}
    assert rows["joint"]["attn_matrix_bytes"]["fp32"] == 12 * 9_834_496 * 4  # 472 MB per layer per clip
    assert rows["joint"]["attn_matrix_bytes"]["bf16"] == 12 * 9_834_496 * 2
    assert rows["space_only"]["attn_matrix_bytes"]["fp32"] == 12 * 16 * 196**2 * 4


@pytest.mark.parametrize("scheme", ["joint", "divided", "space_only", "factorized"])
@pytest.mark.parametrize("class_token", [True, False])
def test_flops_equal_torch_flop_counter_on_the_real_model(scheme, class_token):
    cfg = small_config(
        scheme=scheme,
        class_token=class_token,
        pooling="cls" if class_token else "mean",
        tubelet_size=2,
        attn_impl="explicit",
    )  # FlopCounterMode does not see the CPU SDPA kernel
    model = VideoTransformer(cfg).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, 3, 4, 32, 32))
    assert clip_flops(cfg)["total"] == counter.get_total_flops()


def test_cost_cli_prints_the_table_and_json():
    r = run_cli("cost", "--frames", 32, "--size", 224, "--patch", 16, "--tubelet", 2)
    assert r.returncode == 0, r.stderr
    assert "3,136" in r.stdout and "9,834,496" in r.stdout and "664,832" in r.stdout and "0.0676" in r.stdout
    j = json.loads(run_cli("cost", "--frames", 64, "--tubelet", 4, "--scheme", "divided", "--json").stdout)
    assert j["tokens"] == 3136 and [r["scheme"] for r in j["schemes"]] == ["divided"]


def test_cost_cli_rejects_a_clip_that_does_not_tile():
    r = run_cli("cost", "--frames", 31, "--tubelet", 2)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "do not tile" in r.stderr
