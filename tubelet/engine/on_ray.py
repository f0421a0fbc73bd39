"""`index --ray [ADDRESS]`: whole files tagged on Ray actors, each holding an engine made from the same model specs
and settings (a GPU each when the cluster has them); only `FileTagged` / `FileFailed` come back, to the one process
that writes the SQLite database, so the incremental and exactly-once guarantees are those of a local run.

Files reach the actors by path (a filesystem every node mounts at the same place) or, with `ship`, through Ray's
object store (the driver reads each file and the actor decodes it from a temporary copy)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .messages import FileFailed, FileTagged, ModelSpec, RayOptions, RunSettings


class TaggingActor:
    """A Ray actor: the models loaded once, then whole files through `Engine.tag_file`."""

    def __init__(self, specs: Sequence[ModelSpec], settings: RunSettings, make_engine: Callable):
        import torch

        self.engine = make_engine(specs, settings, device="cuda" if torch.cuda.is_available() else "cpu")

    def tag(self, index: int, path: str, data: bytes | None) -> FileTagged | FileFailed:
        from ..video.decode import VideoError

        tmp = None
        try:
            if data is not None:  # shipped through the object store
                fd, tmp = tempfile.mkstemp(suffix=Path(path).suffix)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            out = self.engine.tag_file(tmp or path)
            out.info.path = path
            return replace(out, index=index, path=path)
        except VideoError as e:
            return FileFailed(index, path, str(e).replace(tmp, path) if tmp else str(e))
        except Exception as e:
            return FileFailed(index, path, f"{type(e).__name__}: {e}".splitlines()[0])
        finally:
            if tmp:
                os.unlink(tmp)


def on_ray(
    paths: Sequence[str], options: RayOptions, settings: RunSettings, make_engine: Callable
) -> Iterator[FileTagged | FileFailed]:
    """`make_engine(specs, settings, device)` builds each actor's engine (Engine.load, passed in so this module
    needs nothing from engine.py)."""
    import ray
    from ray.util import ActorPool

    started = not ray.is_initialized()
    if started:
        ray.init(address=options.address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    count = options.actors or (gpus or max(1, int(resources.get("CPU", 1))))
    remote = ray.remote(num_cpus=1, num_gpus=1 if gpus else 0)(TaggingActor)
    pool = ActorPool([remote.remote(options.specs, settings, make_engine) for _ in range(count)])

    def submit(actor, task):
        index, path = task
        data = Path(path).read_bytes() if options.ship and os.path.exists(path) else None
        return actor.tag.remote(index, path, data)

    try:
        yield from pool.map_unordered(submit, list(enumerate(paths)))
    finally:
        if started:
            ray.shutdown()
