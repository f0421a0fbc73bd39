"""Every synthetic testbed `tubelet synth` makes, as entries of one registry: a name, its labels, the clip maker
(label, rng) -> (frames, fps, crf), and the label symmetries its dataset.json declares. Variants of a scene are
entries with other arguments to the same maker, not modules of their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from ..constants import SYNTH_TASKS
from . import camera, order, shapes

ClipMaker = Callable[[str, np.random.Generator], tuple[np.ndarray, float, int]]


@dataclass(frozen=True)
class Testbed:
    name: str
    labels: tuple[str, ...]
    make_clip: ClipMaker
    symmetries: dict[str, dict[str, str]] = field(default_factory=dict)
    about: str = ""


TESTBEDS = {
    t.name: t
    for t in (
        Testbed(
            "camera-motion",
            camera.LABELS,
            camera.make_clip,
            camera.SYMMETRIES,
            "camera moves over real photos (the bundled model's task)",
        ),
        Testbed("temporal-order", order.LABELS, order.make_clip, {}, "which way time runs: the order of events"),
        Testbed(
            "moving-shapes",
            shapes.LABELS,
            shapes.make_clip,
            shapes.SYMMETRIES,
            "which shape moves and how, fixed camera (the VideoMAE testbed)",
        ),
        Testbed(
            "moving-shapes-pan",
            shapes.LABELS,
            partial(shapes.make_clip, pan=True),
            shapes.SYMMETRIES,
            "moving shapes under a camera drifting 3-8 px per clip: a copy from the neighbouring frame is no longer "
            "the right answer for a hidden patch",
        ),
        Testbed(
            "moving-shapes-start-stop",
            shapes.LABELS,
            partial(shapes.make_clip, active=(3, 6)),
            shapes.SYMMETRIES,
            "the mover moves during 3-6 of the 7 frame steps, starting and stopping at random frames",
        ),
        Testbed(
            "moving-shapes-brief",
            shapes.LABELS,
            partial(shapes.make_clip, active=(2, 4)),
            shapes.SYMMETRIES,
            "the mover moves during only 2-4 of the 7 frame steps",
        ),
    )
}
assert tuple(TESTBEDS) == SYNTH_TASKS, "constants.SYNTH_TASKS lists the testbeds the command line offers"
# the start-stop doses, by testbed (tests check the rendered motion against them)
ACTIVE_STEPS = {
    name: TESTBEDS[name].make_clip.keywords["active"] for name in ("moving-shapes-start-stop", "moving-shapes-brief")
}
