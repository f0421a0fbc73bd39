"""Every window of the `make demo` clip, scored against the moves the camera was told to make.

A window inside one move must name that move; a window across the boundary of two moves must name one of them.
Models are compared in one run on the same clip; `--clip` scores a clip made elsewhere (say, by an older tubelet:
the moves and their times are the same, only the speeds drawn for them change with the generator).

  .venv/bin/python -m bench.demo_windows --model tubelet/models/camera-motion [--model OTHER] [--clip FILE]"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from tubelet.synth.demo import demo_clip as demo_truth
from tubelet.synth.demo import expected_labels as expected


def score(model_path: str, clip: Path, truth: list[dict], window: float | None, stride: float | None) -> dict:
    from tubelet import load_model
    from tubelet.tag.tagger import Tagger

    result = Tagger(load_model(model_path), model_path).tag(clip, window=window, stride=stride)
    rows = []
    for w in result.windows:
        ok = expected(truth, w.start, w.end)
        top = w.labels[0]
        rows.append(
            {
                "start": w.start,
                "end": w.end,
                "truth": sorted(ok),
                "predicted": top.label,
                "score": round(top.score, 3),
                "right": top.label in ok,
            }
        )
    return {"model": model_path, "windows": len(rows), "right": sum(r["right"] for r in rows), "rows": rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--clip", type=Path, help="a demo clip made elsewhere (default: make it now)")
    ap.add_argument("--window", type=float)
    ap.add_argument("--stride", type=float)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    frames, truth = demo_truth()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip
        if clip is None:
            from tubelet.synth.encode import write_mp4

            clip = write_mp4(Path(tmp) / "demo.mp4", frames, 25.0, crf=20)
        results = [score(m, clip, truth, args.window, args.stride) for m in args.model]
    for r in results:
        print(f"{r['model']}: {r['right']}/{r['windows']} windows right")
        for row in r["rows"]:
            mark = "" if row["right"] else "   <- wrong"
            print(
                f"    {row['start']:5.1f}-{row['end']:5.1f} s  {'/'.join(row['truth']):<26} "
                f"{row['predicted']:<22} {row['score']:.2f}{mark}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
