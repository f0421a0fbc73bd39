"""Make clips in worker processes with a progress bar: what every `tubelet synth` dataset shares."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable


def make_all(make_one: Callable, jobs: list, total: int, desc: str, workers: int | None, progress: bool | None):
    """Run `make_one(job)` for every job (each writes one clip), `total - len(jobs)` of the total already done."""
    from tqdm import tqdm

    bar = tqdm(total=total, initial=total - len(jobs), unit="clip", desc=desc,
               disable=(not progress) if progress is not None else None)  # fmt: skip
    workers = workers or min(4, os.cpu_count() or 1)
    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: a forked child inherits every lock another thread of this process held at that moment
        # (torch's, transformers', a logging handler's) and can wait on one forever
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for _ in pool.map(make_one, jobs, chunksize=4):
                bar.update()
    else:
        for job in jobs:
            make_one(job)
            bar.update()
    bar.close()
