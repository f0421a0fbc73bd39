"""Captioned clips for video-language training: captions composed from independent facts, so zero-shot can be
told apart from memorisation.

Each clip has four facts: an object's shape (circle / square / triangle) and colour (red / green / blue / yellow /
white), how it moves on screen (left / right / up / down / still) and what the camera does (the nine moves of the
camera-motion testbed, over real photos and procedural textures). A caption is written from the facts in one of
several phrasings per fact and one of several sentence templates; each clip gets three: the whole scene, the
object alone, the camera alone.

Held out of training, and used only in the test split: whole combinations (`HELD_OUT`: no blue triangle ever
moves up in training) and the last phrasing of every fact (`phrasings(fact, split)`). A model that matches "a blue
triangle moving up" to the right clips has composed what it learnt, not recalled a caption.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from . import camera, optics
from .content import world
from .shapes import shape_mask

SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (0.9, 0.12, 0.1),
    "green": (0.1, 0.75, 0.2),
    "blue": (0.15, 0.3, 0.95),
    "yellow": (0.95, 0.88, 0.1),
    "white": (0.97, 0.97, 0.97),
}
MOTIONS = ("left", "right", "up", "down", "still")
CAMERAS = camera.LABELS
# (shape, colour, motion) never seen in training
HELD_OUT = (
    ("triangle", "blue", "up"),
    ("circle", "yellow", "left"),
    ("square", "red", "down"),
    ("circle", "green", "still"),
    ("triangle", "white", "right"),
    ("square", "blue", "left"),
)
MOTION_WORDS = {
    "left": ("moving left", "going to the left", "sliding left", "heading leftwards"),
    "right": ("moving right", "going to the right", "sliding right", "heading rightwards"),
    "up": ("moving up", "going upwards", "rising", "heading up"),
    "down": ("moving down", "going downwards", "falling", "heading down"),
    "still": ("standing still", "not moving", "staying in place", "at rest"),
}
CAMERA_WORDS = {
    "static": ("a static shot", "the camera does not move", "a fixed camera", "a locked-off shot"),
    "pan_left": ("the camera pans left", "panning to the left", "a pan to the left", "the camera swings left"),
    "pan_right": ("the camera pans right", "panning to the right", "a pan to the right", "the camera swings right"),
    "tilt_up": ("the camera tilts up", "tilting upwards", "a tilt up", "the camera looks up"),
    "tilt_down": ("the camera tilts down", "tilting downwards", "a tilt down", "the camera looks down"),
    "zoom_in": ("the camera zooms in", "zooming in", "a zoom in", "the camera pushes in"),
    "zoom_out": ("the camera zooms out", "zooming out", "a zoom out", "the camera pulls back"),
    "roll_clockwise": ("the camera rolls clockwise", "rolling clockwise", "a clockwise roll",
                       "the picture turns clockwise"),
    "roll_counterclockwise": ("the camera rolls counterclockwise", "rolling counterclockwise",
                              "a counterclockwise roll", "the picture turns anticlockwise"),
}  # fmt: skip
ARTICLES = ("a", "the", "one")
TEMPLATES = ("{object} {motion}, {camera}", "{camera}, {object} {motion}", "{camera} with {object} {motion}")
SIZE, FRAMES, FPS = 64, 16, 8.0


@dataclass(frozen=True)
class Facts:
    shape: str
    colour: str
    motion: str
    camera: str

    @property
    def held_out(self) -> bool:
        return (self.shape, self.colour, self.motion) in HELD_OUT

    def to_json(self) -> dict:
        return asdict(self)


def all_facts() -> list[Facts]:
    return [Facts(*f) for f in itertools.product(SHAPES, COLOURS, MOTIONS, CAMERAS)]


def phrasings(words: tuple[str, ...], split: str) -> tuple[str, ...]:
    """The phrasings a split may use: training never sees the last one of each fact; test sees only it."""
    return words[-1:] if split == "test" else words[:-1]


def object_phrase(f: Facts, rng: np.random.Generator) -> str:
    return f"{ARTICLES[rng.integers(len(ARTICLES))]} {f.colour} {f.shape}"


def captions(f: Facts, split: str, rng: np.random.Generator) -> list[str]:
    """Three captions of a clip: the whole scene, the object and its motion, the camera alone."""
    motion = phrasings(MOTION_WORDS[f.motion], split)
    cam = phrasings(CAMERA_WORDS[f.camera], split)
    m, c = motion[rng.integers(len(motion))], cam[rng.integers(len(cam))]
    whole = TEMPLATES[rng.integers(len(TEMPLATES))].format(object=object_phrase(f, rng), motion=m, camera=c)
    return [whole, f"{object_phrase(f, rng)} {m}", c]


def canonical_caption(f: Facts, parts: str = "all", phrasing: int = -1) -> str:
    """The caption zero-shot evaluation scores a clip against: every fact (`all`), the object and its motion
    (`object`), or the camera (`camera`); in the test split's phrasing (-1, never in training) or another."""
    m, c = MOTION_WORDS[f.motion][phrasing], CAMERA_WORDS[f.camera][phrasing]
    obj = f"a {f.colour} {f.shape} {m}"
    return {"all": f"{obj}, {c}", "object": obj, "camera": c}[parts]


