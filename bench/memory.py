"""Peak resident memory of `tubelet tag` on a long high-resolution file: 300 frames of 1080p (1.9 GB as RGB).

The file is encoded here with PyAV (H.264, ultrafast); the command runs in a fresh process with the bundled
model and its own window, and reports VmHWM (the process's own peak; ru_maxrss would include the parent's).
Writes docs/benchmarks/memory.json.
Run: .venv/bin/python -m bench.memory [--out docs/benchmarks/memory.json]"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from tubelet.atomic import atomic_write_text
from tubelet.checkpoints.bundled import bundled_model_path

ROOT = Path(__file__).resolve().parent.parent
PEAK = (
    "import re, sys; from tubelet.cli import main; rc = main(sys.argv[1:]); "
    "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1); "
    "print('VMHWM_KB', hwm, file=sys.stderr); sys.exit(rc)"
)


def encode(path: Path, frames: int = 300, w: int = 1920, h: int = 1080, fps: int = 30) -> None:
    """A moving gradient with noise: cheap to make, not trivially compressible."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
        for i in range(frames):
            img = (x + i * 4 + rng.integers(0, 24, (h, 1, 3))) % 256
            frame = av.VideoFrame.from_ndarray(np.broadcast_to(img, (h, w, 3)).astype(np.uint8), format="rgb24")
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def peak_mib(args: list[str]) -> float:
    r = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True, check=True)
    kb = next(line.split()[1] for line in r.stderr.splitlines() if line.startswith("VMHWM_KB"))
    return int(kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "memory.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "hd.mp4"
        encode(video)
        with av.open(str(video)) as c:
            s = c.streams.video[0]
            frames, w, h = s.frames, s.codec_context.width, s.codec_context.height
        report = {
            "file": {"frames": frames, "width": w, "height": h, "rgb_gb": frames * w * h * 3 / 1e9},
            "command": "tubelet tag hd.mp4 --format json -o out.json (the bundled model, its own window)",
            "tag_peak_mib": peak_mib(["tag", str(video), "--format", "json", "-o", str(Path(tmp) / "o.json"), "-q"]),
            # the same process with the model loaded and nothing decoded: what torch and the model cost alone
            "info_peak_mib": peak_mib(["info", str(bundled_model_path())]),
        }
    atomic_write_text(Path(args.out), json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
