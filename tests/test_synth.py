"""Synthetic datasets: label semantics checked by tracking content on screen, determinism, manifests."""

import csv
import math

import numpy as np
import pytest
import torch

from tubelet.synth import TASKS, camera, order, plan, synthesize
from tubelet.video.decode import probe, read_frames


def _dots_scene(H=400, W=600):
    """Black scene with bright dots on a ring around the centre (the world origin)."""
    scene = torch.zeros(3, H, W)
    for k in range(8):
        a = 2 * math.pi * k / 8
        x, y = int(W / 2 + 40 * math.cos(a)), int(H / 2 + 40 * math.sin(a))
        scene[:, y - 2 : y + 3, x - 2 : x + 3] = 1.0
    return scene


def _render_track(label, n=12):
    """Render the label's camera path (no shake, no drift) over the dot scene -> (n, 3, 120, 160)."""
    rng = np.random.default_rng(3)
    cx, cy, s, th = camera.camera_path(label, rng, n, fps=10.0, w=160, h=120)
    cy = cy if label.startswith("tilt") else np.zeros(n)  # drop the secondary drift: test the main motion
    cx = cx if label.startswith("pan") else np.zeros(n)
    return camera.render(_dots_scene(), cx, cy, s, th, 160, 120)


def _dot_stats(frames):
    """Per frame: dots' mean x, mean y (from the centre), spread, and the angle of the rightmost dot."""
    stats = []
    for f in frames[:, 0]:
        ys, xs = torch.nonzero(f > 0.5, as_tuple=True)
        mx, my = xs.float().mean() - 80, ys.float().mean() - 60
        spread = ((xs.float() - 80 - mx) ** 2 + (ys.float() - 60 - my) ** 2).sqrt().mean()
        # angle of the dot nearest the right edge, measured counter-clockwise as the viewer sees it (y up)
        right = torch.argmax(xs.float() - 0.001 * ys.float())
        angle = math.atan2(-(ys[right].item() - 60), xs[right].item() - 80)
        stats.append((mx.item(), my.item(), spread.item(), angle))
    return np.array(stats)


def _centroid_track(label, n=12):
    return _dot_stats(_render_track(label, n))


CHECKS = {
    "pan_left": lambda d: d[0] > 5,  # camera turns left: content moves right
    "pan_right": lambda d: d[0] < -5,  # content moves left
    "tilt_up": lambda d: d[1] > 5,  # camera tilts up: content moves down (y down)
    "tilt_down": lambda d: d[1] < -5,  # content moves up
    "zoom_in": lambda d: d[2] > 1,  # content grows
    "zoom_out": lambda d: d[2] < -1,  # content shrinks
    "static": lambda d: abs(d[0]) < 0.5 and abs(d[1]) < 0.5 and abs(d[2]) < 0.5,
}


@pytest.mark.parametrize("label", sorted(CHECKS))
def test_camera_labels_move_content_the_way_their_names_say(label):
    track = _centroid_track(label)
    assert CHECKS[label](track[-1] - track[0]), (label, track[-1] - track[0])


@pytest.mark.parametrize("label, sign", [("roll_clockwise", 1), ("roll_counterclockwise", -1)])
def test_camera_roll_turns_content_the_opposite_way(label, sign):
    """Camera rolls clockwise -> the picture turns counter-clockwise (angle, y up, increases)."""
    angles = _centroid_track(label)[:, 3]
    assert sign * (angles[2] - angles[0]) > 0.01


@pytest.mark.parametrize("name", sorted(camera.SYMMETRIES))
@pytest.mark.parametrize("label", camera.LABELS)
def test_each_symmetry_turns_a_label_into_the_motion_its_map_names(name, label):
    """The training augmentation is only honest if a flipped / reversed clip really shows the mapped motion."""
    from tubelet.video.symmetry import VIEWS

    track = _dot_stats(VIEWS[name](_render_track(label), 0))
    target = camera.SYMMETRIES[name].get(label, label)
    if target.startswith("roll"):
        sign = 1 if target == "roll_clockwise" else -1
        steps = np.diff(track[:, 3])
        steps = steps[np.abs(steps) < 0.3]  # skip the jumps where another dot becomes the rightmost
        assert sign * steps.sum() > 0.01, (name, label, target)
    else:
        assert CHECKS[target](track[-1] - track[0]), (name, label, target, track[-1] - track[0])


