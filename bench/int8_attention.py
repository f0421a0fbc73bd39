"""Could int8 speed up attention on this CPU? One VideoMAE-B layer's attention (12 heads, 1,568 tokens, head
width 64) three ways, in interleaved rounds: fused fp32 SDPA; fp32 with the score matrix materialized; and
int8 through fbgemm's quantized linear (the only fast int8 matmul torch has on AVX2 CPUs), with K and then V
packed as per-row int8 "weights" per head and the softmax in fp32 between them.

The answer on a 2-core AVX2 EPYC: no. Materializing the 1,568 x 1,568 scores and their softmax alone costs
more than the whole fused SDPA, before any int8 matmul. Run: .venv/bin/python -m bench.int8_attention
"""

from __future__ import annotations

import statistics
import time
import warnings

import torch
import torch.nn.functional as F

HEADS, TOKENS, WIDTH = 12, 1568, 64


def _packed(rows: torch.Tensor):
    """(out, in) fp32 -> fbgemm packed int8 weight, one symmetric scale per row."""
    scale = rows.abs().amax(1).clamp_min(1e-8) / 127
    q = torch.quantize_per_channel(rows, scale.double(), torch.zeros(len(rows), dtype=torch.long), 0, torch.qint8)
    return torch.ops.quantized.linear_prepack(q, None)


def int8_attention(q, k, v):
    out = []
    for h in range(len(q)):
        scores = torch.ops.quantized.linear_dynamic(q[h] * WIDTH**-0.5, _packed(k[h]), False)
        probs = scores.softmax(-1)
        out.append(torch.ops.quantized.linear_dynamic(probs, _packed(v[h].T.contiguous()), False))
    return torch.stack(out)


def main(rounds: int = 5):
    warnings.simplefilter("ignore")  # torch's quantized tensors announce their deprecation
    torch.manual_seed(0)
    q, k, v = (torch.randn(HEADS, TOKENS, WIDTH) for _ in range(3))
    runners = {
        "fp32 fused SDPA": lambda: F.scaled_dot_product_attention(q[None], k[None], v[None])[0],
        "fp32 materialized": lambda: (q @ k.transpose(1, 2) * WIDTH**-0.5).softmax(-1) @ v,
        "int8 fbgemm (materialized)": lambda: int8_attention(q, k, v),
        "  of which: scores + softmax only": lambda: (q @ k.transpose(1, 2) * WIDTH**-0.5).softmax(-1),
    }
    times = {name: [] for name in runners}
    with torch.inference_mode():
        ref = runners["fp32 fused SDPA"]()
        for _ in range(rounds):
            for name, fn in runners.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        cos = F.cosine_similarity(int8_attention(q, k, v).flatten(), ref.flatten(), 0).item()
    base = statistics.median(times["fp32 fused SDPA"])
    print(
        f"one VideoMAE-B attention layer ({HEADS} heads x {TOKENS} tokens x {WIDTH}), {torch.get_num_threads()} threads"
    )
    for name, ts in times.items():
        print(f"{name:<36} {statistics.median(ts):7.3f} s   {statistics.median(ts) / base:5.2f}x SDPA's time")
    print(f"int8 output cosine vs fp32: {cos:.5f}")


if __name__ == "__main__":
    main()
