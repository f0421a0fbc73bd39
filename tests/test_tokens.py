import pytest
import torch
from conftest import small_config
from einops import rearrange
from torch import nn

from tubelet.modeling.tokens import PositionEmbedding, TubeletEmbed, sinusoid_table


def test_tubelet_embed_is_a_linear_map_of_each_tube_in_thw_order():
    embed = TubeletEmbed(dim=24, patch_size=8, tubelet_size=2)
    video = torch.randn(2, 3, 6, 32, 16)
    tokens, grid = embed(video)
    assert grid == (3, 4, 2) and tokens.shape == (2, 3 * 4 * 2, 24)
    tubes = rearrange(video, "b c (t pt) (h ph) (w pw) -> b (t h w) (c pt ph pw)", pt=2, ph=8, pw=8)
    manual = tubes @ embed.proj.weight.flatten(1).T + embed.proj.bias
    torch.testing.assert_close(tokens, manual, atol=1e-5, rtol=1e-5)


def test_tubelet_of_one_frame_is_timesformer_per_frame_patch_embedding():
    embed = TubeletEmbed(dim=16, patch_size=8, tubelet_size=1)
    conv2d = nn.Conv2d(3, 16, kernel_size=8, stride=8)
    with torch.no_grad():
        conv2d.weight.copy_(embed.proj.weight[:, :, 0])
        conv2d.bias.copy_(embed.proj.bias)
    video = torch.randn(2, 3, 5, 16, 24)
    tokens, grid = embed(video)
    frames = conv2d(rearrange(video, "b c t h w -> (b t) c h w"))
    per_frame = rearrange(frames, "(b t) d h w -> b (t h w) d", b=2)
    assert grid == (5, 2, 3)
    torch.testing.assert_close(tokens, per_frame, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((2, 3, 4, 32), "expected a video tensor"),
        ((2, 1, 4, 32, 32), "expected 3 channels"),
        ((2, 3, 1, 32, 32), "does not tile"),
        ((2, 3, 4, 4, 32), "does not tile"),
    ],
)
def test_tubelet_embed_rejects_bad_shapes_with_a_clear_message(shape, message):
    with pytest.raises(ValueError, match=message):
        TubeletEmbed(dim=8, patch_size=8, tubelet_size=2)(torch.randn(*shape))


def test_a_remainder_the_tubelet_does_not_cover_is_dropped_as_transformers_does():
    """3 frames in 2-frame tubelets, 10 pixels in 4-pixel patches: the linear stem's grid is the floor and equals the
    embedding of the clip cut to 2 frames at 8 x 8; the conv stem still needs an exact tiling."""
    embed = TubeletEmbed(dim=8, patch_size=4, tubelet_size=2)
    video = torch.randn(2, 3, 3, 10, 10)
    tokens, grid = embed(video)
    assert grid == (1, 2, 2)
    torch.testing.assert_close(tokens, embed(video[:, :, :2, :8, :8])[0])
    with pytest.raises(ValueError, match="does not tile"):
        TubeletEmbed(dim=8, patch_size=4, tubelet_size=2, stem="conv")(video)


def test_sinusoid_table_matches_videomae_bit_for_bit():
    from transformers.models.videomae.modeling_videomae import get_sinusoid_encoding_table

    assert torch.equal(sinusoid_table(1568, 768), get_sinusoid_encoding_table(1568, 768))


def test_space_time_positions_add_space_by_location_and_time_by_frame():
    cfg = small_config(pos_embed="learned_space_time", scheme="divided")
    pos = PositionEmbedding(cfg)
    with torch.no_grad():
        pos.space.normal_()
        pos.time.normal_()
    t, h, w = cfg.grid
    x = torch.zeros(1, 1 + t * h * w, cfg.dim)
    out = pos(x, cfg.grid)
    torch.testing.assert_close(out[0, 0], pos.space[0, 0])  # class token: space[0] only
    f, j = 2, 5
    torch.testing.assert_close(out[0, 1 + f * h * w + j], pos.space[0, 1 + j] + pos.time[0, f])


def test_position_embedding_refuses_a_grid_it_was_not_built_for():
    cfg = small_config(pos_embed="learned")
    with pytest.raises(ValueError, match="does not match"):
        PositionEmbedding(cfg)(torch.zeros(1, 1 + 8 * 16, cfg.dim), (8, 4, 4))


def test_conv_stem_gives_the_same_token_grid_as_the_tubelet():
    linear = TubeletEmbed(dim=32, patch_size=16, tubelet_size=2)
    conv = TubeletEmbed(dim=32, patch_size=16, tubelet_size=2, stem="conv")
    video = torch.randn(2, 3, 8, 64, 96)
    (a, grid_a), (b, grid_b) = linear(video), conv(video)
    assert grid_a == grid_b == (4, 4, 6) and a.shape == b.shape == (2, 96, 32)


def test_conv_stem_models_save_in_tubelet_format(tmp_path):
    from tubelet import VideoTransformer, load_model, save_pretrained
    from tubelet.checkpoints.convert import hf_architecture

    model = VideoTransformer(small_config(scheme="joint", tubelet_size=2, patch_size=16, stem="conv")).eval()
    assert hf_architecture(model) is None
    save_pretrained(model, tmp_path / "m")
    video = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(load_model(tmp_path / "m")(video), model(video))
