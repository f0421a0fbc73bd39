"""Video input through the real decoder: containers, codecs, bit depths, sizes, rotation, timestamps."""

import numpy as np
import pytest
from videos import BIKES, BUNNY, index_of, write_video

from tubelet.video.decode import find_videos, probe, read_frames

FORMATS = [  # (suffix, codec, pix_fmt, size, options)
    (".mp4", "libx264", "yuv420p", (64, 48), {}),
    (".mov", "libx264", "yuv444p", (64, 48), {}),
    (".mkv", "libx265", "yuv420p", (64, 48), {"x265-params": "log-level=none"}),
    (".mkv", "libx265", "yuv420p10le", (64, 48), {"x265-params": "log-level=none"}),  # 10-bit HEVC
    (".mp4", "libx264", "yuv420p10le", (64, 48), {}),  # 10-bit H.264
    (".webm", "libvpx-vp9", "yuv420p", (64, 48), {}),
    (".avi", "mpeg4", "yuv420p", (64, 48), {"qscale": "2"}),
    (".gif", "gif", "gray", (64, 48), {}),
    (".mkv", "ffv1", "gray", (61, 37), {}),  # grayscale, odd size
    (".mp4", "libx264", "gray", (64, 48), {}),
    (".mkv", "ffv1", "yuv444p", (97, 55), {}),  # odd size
]


@pytest.mark.parametrize(
    "suffix, codec, pix_fmt, size, options", FORMATS, ids=[f"{c}-{p}{s}-{w}x{h}" for s, c, p, (w, h), _ in FORMATS]
)
def test_reads_the_right_frames_from_every_format(tmp_path, suffix, codec, pix_fmt, size, options):
    w, h = size
    path = write_video(tmp_path / f"v{suffix}", n=20, w=w, h=h, rate=10, codec=codec, pix_fmt=pix_fmt, options=options)
    info = probe(path)
    assert (info.width, info.height) == (w, h)
    assert info.duration == pytest.approx(2.0, abs=0.11) and info.fps == pytest.approx(10, rel=0.01)
    times = [0.0, 0.55, 1.04, 1.95, 5.0]  # 5.0 is past the end: the last frame
    got = dict(read_frames(path, times, info))
    assert [index_of(got[i]) for i in range(len(times))] == [0, 5, 10, 19, 19]
    assert all(f.shape == (h, w, 3) and f.dtype == np.uint8 for f in got.values())


def test_rotation_metadata_is_applied(tmp_path):
    def arrow(i, w, h):  # green band on top, red left half, blue right half
        img = np.zeros((h, w, 3), np.uint8)
        img[:, : w // 2, 0], img[:, w // 2 :, 2], img[:8] = 255, 255, (0, 255, 0)
        return img

    upright = dict(read_frames(write_video(tmp_path / "up.mp4", n=4, image=arrow), [0.1]))[0]
    for degrees in (90, -90, 180):
        path = write_video(tmp_path / f"r{degrees}.mp4", n=4, image=arrow, rotation=degrees)
        info = probe(path)
        assert info.rotation % 360 == degrees % 360
        frame = dict(read_frames(path, [0.1], info))[0]
        expected = np.rot90(upright, k=degrees // 90)  # counter-clockwise, as the display matrix says
        assert frame.shape == expected.shape
        assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 6


def test_variable_frame_rate_uses_real_timestamps(tmp_path):
    times = [0.0, 0.1, 0.15, 0.2, 1.0, 1.05, 2.5, 2.6, 3.9, 4.0]
    path = write_video(tmp_path / "vfr.mkv", n=len(times), times=times, options={"bf": "0"})
    info = probe(path)
    assert info.duration == pytest.approx(4.0, abs=0.2)
    asked = [0.05, 0.17, 0.9, 1.02, 2.0, 2.55, 3.0, 4.05]
    got = dict(read_frames(path, asked, info))
    # the frame on screen at each moment: the last one whose timestamp is not after it
    assert [index_of(got[i]) for i in range(len(asked))] == [0, 2, 3, 4, 5, 6, 7, 9]


def test_converts_only_the_frames_asked_for_and_stops_early(tmp_path):
    path = write_video(tmp_path / "long.mp4", n=300, rate=30, w=96, h=64)
    info = probe(path)
    converted = []

    def convert(frame, rotation):
        converted.append(frame.time)
        return frame.time

    times = [0.2, 0.2, 0.21, 1.0, 1.5]  # 0.2 and 0.21 fall on the same frame
    got = dict(read_frames(path, times, info, convert=convert))
    assert len(got) == 5 and len(converted) == 3  # 0.2 and 0.21 share frame 6 at 30 fps: converted once
    assert max(converted) <= 1.5  # nothing past the last requested time is converted


def test_real_files_probe_and_decode():
    info = probe(BIKES)
    assert (info.width, info.height, info.fps, info.duration) == (640, 272, 25.0, 10.0)
    frames = dict(read_frames(BUNNY, [0.1, 2.6, 5.2]))
    assert frames[0].shape == (720, 1280, 3) and not np.array_equal(frames[0], frames[1])


def test_find_videos_expands_folders_and_globs(tmp_path):
    (tmp_path / "sub").mkdir()
    a = write_video(tmp_path / "a.mp4", n=3)
    b = write_video(tmp_path / "sub" / "b.mkv", n=3, codec="ffv1")
    (tmp_path / "notes.txt").write_text("x")
    paths, problems = find_videos([str(tmp_path), str(tmp_path / "*.mp4")])
    assert paths == [a, b] and problems == []
    empty = tmp_path / "empty"
    empty.mkdir()
    _, problems = find_videos([str(empty), str(tmp_path / "*.webm")])
    assert [m for _, m in problems] == [f"no video files in directory {empty}", f"no files match {tmp_path / '*.webm'}"]
