"""`tubelet index --ray [ADDRESS]`: decoding and tagging on a Ray cluster, one model per worker (a GPU each when the
cluster has them); only the window probabilities, cuts and thumbnails come back, to the one process that writes
the SQLite database, so the incremental and exactly-once guarantees are those of a local run.

Files reach the workers by path (a filesystem every node mounts at the same place) or, with `ship=True`, through
Ray's object store (the driver reads each file and the worker decodes it from a temporary copy).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..video.decode import VideoError, probe
from ..video.sampling import plan_windows


class TaggingWorker:
    """A Ray actor: the model loaded once, then whole files tagged, their windows in batches."""

    def __init__(self, model: str, precision: str, batch_size: int | None, single_view: bool):
        import torch

        from ..checkpoints.convert import load_model
        from ..tag.tagger import Tagger
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tagger = Tagger(load_model(model, device=device), precision=precision, batch_size=batch_size,
                             single_view=single_view)
        self.device = device

    def tag(self, index: int, path: str, data: bytes | None, window, stride, shots: bool):
        import torch

        from ..tag.reader import DecodedExtras
        tmp = None
        try:
            if data is not None:                    # shipped through the object store
                fd, tmp = tempfile.mkstemp(suffix=Path(path).suffix)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            local = tmp or path
            info = probe(local)
            spans = plan_windows(info.duration, None if window == "file" else window, stride)
            extras, clips, probs = DecodedExtras(), [], []
            for _, clip in self.tagger.reader.windows(local, info, spans, shots=shots, thumbnails=True, extras=extras):
                clips.append(clip)
                if len(clips) == self.tagger.batch_size:
                    probs.append(self.tagger.classify([c.to(self.device) for c in clips]).cpu())
                    clips = []
            if clips:
                probs.append(self.tagger.classify([c.to(self.device) for c in clips]).cpu())
            info.path = path
            return "tagged", index, info, spans, torch.cat(probs), extras
        except VideoError as e:
            return "error", index, str(e).replace(tmp, path) if tmp else str(e)
        except Exception as e:
            return "error", index, f"{type(e).__name__}: {e}".splitlines()[0]
        finally:
            if tmp:
                os.unlink(tmp)


def on_ray(todo: list[str], *, address: str | None, model: str, precision: str, batch_size: int | None,
           single_view: bool, window, stride, shots: bool, ship: bool = False, actors: int | None = None):
    """Messages ("tagged", i, info, spans, probs, extras) or ("error", i, message), as files finish."""
    import ray
    from ray.util import ActorPool
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    count = actors or (gpus or max(1, int(resources.get("CPU", 1))))
    remote = ray.remote(num_cpus=1, num_gpus=1 if gpus else 0)(TaggingWorker)
    pool = ActorPool([remote.remote(model, precision, batch_size, single_view) for _ in range(count)])

    def submit(actor, task):
        index, path = task
        data = Path(path).read_bytes() if ship and os.path.exists(path) else None
        return actor.tag.remote(index, path, data, window, stride, shots)
    try:
        yield from pool.map_unordered(submit, list(enumerate(todo)))
    finally:
        if started:
            ray.shutdown()
