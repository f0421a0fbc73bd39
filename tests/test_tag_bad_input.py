"""Every bad input: one clear line on stderr, a non-zero exit, no traceback, no partial output file."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import run_cli
from videos import BIKES, random_bytes, truncate, unreadable, write_audio_only, write_image, write_video


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from tiny_model import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def check_fails(model_dir, tmp_path, target, message, *extra):
    out = tmp_path / "out.json"
    r = run_cli("tag", target, "--model", model_dir, "--format", "json", "-o", out, *extra)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr, r.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")]


def test_missing_path(model_dir, tmp_path):
    check_fails(model_dir, tmp_path, tmp_path / "nope.mp4", "no such file")


def test_directory_with_no_videos(model_dir, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("hi")
    check_fails(model_dir, tmp_path, tmp_path / "docs", "no video files in directory")


def test_zero_byte_file(model_dir, tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    check_fails(model_dir, tmp_path, tmp_path / "empty.mp4", "empty file (0 bytes)")


def test_truncated_file_moov_first(model_dir, tmp_path):
    full = write_video(tmp_path / "full.mp4", n=120, w=128, h=96, rate=30, container_options={"movflags": "faststart"})
    check_fails(model_dir, tmp_path, truncate(full, tmp_path / "cut.mp4", 0.5), "truncated")


def test_truncated_file_moov_last(model_dir, tmp_path):
    full = write_video(tmp_path / "full.mp4", n=60, w=128, h=96)
    check_fails(model_dir, tmp_path, truncate(full, tmp_path / "cut.mp4", 0.6), "not a video FFmpeg can read")


def test_random_bytes_named_mp4(model_dir, tmp_path):
    check_fails(model_dir, tmp_path, random_bytes(tmp_path / "noise.mp4"), "not a video FFmpeg can read")


def test_image_renamed_mp4(model_dir, tmp_path):
    check_fails(model_dir, tmp_path, write_image(tmp_path / "photo.mp4"), "a still image (png), not a video")


def test_audio_only_file(model_dir, tmp_path):
    check_fails(model_dir, tmp_path, write_audio_only(tmp_path / "song.mp4"), "no video stream (audio only)")


def test_video_with_one_frame(model_dir, tmp_path):
    check_fails(model_dir, tmp_path, write_video(tmp_path / "one.mp4", n=1), "a single frame")


def test_unreadable_permissions(model_dir, tmp_path):
    """Run as an unprivileged user when we are root (root reads anything)."""
    video = tmp_path / "locked.mp4"
    shutil.copy(BIKES, video)
    unreadable(video)
    if os.geteuid() != 0:
        check_fails(model_dir, tmp_path, video, "permission denied")
        return
    os.chmod(tmp_path, 0o777)
    shutil.copytree(model_dir, tmp_path / "model")
    os.chmod(tmp_path / "model", 0o755)
    cmd = [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        sys.executable,
        "-m",
        "tubelet",
        "tag",
        str(video),
        "--model",
        str(tmp_path / "model"),
        "-o",
        str(tmp_path / "out.json"),
        "--format",
        "json",
    ]
    parents = [p for p in [tmp_path, *tmp_path.parents] if str(p).startswith("/tmp/")]
    modes = {p: p.stat().st_mode for p in parents}
    try:
        for p in parents:
            os.chmod(p, modes[p] | 0o005)
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HOME": "/tmp"}, cwd="/tmp")
    finally:
        for p, m in modes.items():
            os.chmod(p, m)
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "permission denied" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "out.json").exists()


def test_unicode_path_works(model_dir, tmp_path):
    folder = tmp_path / "vidéos 東京"
    folder.mkdir()
    video = shutil.copy(BIKES, folder / "vélo ☀.mp4")
    r = run_cli("tag", video, "--model", model_dir, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "vélo ☀.mp4" in r.stdout


def test_output_path_in_a_missing_folder(model_dir, tmp_path):
    r = run_cli("tag", BIKES, "--model", model_dir, "-o", tmp_path / "missing" / "out.json", "--format", "json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "output folder does not exist" in r.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--window", "0"], "must be positive"),
        (["--window", "soon"], "--window takes seconds or 'file'"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_options(model_dir, args, message):
    r = run_cli("tag", BIKES, "--model", model_dir, *args)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1


def test_a_build_without_a_bundled_model_is_a_clear_error(tmp_path):
    """A package built without tubelet/models/ (the folder is absent in this process): one line, exit 2."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; import tubelet.checkpoints.bundled as b; "
        f"b.BUNDLED_DIR = Path({str(tmp_path / 'no-models')!r}); from tubelet.cli import main; "
        f"sys.exit(main(['tag', {str(BIKES)!r}]))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "pass --model" in r.stderr and r.stderr.count("\n") == 1, r.stderr
