"""Decoding in N worker processes (`index --workers N`): each takes whole files and sends back the decoder's
messages, window frames as numpy (a torch tensor would be shared through the worker's file descriptors, gone once
it exits); the queue back is bounded, so decoding waits for the models."""

from __future__ import annotations

import multiprocessing as mp
import queue
from dataclasses import replace
from typing import Iterator, Sequence

from .decoder import Decoder
from .messages import DecodeMessage, WindowFrames


def _worker(decoder: Decoder, tasks, results):
    import torch

    torch.set_num_threads(1)
    while (task := tasks.get()) is not None:
        for message in decoder.decode(*task):
            if isinstance(message, WindowFrames):
                message = replace(message, frames=message.frames.numpy())
            results.put(message)


def in_workers(decoder: Decoder, paths: Sequence[str], workers: int) -> Iterator[DecodeMessage]:
    ctx = mp.get_context("spawn")
    tasks, results = ctx.Queue(), ctx.Queue(maxsize=8 * workers)
    procs = [ctx.Process(target=_worker, args=(decoder, tasks, results), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    for i, path in enumerate(paths):
        tasks.put((i, path))
    for _ in procs:
        tasks.put(None)
    finished = 0
    try:
        while finished < len(paths):
            try:
                message = results.get(timeout=5)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    raise RuntimeError("every decode worker died") from None
                continue
            finished += not isinstance(message, WindowFrames)
            yield message
    finally:
        for p in procs:
            p.terminate()
            p.join(timeout=5)
