"""`tubelet serve` in a child process on a free loopback port, ready when this returns: for scripts, notebooks,
the load benchmark, the screenshots and the tests (each talks to a real server over HTTP)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db, *, timeout: float = 60.0, stderr=subprocess.DEVNULL):
    """Start `tubelet serve --db DB`, wait until it answers, yield (base URL, process), stop it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tubelet", "serve", "--db", str(db), "--port", str(port)], stderr=stderr, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(base + "/api/labels", timeout=2).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"tubelet serve did not start on {base}") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
