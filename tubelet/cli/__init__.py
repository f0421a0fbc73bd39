"""The `tubelet` command line: one module per command group, assembled here.

    models.py    cost, info, export, parity        (what a model is and costs; checkpoints)
    tag.py       tag, demo-clip                    (tagging video files)
    library.py   index, search, library            (a library of tagged videos in SQLite)
    serve.py     serve                             (the library in a browser)
    training.py  synth, train, pretrain, eval      (data, training, evaluation)
    lab.py       experiment, bench                 (the papers' experiments, benchmarks)

Building the parser imports no torch (choices come from tubelet.constants), so `tubelet --help` is quick.
Every error is one line on stderr and a non-zero exit, never a traceback (`TUBELET_DEBUG=1` shows it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from ..constants import VERSION
from ..errors import TubeletError
from . import lab, library, models, serve, tag, text, training


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tubelet", description="Video transformers: tokens, attention costs, checkpoints.")
    p.add_argument("--version", action="version", version=f"tubelet {VERSION}")
    sub = p.add_subparsers(dest="command", required=True)
    for group in (models, tag, library, serve, training, text, lab):
        group.add_commands(sub)
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    # `kill`, `timeout`, `docker stop` send SIGTERM: stop the way Ctrl-C does (finished files kept, --resume)
    try:
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # main() called from a thread other than the main one: leave signals alone
        pass
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (TubeletError, ValueError, OSError) as e:
        print(f"tubelet {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tubelet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug or an unforeseen input: still one line; TUBELET_DEBUG=1 shows the traceback
        if os.environ.get("TUBELET_DEBUG"):
            raise
        print(f"tubelet {args.command}: error: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        return 1
