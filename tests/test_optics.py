"""The synthetic camera's optics (viewport grid, rolling shutter, motion blur, parallax) and the global-motion
measurement used to annotate real footage: each checked by measuring what ends up on screen."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tubelet.synth import camera, optics
from tubelet.synth.content import cutout, photo
from tubelet.video.motion import global_motion


def _uint8(frames: torch.Tensor) -> np.ndarray:
    return (frames.clamp(0, 1).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()


def _bar_scene(H=300, W=400):
    """A white vertical bar at the world origin on black."""
    scene = torch.zeros(3, H, W)
    scene[:, :, W // 2 - 3 : W // 2 + 3] = 1.0
    return scene


def _bar_x(frame: torch.Tensor, rows: slice) -> float:
    """Mean x (from the frame centre) of the bright pixels in `rows` of a (3, h, w) frame."""
    f = frame[0, rows]
    xs = torch.arange(f.shape[1], dtype=torch.float32) - f.shape[1] / 2 + 0.5
    return float((f * xs).sum() / f.sum())


def test_viewport_grid_is_affine_grid():
    rng = np.random.default_rng(0)
    n, w, h, W, H = 5, 160, 90, 400, 300
    cx, cy, s, th = rng.normal(0, 20, n), rng.normal(0, 20, n), rng.uniform(0.8, 1.5, n), rng.normal(0, 0.3, n)
    c, sn = np.cos(th), np.sin(th)
    theta = np.stack(
        [
            np.stack([s * c * w / W, -s * sn * h / W, 2 * cx / W], axis=-1),
            np.stack([s * sn * w / H, s * c * h / H, 2 * cy / H], axis=-1),
        ],
        axis=1,
    )
    for ss in (1, 2):
        reference = F.affine_grid(torch.from_numpy(theta).float(), [n, 3, h * ss, w * ss], align_corners=False)
        assert (optics.viewport_grid((cx, cy, s, th), w, h, W, H, ss) - reference).abs().max() < 1e-5


def test_supersampling_shows_the_same_view():
    """Rendering at 2x and averaging down must frame exactly what 1x frames (only smoother)."""
    scene = F.avg_pool2d(photo("astronaut")[None], 4)[0]  # smooth, so 1x does not alias
    path = (np.array([0.0, 5.0]), np.array([0.0, -3.0]), np.array([1.6, 1.7]), np.array([0.0, 0.05]))
    one = camera.render(scene, *path, 96, 64, supersample=1)
    two = camera.render(scene, *path, 96, 64, supersample=2)
    assert (one - two).abs().mean() < 0.01


def test_rolling_shutter_skews_a_pan_by_the_readout():
    """Camera pans right at v world px per frame: content moves left, and with readout r the bottom rows,
    read r frames after the top ones, show the bar about r * v further left."""
    n, v, readout = 4, 6.0, 0.8
    path = (np.arange(n + 1) * v, np.zeros(n + 1), np.ones(n + 1), np.zeros(n + 1))
    sharp = optics.expose(_bar_scene(), path, n, 160, 120)
    skewed = optics.expose(_bar_scene(), path, n, 160, 120, optics.Shutter(readout=readout))
    for f in sharp:
        assert abs(_bar_x(f, slice(0, 10)) - _bar_x(f, slice(110, 120))) < 0.2
    for f in skewed[:-1]:
        skew = _bar_x(f, slice(110, 120)) - _bar_x(f, slice(0, 10))
        assert skew == pytest.approx(-readout * v * 110 / 120, abs=0.6), skew


def test_motion_blur_smears_along_the_move_and_keeps_the_centre():
    n, v = 3, 8.0
    path = (np.arange(n + 1) * v, np.zeros(n + 1), np.ones(n + 1), np.zeros(n + 1))
    sharp = optics.expose(_bar_scene(), path, n, 160, 120)
    blurred = optics.expose(_bar_scene(), path, n, 160, 120, optics.Shutter(exposure=1.0, samples=8))
    width = lambda f: float((f[0, 60] > 0.05).sum())  # noqa: E731
    assert width(blurred[1]) >= width(sharp[1]) + 5  # smeared over about v pixels
    assert _bar_x(blurred[1], slice(None)) == pytest.approx(_bar_x(sharp[1], slice(None)), abs=0.5)
    assert (blurred[1, 0, :, 80] - blurred[1, 0, 60, 80]).abs().max() < 1e-4  # nothing smeared vertically


def test_parallax_a_nearer_layer_moves_depth_times_as_far():
    n, v, depth = 3, 5.0, 2.5
    background = torch.zeros(3, 300, 400)
    background[:, 140:160, 190:210] = torch.tensor([1.0, 0, 0])[:, None, None]  # red square: far
    rgb, alpha = torch.zeros(3, 300, 400), torch.zeros(1, 300, 400)
    rgb[1], alpha[:, 100:120, 220:240] = 1.0, 1.0  # green square: near
    path = (np.arange(n + 1) * v, np.zeros(n + 1), np.ones(n + 1), np.zeros(n + 1))
    frames = optics.expose(background, path, n, 160, 120, layers=(optics.Layer(rgb, alpha, depth),))

    def x_of(channel, f):
        m = f[channel] > 0.5
        return float(torch.nonzero(m)[:, 1].float().mean())

    far = x_of(0, frames[-1]) - x_of(0, frames[0])
    near = x_of(1, frames[-1]) - x_of(1, frames[0])
    assert far == pytest.approx(-v * (n - 1), abs=0.6)
    assert near == pytest.approx(depth * far, abs=1.0)


@pytest.mark.parametrize("label", camera.LABELS)
def test_labels_hold_with_parallax_rolling_shutter_and_blur(label):
    """The measured global motion of a rendered clip with every optical effect on has the label's direction."""
    rng = np.random.default_rng(11)
    n, fps, w, h = 10, 10.0, 192, 128
    cx, cy, s, th = camera.camera_path(label, rng, n + 1, fps, w, h, camera.VISIBLE_SPEEDS)
    H, W = 3 * h * 2, 3 * w * 2
    scene = F.interpolate(photo("chelsea")[None], size=(H, W), mode="bilinear", align_corners=False)[0]
    layer = optics.Layer(*cutout(np.random.default_rng(2), H, W, w * s[0], h * s[0]), depth=1.5)
    frames = _uint8(
        optics.expose(
            scene, (cx, cy, s, th), n, w, h, optics.Shutter(readout=0.5, exposure=0.5), (layer,), supersample=2
        )
    )
    m = [global_motion(frames[i], frames[i + 1], width=192) for i in range(n - 1)]
    dx, dy = sum(x.dx for x in m), sum(x.dy for x in m)
    zoom, roll = sum(x.zoom for x in m), sum(x.roll for x in m)
    expect = {
        "pan_left": dx > 0.02,
        "pan_right": dx < -0.02,
        "tilt_up": dy > 0.02,
        "tilt_down": dy < -0.02,
        "zoom_in": zoom > 0.02,
        "zoom_out": zoom < -0.02,
        "roll_clockwise": roll < -0.02,
        "roll_counterclockwise": roll > 0.02,
        "static": max(abs(dx), abs(dy), abs(zoom), abs(roll)) < 0.005,
    }
    assert expect[label], (label, dx, dy, zoom, roll)