def draw_facts(rng: np.random.Generator, split: str) -> Facts:
    """Facts drawn uniformly; training and validation redraw held-out combinations; half of the test clips show a
    held-out combination (the zero-shot set), the other half any combination."""
    if split == "test" and rng.random() < 0.5:
        shape, colour, motion = HELD_OUT[rng.integers(len(HELD_OUT))]
        return Facts(shape, colour, motion, CAMERAS[rng.integers(len(CAMERAS))])
    while True:
        f = Facts(
            SHAPES[rng.integers(len(SHAPES))],
            tuple(COLOURS)[rng.integers(len(COLOURS))],
            MOTIONS[rng.integers(len(MOTIONS))],
            CAMERAS[rng.integers(len(CAMERAS))],
        )
        if split == "test" or not f.held_out:
            return f


def make_clip(f: Facts, rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    """-> (frames uint8 (n, 64, 64, 3), fps, crf): the camera's move over a scene, the object drawn on screen."""
    n, w = FRAMES, SIZE
    cx, cy, s, th = camera.camera_path(f.camera, rng, n, FPS, w, w, camera.VISIBLE_SPEEDS)
    big = int(w * s[0] * rng.uniform(1.5, 2.5))
    scene = world(rng, big, big, shapes=False)
    frames = optics.expose(scene, (cx, cy, s, th), n, w, w, supersample=2 if s.max() > 1.25 else 1)
    r = rng.uniform(6.0, 10.0)
    speed = rng.uniform(1.2, 2.2)  # px per frame: 0.3-0.55 of the frame over the clip
    vx, vy = {"left": (-speed, 0), "right": (speed, 0), "up": (0, -speed), "down": (0, speed), "still": (0, 0)}[
        f.motion
    ]
    room = r + 2 + abs(vx) * n, r + 2 + abs(vy) * n  # start so that the whole path stays in the frame
    x0 = rng.uniform(r + 2, w - room[0]) if vx >= 0 else rng.uniform(room[0], w - r - 2)
    y0 = rng.uniform(r + 2, w - room[1]) if vy >= 0 else rng.uniform(room[1], w - r - 2)
    angle = rng.uniform(0, 2 * math.pi) if f.shape != "circle" else 0.0
    colour = torch.tensor(COLOURS[f.colour]) + torch.from_numpy(rng.uniform(-0.05, 0.05, 3).astype(np.float32))
    kind = {"circle": "disc"}.get(f.shape, f.shape)
    for i in range(n):
        x, y = x0 + vx * i, y0 + vy * i
        edge = shape_mask(kind, x, y, r + 1.5, angle, w, ss=2)  # a dark rim: the object stands out on any scene
        body = shape_mask(kind, x, y, r, angle, w, ss=2)
        frames[i] = frames[i] * (1 - edge) + 0.05 * edge
        frames[i] = frames[i] * (1 - body) + colour.clamp(0, 1)[:, None, None] * body
    frames = frames + torch.from_numpy(rng.normal(0, rng.uniform(0.0, 0.02), frames.shape).astype(np.float32))
    crf = int(rng.integers(18, 30))
    return (frames.clamp(0, 1).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy(), FPS, crf
