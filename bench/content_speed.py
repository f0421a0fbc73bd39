"""The content model's image tower against ONNX Runtime on the same weights and input: frames per second on this
CPU, in one run, interleaved rounds, medians.

Four runners over the same batch of 224 px frames: ONNX Runtime (the as-trained tower exported to ONNX, CPU
provider, the same thread count, its default settings), tubelet's inference copy (what `tag` and `index` run:
batch norms folded, channels-last, stride-2 padding as a shifted kernel, conv + ReLU6 / + residual as one oneDNN
call), the same copy with those last fusions off (separate activation and add passes), and the tower as trained
(eager PyTorch). Outputs are checked equal first.
Needs onnxruntime, onnx and onnxscript (bench only: `pip install onnxruntime onnx onnxscript`).
Writes docs/content-speed/content-speed.md and .json.
Run: .venv/bin/python -m bench.content_speed [--batch 8] [--rounds 15] [--threads 2]"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from tubelet import load_model
from tubelet.atomic import atomic_write_text
from tubelet.lab.measure import hardware
from tubelet.lab.reports import report_dir
from tubelet.modeling.efficientnet import ConvBN
from tubelet.tag.precision import inference_copy

ROOT = Path(__file__).resolve().parent.parent


def runners(batch: int, threads: int, tmp: str):
    import onnxruntime as ort

    model = load_model("imagenet")
    tower, fast = model.tower.eval(), inference_copy(model).tower
    unfused = copy.deepcopy(fast)
    for m in unfused.modules():
        if isinstance(m, ConvBN):
            m.fused = False
    x = torch.randn(batch, 3, 224, 224)
    path = f"{tmp}/tower.onnx"
    torch.onnx.export(tower, (x,), path, input_names=["x"], output_names=["logits"], dynamo=False, opset_version=17)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    xn = x.numpy()

    def eager(m):
        def run():
            with torch.inference_mode():
                return m(x)

        return run

    out = {"onnxruntime": lambda: torch.from_numpy(session.run(None, {"x": xn})[0])}
    out["tubelet (inference copy)"] = eager(fast)
    out["tubelet (inference copy, activation and add unfused)"] = eager(unfused)
    out["tubelet (as trained)"] = eager(tower)
    return out, ort.__version__


def run(batch: int = 8, rounds: int = 15, threads: int = 2) -> dict:
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        fns, ort_version = runners(batch, threads, tmp)
        ref = fns["tubelet (as trained)"]()
        diffs = {k: float((f() - ref).abs().max()) for k, f in fns.items()}
        times = {k: [] for k in fns}
        for _ in range(rounds):  # interleaved: a drifting machine biases no runner
            for k, f in fns.items():
                time.sleep(0.2)  # ORT's threads spin-wait after a run (its default, kept): let them go idle first
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
    fps = {k: batch / statistics.median(v) for k, v in times.items()}
    return {
        "machine": hardware("cpu"),
        "onnxruntime": ort_version,
        "torch": torch.__version__,
        "batch": batch,
        "threads": threads,
        "rounds": rounds,
        "frames_per_s": fps,
        "max_abs_diff_vs_as_trained": diffs,
        "inference_copy_vs_onnxruntime": fps["tubelet (inference copy)"] / fps["onnxruntime"],
    }


def markdown(r: dict) -> str:
    lines = [
        "# The content model's image tower against ONNX Runtime (`bench/content_speed.py`)",
        "",
        f"Measured on {r['machine']}; torch {r['torch']}, onnxruntime {r['onnxruntime']}, {r['threads']} threads, "
        f"batches of {r['batch']} frames of 224 px, median of {r['rounds']} interleaved rounds.",
        "ONNX Runtime runs with its default settings; its threads spin-wait after a run, so every timed call starts "
        "after a 0.2 s pause and no runner pays for another's spinning.",
        "",
        "| runner | frames / s | vs ONNX Runtime | max abs logit diff vs as trained |",
        "|---|---|---|---|",
    ]
    base = r["frames_per_s"]["onnxruntime"]
    for k, v in r["frames_per_s"].items():
        lines.append(f"| {k} | {v:.1f} | {v / base:.2f}x | {r['max_abs_diff_vs_as_trained'][k]:.1e} |")
    lines += ["", "Regenerate: `.venv/bin/python -m bench.content_speed`", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    r = run(args.batch, args.rounds, args.threads)
    folder = report_dir(args.out, "content-speed")
    atomic_write_text(folder / "content-speed.json", json.dumps(r, indent=2) + "\n")
    md = markdown(r)
    atomic_write_text(folder / "content-speed.md", md)
    print(md)


if __name__ == "__main__":
    main()