def test_global_motion_recovers_known_moves():
    scene = photo("astronaut")

    def pair(cx, cy, s, th):
        return _uint8(
            camera.render(scene, np.array(cx), np.array(cy), np.array(s), np.array(th), 320, 180, supersample=1)
        )

    f = pair([0, 6], [0, 0], [1, 1], [0, 0])
    assert global_motion(f[0], f[1]).dx == pytest.approx(-6 / 320, abs=1e-3)
    f = pair([0, 0], [0, -4], [1, 1], [0, 0])
    assert global_motion(f[0], f[1]).dy == pytest.approx(4 / 320, abs=1e-3)
    f = pair([0, 0], [0, 0], [1, 0.98], [0, 0])
    assert global_motion(f[0], f[1]).zoom == pytest.approx(0.02, abs=3e-3)
    f = pair([0, 0], [0, 0], [1, 1], [0, 0.02])
    assert global_motion(f[0], f[1]).roll == pytest.approx(-0.02, abs=3e-3)


def test_global_motion_ignores_a_person_walking_through_a_static_shot():
    scene = photo("coffee")
    frames = _uint8(camera.render(scene, np.zeros(2), np.zeros(2), np.ones(2), np.zeros(2), 320, 192, 1))
    walker = frames.copy()
    walker[0, 40:160, 100:140] = 30
    walker[1, 40:160, 112:152] = 30  # 12 px to the right
    m = global_motion(walker[0], walker[1])
    assert max(abs(m.dx), abs(m.dy), abs(m.zoom), abs(m.roll)) < 2e-3 and m.agreement < 1


def test_speed_ranges_reach_slow_drifts_and_fast_whips():
    """Training draws slower and (for pans) faster moves than the ranges anyone can see."""
    for kind, (lo, hi) in camera.SPEEDS.items():
        vlo, vhi = camera.VISIBLE_SPEEDS[kind]
        assert lo < vlo and hi >= vhi, kind
    assert camera.SPEEDS["pan"][1] >= 1.5 and camera.SPEEDS["zoom"][0] <= 0.03
