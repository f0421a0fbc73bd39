"""The fine-tuning and pretraining recipe's options: layer-wise lr decay, random resized crop, lr scaling."""

import pytest
import torch

from tubelet import save_pretrained
from tubelet.cli import build_parser
from tubelet.modeling.model import VideoTransformer
from tubelet.modeling.videomae import videomae_encoder_config
from tubelet.training.data import ClipDataset, Sample
from tubelet.training.loop import layer_id, optimizer_and_schedule
from tubelet.training.pretrain import PretrainConfig, pretrain_lr
from tubelet.training.supervised import TrainConfig, build_model, crop_scale, layer_decay
from tubelet.video.preprocess import Preprocessor, preprocessor_config


def _model(depth=3):
    cfg = videomae_encoder_config(
        num_frames=4, image_size=16, patch_size=8, tubelet_size=2, dim=16, depth=depth, heads=2, num_labels=3
    )
    return VideoTransformer(cfg)


def test_layer_decay_scales_each_block_from_the_head_down():
    model = _model(depth=3)
    opt, sched = optimizer_and_schedule(
        model,
        lr=1.0,
        min_lr=0.0,
        weight_decay=0.05,
        betas=(0.9, 0.999),
        warmup_epochs=0,
        steps_per_epoch=10,
        epochs=1,
        layer_decay=0.5,
    )
    base = {
        name: sched.base_lrs[i]
        for i, g in enumerate(opt.param_groups)
        for name, p in model.named_parameters()
        if any(p is q for q in g["params"])
    }
    assert base["head.weight"] == 1.0 and base["norm.weight"] == 1.0
    assert base["blocks.2.mlp.fc1.weight"] == 0.5 and base["blocks.0.attn.qkv.weight"] == 0.125
    assert base["patch_embed.proj.weight"] == 0.0625
    assert set(base) == {name for name, _ in model.named_parameters()}
    # weight decay stays off for biases and norms inside every layer group
    for g in opt.param_groups:
        assert g["weight_decay"] == 0.0 or all(p.ndim >= 2 for p in g["params"])
    # the schedule scales every group alike
    for _ in range(5):
        opt.step()
        sched.step()
    ratios = {round(g["lr"] / b, 9) for g, b in zip(opt.param_groups, sched.base_lrs, strict=True)}
    assert len(ratios) == 1


def test_no_layer_decay_is_two_groups_at_one_rate():
    opt, _ = optimizer_and_schedule(
        _model(),
        lr=1e-3,
        min_lr=0.0,
        weight_decay=0.05,
        betas=(0.9, 0.999),
        warmup_epochs=0,
        steps_per_epoch=10,
        epochs=1,
    )
    assert len(opt.param_groups) == 2 and {g["lr"] for g in opt.param_groups} == {1e-3}
    assert layer_id("blocks.7.norm1.weight", 12) == 8 and layer_id("pos_embed.table", 12) == 0
    assert layer_id("head.bias", 12) == 13


def test_default_layer_decay_only_when_fine_tuning():
    assert layer_decay(TrainConfig(data="d", out="o")) == 1.0
    assert layer_decay(TrainConfig(data="d", out="o", init="ckpt")) == 0.75
    assert layer_decay(TrainConfig(data="d", out="o", init="ckpt", layer_decay=0.9)) == 0.9


def test_fine_tuning_defaults_to_the_recipe_that_beat_scratch(tmp_path):
    # crop and drop path as mae-efficiency fine-tuned; a model from scratch (the bundled model's recipe) is untouched
    assert crop_scale(TrainConfig(data="d", out="o")) == 1.0
    assert crop_scale(TrainConfig(data="d", out="o", init="ckpt")) == 0.7
    assert crop_scale(TrainConfig(data="d", out="o", init="ckpt", crop_scale=1.0)) == 1.0
    save_pretrained(_model(), tmp_path / "pre")
    tuned = build_model(TrainConfig(data="d", out="o", init=str(tmp_path / "pre")), ["x", "y"])
    assert tuned.config.drop_path == 0.1 and tuned.config.num_labels == 2
    kept = build_model(TrainConfig(data="d", out="o", init=str(tmp_path / "pre"), model={"drop_path": 0.0}), ["x"])
    assert kept.config.drop_path == 0.0
    scratch = dict(num_frames=4, image_size=16, patch_size=8, dim=16, depth=1, heads=2)
    assert build_model(TrainConfig(data="d", out="o", model=scratch), ["x"]).config.drop_path == 0.0


def test_pretrain_command_defaults_to_the_recipe_that_worked():
    args = build_parser().parse_args(["pretrain", "videos/", "--out", "runs/pre"])
    assert args.mask_ratio == 0.75 and not args.norm_pix_loss and args.decoder_depth == 2 and args.base_lr == 0.012
    assert PretrainConfig(data="", out="").mask_ratio == 0.75 and not PretrainConfig(data="", out="").norm_pix_loss
    assert build_parser().parse_args(["pretrain", "v/", "--out", "o", "--norm-pix-loss"]).norm_pix_loss


def test_pretraining_lr_follows_the_batch_size():
    assert pretrain_lr(PretrainConfig(data="", out="", batch_size=64, base_lr=1e-3)) == pytest.approx(2.5e-4)
    assert pretrain_lr(PretrainConfig(data="", out="", batch_size=64, base_lr=1e-3), world=4) == pytest.approx(1e-3)
    assert pretrain_lr(PretrainConfig(data="", out="", batch_size=64, lr=0.01)) == 0.01


def _dataset(crop_scale, frames):
    pre = Preprocessor.from_config(preprocessor_config(16), 16)
    ds = ClipDataset([Sample("unused.mp4", "a")] * 4, {"a": 0}, 4, pre, train=True, seed=1, crop_scale=crop_scale)
    ds.cached = frames
    return ds


def test_random_resized_crop_is_one_box_for_the_whole_clip():
    # a bright square moving right by 2 px a frame on a dark frame
    frames = torch.zeros(4, 4, 3, 16, 16, dtype=torch.uint8)
    for t in range(4):
        frames[:, t, :, 6:10, 2 + 2 * t : 6 + 2 * t] = 255
    ds = _dataset(0.5, frames)
    crops = [ds.random_resized_crop(i, frames[i]) for i in range(4)]
    assert all(c.shape == (4, 3, 16, 16) and c.dtype == torch.uint8 for c in crops)
    assert any(not torch.equal(c, frames[0]) for c in crops)
    for c in crops:  # the square keeps moving right in every crop (one box for all frames)
        mass = c[:, 0].float().sum(1)  # (T, W) column mass
        centre = (mass * torch.arange(16)).sum(1) / mass.sum(1).clamp_min(1)
        visible = mass.sum(1) > 0
        assert (centre[visible].diff() > 0).all()
    # the same (seed, epoch, clip) draws the same box; another epoch another one
    assert torch.equal(ds.random_resized_crop(2, frames[2]), crops[2])
    ds.epoch = 1
    assert not all(torch.equal(ds.random_resized_crop(i, frames[i]), crops[i]) for i in range(4))


def test_crop_scale_one_leaves_clips_alone_and_bad_scales_are_refused():
    frames = torch.randint(0, 255, (4, 4, 3, 16, 16), dtype=torch.uint8)
    ds = _dataset(1.0, frames)
    x, _ = ds[0]
    assert torch.allclose(x, ds.pre.normalize(frames[0][None])[0])
    with pytest.raises(ValueError, match="crop scale"):
        _dataset(0.0, frames)
