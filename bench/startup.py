"""How long the `tubelet` command takes to start, against the interpreter itself and `import torch`, in one run.

Each command runs in a fresh process, `reps` times in interleaved rounds; medians. `tubelet --help` and
`tubelet cost` need no torch (the command line and the cost calculator are torch-free; `import tubelet` loads
the public names on first use), so they should cost about what the interpreter costs.
Run: .venv/bin/python -m bench.startup [--reps 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (the floor)": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "python -c 'import tubelet'": [sys.executable, "-c", "import tubelet"],
    "tubelet --help": [sys.executable, "-m", "tubelet", "--help"],
    "tubelet cost": [sys.executable, "-m", "tubelet", "cost"],
    "tubelet info (loads torch + the bundled model)": [
        sys.executable,
        "-m",
        "tubelet",
        "info",
        "tubelet/models/camera-motion",
    ],
}


def measure(reps: int = 7) -> list[dict]:
    times = {name: [] for name in COMMANDS}
    for _ in range(reps):
        for name, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
    floor = statistics.median(times["python -c pass (the floor)"])
    return [
        {"command": name, "seconds": statistics.median(t), "vs_python": statistics.median(t) / floor}
        for name, t in times.items()
    ]


def markdown(rows: list[dict], reps: int) -> str:
    lines = [
        f"Wall time of a fresh process, median of {reps} interleaved rounds:",
        "",
        "| command | seconds | x bare interpreter |",
        "|---|---|---|",
    ]
    lines += [f"| `{r['command']}` | {r['seconds']:.3f} | {r['vs_python']:.1f}x |" for r in rows]
    return "\n".join(lines) + "\n"


def run(reps: int = 7) -> tuple[str, list[dict]]:
    rows = measure(reps)
    return markdown(rows, reps), rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    print(run(args.reps)[0])
