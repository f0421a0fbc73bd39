"""The schemes' structure, proven by what a perturbation can reach, not by shapes."""

import pytest
import torch
from conftest import randomize, small_config

from tubelet import VideoTransformer
from tubelet.modeling.attention import Attention, DividedBlock

T, S, D = 4, 6, 32


def divided_block(**kw):
    block = DividedBlock(small_config(class_token=False, **kw))
    randomize(block)
    return block


def reach(f, x, token):
    """Which output tokens change when input `token` is perturbed (float64: exact zeros elsewhere)."""
    y0 = f(x)
    x2 = x.clone()
    x2[:, token] += 1.0
    return (f(x2) - y0).abs().amax(dim=-1)[0] > 0


def test_spatial_sublayer_reaches_only_tokens_of_the_same_frame():
    block = divided_block().double()
    x = torch.randn(1, T * S, D, dtype=torch.float64)
    frame, pos = 2, 3
    changed = reach(lambda v: block.spatial_attention(v, T)[0], x, frame * S + pos).view(T, S)
    assert changed[frame].all()
    assert not changed[[i for i in range(T) if i != frame]].any()


def test_temporal_sublayer_reaches_only_the_same_spatial_location():
    block = divided_block().double()
    x = torch.randn(1, T * S, D, dtype=torch.float64)
    frame, pos = 1, 4
    changed = reach(lambda v: block.temporal_attention(v, T), x, frame * S + pos).view(T, S)
    assert changed[:, pos].all()
    assert not changed[:, [j for j in range(S) if j != pos]].any()


def test_joint_attention_reaches_every_token():
    attn = Attention(D, heads=4).double()
    x = torch.randn(1, T * S, D, dtype=torch.float64)
    assert reach(attn, x, 7).all()


def test_temporal_attention_over_one_group_is_a_per_token_linear_map():
    """With t = 1 each token attends only to itself: softmax = 1, so the sub-layer is x + fc(proj(v(LN x)))."""
    block = divided_block().double()
    x = torch.randn(2, S, D, dtype=torch.float64)
    a = block.temporal_attn
    v = torch.nn.functional.linear(block.temporal_norm(x), a.qkv.weight[2 * D :], a.qkv_bias()[2 * D :])
    torch.testing.assert_close(block.temporal_attention(x, 1), x + block.temporal_fc(a.proj(v)))


@pytest.mark.parametrize("frames", [1, 4])
def test_fresh_divided_model_equals_space_only_with_the_same_weights(frames):
    """temporal_fc starts at zero (TimeSformer), so divided == space-only until training moves it;
    with one temporal group this holds for any weights of the spatial path."""
    kw = dict(num_frames=frames, class_token=False, pooling="mean", pos_embed="learned")
    divided = VideoTransformer(small_config(scheme="divided", **kw))
    space = VideoTransformer(small_config(scheme="space_only", **kw))
    randomize(divided)
    for blk in divided.blocks:
        torch.nn.init.zeros_(blk.temporal_fc.weight)
        torch.nn.init.zeros_(blk.temporal_fc.bias)
    shared = {k: v for k, v in divided.state_dict().items() if k in space.state_dict()}
    space.load_state_dict(shared)
    video = torch.randn(2, 3, frames, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(divided(video), space(video), atol=1e-5, rtol=1e-5)


def test_space_only_cannot_see_frame_order_but_the_temporal_schemes_can():
    video = torch.randn(1, 3, 4, 32, 32)
    shuffled = video[:, :, [2, 0, 3, 1]]
    for scheme in ("space_only", "joint", "divided", "factorized"):
        model = randomize(VideoTransformer(small_config(scheme=scheme, pos_embed="learned_space_time")))
        with torch.no_grad():
            same = torch.allclose(model(video), model(shuffled), atol=1e-6)
        assert same == (scheme == "space_only"), scheme


def test_factorized_spatial_stage_keeps_frames_apart():
    model = randomize(VideoTransformer(small_config(scheme="factorized", pos_embed="learned_space_time"))).double()
    captured = []
    model.spatial_norm.register_forward_hook(lambda m, i, o: captured.append(o[:, 0].detach()))
    video = torch.randn(1, 3, 4, 32, 32, dtype=torch.float64)
    perturbed = video.clone()
    perturbed[:, :, 1] += 1.0
    with torch.no_grad():
        model(video), model(perturbed)
    changed = (captured[0] - captured[1]).abs().amax(dim=-1) > 0  # per-frame summaries
    assert changed.tolist() == [False, True, False, False]


@pytest.mark.parametrize("scheme", ["joint", "divided", "space_only", "factorized"])
def test_sdpa_and_explicit_attention_agree(scheme, clip):
    model = randomize(VideoTransformer(small_config(scheme=scheme)))
    with torch.no_grad():
        fused = model(clip)
        explicit = model.set_attention_impl("explicit")(clip)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_per_frame_conv_stem_keeps_frames_apart():
    """With tubelet 1 the conv stem has a temporal kernel of 1: a frame's tokens depend on that frame only."""
    model = randomize(VideoTransformer(small_config(stem="conv", patch_size=8, tubelet_size=1))).double()
    video = torch.randn(1, 3, 4, 32, 32, dtype=torch.float64)
    perturbed = video.clone()
    perturbed[:, :, 2] += 1.0
    with torch.no_grad():
        a, _ = model.patch_embed(video)
        b, _ = model.patch_embed(perturbed)
    changed = ((a - b).abs().amax(dim=-1)[0] > 0).view(4, -1).any(dim=1)
    assert changed.tolist() == [False, False, True, False]
