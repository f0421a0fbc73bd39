"""`tubelet tag` as people use it: formats, many files, progress, resume after Ctrl-C, the HTML page in Chromium."""

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import chromium_path, run_cli
from videos import BIKES, BUNNY, CARPHONE, write_video


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from tiny_model import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def tag(model_dir, *args):
    r = run_cli("tag", "--model", model_dir, *args)
    assert r.returncode == 0, r.stderr
    return r


def test_table_shows_labels_and_timeline(model_dir):
    out = tag(model_dir, BIKES, "--window", "2").stdout
    assert "bikes.mp4" in out and "9 windows" in out and "timeline:" in out
    assert re.search(r"00:00:00\.000 - 00:00:\d\d\.\d{3}", out)


def test_json_document(model_dir, tmp_path):
    tag(
        model_dir,
        BIKES,
        "--window",
        "2",
        "--stride",
        "1",
        "--top-k",
        "3",
        "--format",
        "json",
        "-o",
        tmp_path / "r.json",
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    assert set(doc) == {"file", "duration", "model", "labels", "windows", "segments"}
    assert doc["file"] == str(BIKES) and doc["duration"] == 10.0 and len(doc["windows"]) == 9
    assert all(isinstance(x["score"], float) and set(x) == {"label", "score"} for x in doc["labels"])
    assert len(doc["labels"]) == 3
    assert doc["windows"][3]["start"] == 3.0 and doc["windows"][3]["end"] == 5.0
    assert len(doc["windows"][3]["labels"]) == 3
    assert doc["segments"][0]["start"] == 0.0 and doc["segments"][-1]["end"] == 10.0
    assert all(set(s) == {"start", "end", "label", "score"} for s in doc["segments"])


def test_csv_rows_per_window_and_label(model_dir):
    out = tag(model_dir, BIKES, "--window", "5", "--top-k", "2", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 * 2 and rows[0].keys() == {"file", "start", "end", "rank", "label", "score"}
    assert [r["rank"] for r in rows[:2]] == ["1", "2"] and float(rows[-1]["end"]) == 10.0


def test_srt_and_vtt_subtitles(model_dir, tmp_path):
    srt = tag(model_dir, BIKES, "--window", "1", "--format", "srt").stdout
    cues = srt.strip().split("\n\n")
    assert cues[0].splitlines()[0] == "1"
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", c.splitlines()[1]) for c in cues)
    vtt = tag(model_dir, BIKES, "--window", "1", "--format", "vtt").stdout
    assert vtt.startswith("WEBVTT\n\n") and re.search(r"\d\d:\d\d:\d\d\.\d{3} --> ", vtt)
    # several inputs: one subtitle file per video in the -o folder
    tag(model_dir, BIKES, CARPHONE, "--window", "1", "--format", "vtt", "-o", tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.vtt")) == ["bikes.vtt", "carphone_pristine.vtt"]


def test_min_score_drops_weak_segments(model_dir):
    every = json.loads(tag(model_dir, BIKES, "--window", "1", "--format", "json").stdout)["segments"]
    strict = tag(model_dir, BIKES, "--window", "1", "--format", "json", "--min-score", "1.0")
    none = json.loads(strict.stdout)["segments"]
    assert every and none == []


def test_plot_png(model_dir, tmp_path):
    tag(model_dir, BUNNY, "--window", "1", "--plot", tmp_path / "t.png", "-q")
    data = (tmp_path / "t.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_batch_streams_jsonl_skips_a_bad_file_and_reports_it(model_dir, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(BIKES, folder / "a.mp4")
    write_video(folder / "b.webm", n=30, codec="libvpx-vp9")
    (folder / "broken.mp4").write_bytes(b"\x00" * 1000)
    other = tmp_path / "more"
    other.mkdir()
    shutil.copy(CARPHONE, other / "c.mkv")
    r = run_cli("tag", "--model", model_dir, folder, str(other / "*.mkv"), "--window", "2", "--format", "jsonl")
    assert r.returncode == 1
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [os.path.basename(d["file"]) for d in docs] == ["a.mp4", "b.webm", "c.mkv"]
    assert "Traceback" not in r.stderr
    assert "3 of 4 inputs tagged, 1 failed" in r.stderr and "broken.mp4" in r.stderr.splitlines()[-1]


def test_progress_bar_shows_files_windows_rate_and_eta(model_dir):
    r = run_cli("tag", "--model", model_dir, BIKES, CARPHONE, "--window", "1", "--progress", "--format", "jsonl")
    assert r.returncode == 0
    assert "file 2/2" in r.stderr and "window/s" in r.stderr and re.search(r"\d\d:\d\d<\d\d:\d\d", r.stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_finished_files_and_resume_finishes(model_dir, tmp_path, sig):
    inputs = []
    for i in range(12):  # many files, so the run is still going when the interrupt lands (the model is tiny)
        inputs.append(shutil.copy(BUNNY, tmp_path / f"clip{i}.mp4"))
    out = tmp_path / "tags.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "tubelet",
        "tag",
        "--model",
        str(model_dir),
        *map(str, inputs),
        "--window",
        "0.5",
        "--stride",
        "0.25",
        "--format",
        "jsonl",
        "-o",
        str(out),
        "--progress",
    ]
    # a job started in the background (`cmd &`, nohup) inherits SIGINT ignored, and Python then never raises
    # KeyboardInterrupt; give the child the default disposition a user's terminal gives it
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    seen = b""
    while b"file 3/12" not in seen:  # two files done: interrupt during the third
        chunk = os.read(proc.stderr.fileno(), 65536)  # whatever is there: reading lags the run as little as possible
        assert chunk, f"the run ended before it could be interrupted: {seen.decode()[-300:]}"
        seen += chunk
    proc.send_signal(sig)
    rest = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 130, rest[-300:]
    assert "interrupted after" in rest and "--resume" in rest and "Traceback" not in rest
    done = [json.loads(line)["file"] for line in out.read_text().splitlines()]
    assert 2 <= len(done) < 12 and not list(tmp_path.glob(".tags.jsonl*"))
    r = run_cli(
        "tag",
        "--model",
        model_dir,
        *inputs,
        "--window",
        "0.5",
        "--stride",
        "0.25",
        "--format",
        "jsonl",
        "-o",
        out,
        "--resume",
    )
    assert r.returncode == 0, r.stderr
    files = [json.loads(line)["file"] for line in out.read_text().splitlines()]
    assert sorted(files) == sorted(map(str, inputs)) and files[: len(done)] == done


def test_html_page_in_headless_chromium(model_dir, tmp_path):
    """Load the page in a real browser: the video resolves by relative path, the plot and segments are
    there, clicking a segment seeks the video. Leaves a screenshot beside the page."""
    from playwright.sync_api import sync_playwright

    browser_path = chromium_path()
    media = tmp_path / "media"
    media.mkdir()
    video = shutil.copy(BIKES, media / "bikes clip.mp4")
    report = tmp_path / "reports" / "bikes.html"
    report.parent.mkdir()
    tag(model_dir, video, "--window", "1", "--stride", "0.5", "--format", "html", "-o", report)
    doc = json.loads(tag(model_dir, video, "--window", "1", "--stride", "0.5", "--format", "json").stdout)
    html = report.read_text()
    assert 'src="../media/bikes%20clip.mp4"' in html and "<script src" not in html and "http" not in html
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_function("document.getElementById('video').readyState >= 1", timeout=20_000)
        assert page.evaluate("document.getElementById('video').duration") == pytest.approx(10.0, abs=0.05)
        rows = page.locator("tr[data-start]")
        assert rows.count() == len(doc["segments"])
        assert page.locator("#plot polyline").count() == len(doc["labels"])
        target = doc["segments"][-1]["start"]
        rows.nth(rows.count() - 1).click()
        page.wait_for_function(f"Math.abs(document.getElementById('video').currentTime - {target}) < 0.3")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # the segment table fits
        shot = tmp_path / "reports" / "bikes.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape[1] == 1280 and img.std() > 20  # a rendered page, not a blank one


def test_html_report_fits_a_1280_window_even_with_long_labels(tmp_path):
    """Labels as long as a sentence, many segments and a long file name: the page still has no horizontal scroll."""
    from playwright.sync_api import sync_playwright
    from tiny_model import tiny_model

    from tubelet import save_pretrained

    model = tiny_model()
    long = {
        i: f"{name}_of_the_camera_that_slowly_drifts_across_the_whole_scene_{i}"
        for i, name in model.config.id2label.items()
    }
    model.config.id2label = long
    save_pretrained(model, tmp_path / "long", format="tubelet")
    video = shutil.copy(BIKES, tmp_path / ("a_rather_long_file_name_" * 4 + ".mp4"))
    report = tmp_path / "report.html"
    r = run_cli(
        "tag",
        video,
        "--model",
        tmp_path / "long",
        "--window",
        "0.5",
        "--stride",
        "0.25",
        "--shots",
        "--min-duration",
        "0",
        "--format",
        "html",
        "-o",
        report,
        "-q",
    )
    assert r.returncode == 0, r.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("tr[data-start]").count() > 3
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.close()