def test_order_pairs_look_the_same_to_order_free_pooling():
    """Within each pair the frames are one set in another order: their time-average is the same picture
    (up to the pixel noise), while the clips themselves differ."""
    for a, b in order.PAIRS:
        fa = order.make_clip(a, np.random.default_rng([1, 2]))[0].astype(np.float32)
        fb = order.make_clip(b, np.random.default_rng([1, 2]))[0].astype(np.float32)
        assert np.abs(fa - fb).mean() > 3, (a, b)
        assert np.abs(fa.mean(axis=0) - fb.mean(axis=0)).mean() < 0.5, (a, b)


def test_plan_is_balanced_deterministic_and_split():
    rows = plan("camera-motion", 90, seed=4)
    assert rows == plan("camera-motion", 90, seed=4) and rows != plan("camera-motion", 90, seed=5)
    splits = [s for _, s, _ in rows]
    assert (splits.count("train"), splits.count("val"), splits.count("test")) == (72, 9, 9)
    labels = [label for *_, label in rows]
    assert all(labels.count(x) == 10 for x in camera.LABELS)


def test_synth_writes_real_mp4s_and_manifests_and_resumes(tmp_path):
    info = synthesize("camera-motion", tmp_path / "d", clips=18, seed=2, workers=1, progress=False)
    assert info["labels"] == list(camera.LABELS) and sum(info["splits"].values()) == 18
    rows = []
    for split in ("train", "val", "test"):
        with open(tmp_path / "d" / f"{split}.csv") as f:
            rows += [(split, r) for r in csv.DictReader(f)]
    assert len(rows) == 18
    split, row = rows[0]
    video = tmp_path / "d" / row["path"]
    assert row["path"].startswith(f"{split}/{row['label']}/") and probe(video).duration >= 1.4
    assert len(dict(read_frames(video, [0.1, 0.5]))) == 2
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*.mp4")}
    (tmp_path / "d" / row["path"]).unlink()
    synthesize("camera-motion", tmp_path / "d", clips=18, seed=2, workers=1, progress=False)
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*.mp4")}
    assert set(after) == set(before) and sum(after[p] != before[p] for p in before) == 1  # only the missing one remade


def test_same_seed_same_pixels():
    a = camera.make_clip("zoom_in", np.random.default_rng([9, 1]))[0]
    b = camera.make_clip("zoom_in", np.random.default_rng([9, 1]))[0]
    assert np.array_equal(a, b)


def test_unknown_task_and_too_few_clips(tmp_path):
    with pytest.raises(ValueError, match="unknown task"):
        synthesize("dance", tmp_path, 10)
    with pytest.raises(ValueError, match="at least 9 clips"):
        synthesize("camera-motion", tmp_path, 3)
    assert set(TASKS) == {
        "camera-motion",
        "temporal-order",
        "moving-shapes",
        "moving-shapes-pan",
        "moving-shapes-start-stop",
        "moving-shapes-brief",
    }


def _global_shift(a, b):
    """Content displacement (dx, dy) in pixels from frame a to frame b, by phase correlation."""
    fa, fb = np.fft.fft2(a - a.mean()), np.fft.fft2(b - b.mean())
    r = np.fft.ifft2(fb * np.conj(fa) / (np.abs(fb * np.conj(fa)) + 1e-9)).real
    y, x = np.unravel_index(np.argmax(r), r.shape)
    h, w = a.shape
    return (x if x <= w // 2 else x - w), (y if y <= h // 2 else y - h)


def test_shot_sequence_pans_along_the_rolled_camera_axes():
    """After a roll, a pan right must still move content left on screen (not diagonally or vertically)."""
    frames, truth = camera.make_shot_sequence([("roll_clockwise", 2.0), ("pan_right", 2.0)], np.random.default_rng(5))
    grey = frames.astype(np.float64).mean(axis=3)
    start = int(truth[1]["start"] * 25) + 2
    shifts = np.array([_global_shift(grey[i], grey[i + 3]) for i in range(start, len(grey) - 3, 3)])
    dx, dy = shifts.sum(axis=0)
    assert dx < -10 and abs(dy) < 0.35 * abs(dx), (dx, dy)
