"""`tubelet experiment mae-cost`: what hiding 90% of the tokens saves in one VideoMAE pretraining step.

One step (forward + backward) at mask ratio 0.9, 0.75 and 0 (the encoder over every token), timed, and its
peak memory measured in a fresh process, in the same run.
"""

from __future__ import annotations

import torch

from ..modeling.masking import make_mask
from ..training.pretrain import PretrainConfig, build_videomae
from .measure import hardware, median_seconds, peak_bytes

VIT_B = dict(num_frames=16, image_size=224, patch_size=16, tubelet_size=2, dim=768, depth=12, heads=12)


def _step_setup(enc: dict, ratio: float, batch: int):
    """(model, mask, one training step, encoder-only forward) at this mask ratio."""
    torch.manual_seed(0)
    model = build_videomae(PretrainConfig(data="", out="", model=enc, decoder_depth=4))  # VideoMAE-B: 4 blocks
    grid, n = model.config.encoder.grid, model.config.encoder.num_patches
    video = torch.randn(batch, 3, enc["num_frames"], enc["image_size"], enc["image_size"])
    # ratio 0: a mask hiding nothing is not a VideoMAE input; the encoder runs over every token and the
    # decoder predicts every tube (the cost of pretraining without masking)
    mask = (
        make_mask("tube", batch, grid, ratio, torch.Generator().manual_seed(0))
        if ratio > 0
        else torch.zeros(batch, n, dtype=torch.bool)
    )

    def step():
        model.zero_grad(set_to_none=True)
        if ratio > 0:
            loss, _ = model(video, mask)
        else:
            visible = model.forward_encoder(video, None)
            pred = model.forward_decoder(visible, mask, predict_all=True)
            loss = torch.nn.functional.mse_loss(pred, model.targets(video))
        loss.backward()

    def encoder_only():
        with torch.no_grad():
            model.forward_encoder(video, mask if ratio > 0 else None)

    return model, mask, step, encoder_only


def _fresh_process_peak(enc: dict, ratio: float, batch: int, queue) -> None:
    """Peak extra memory of one step (weights' gradients + activations) in a process of its own: in a process
    that already ran other steps the allocator hands back memory it kept, and the peak reads low."""
    torch.set_num_threads(1)
    _, _, step, _ = _step_setup(enc, ratio, batch)
    queue.put(peak_bytes(step) or 0)


def step_peak_bytes(enc: dict, ratio: float, batch: int) -> int:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_fresh_process_peak, args=(enc, ratio, batch, queue))
    proc.start()
    peak = queue.get(timeout=1800)
    proc.join()
    return peak


def cost(encoder: dict | None = None, ratios=(0.9, 0.75, 0.0), batch: int = 1, reps: int = 2) -> dict:
    """Pretraining step time and peak memory per mask ratio, and the encoder's attention pairs."""
    enc = encoder or VIT_B
    rows = []
    for ratio in ratios:
        model, mask, step, encoder_only = _step_setup(enc, ratio, batch)
        visible, n = int((~mask[0]).sum()), mask.shape[1]
        rows.append(
            {
                "mask_ratio": ratio,
                "visible_tokens": visible,
                "tokens": n,
                "encoder_pairs": visible**2 * enc["depth"],
                "step_seconds": median_seconds(step, warmup=1, reps=reps),
                "encoder_forward_seconds": median_seconds(encoder_only, warmup=1, reps=reps),
                "step_peak_mib": step_peak_bytes(enc, ratio, batch) / 2**20,
            }
        )
        del model
    base = rows[-1]
    for r in rows:
        r["pairs_vs_unmasked"] = r["encoder_pairs"] / base["encoder_pairs"]
        r["step_time_vs_unmasked"] = r["step_seconds"] / base["step_seconds"]
        r["encoder_time_vs_unmasked"] = r["encoder_forward_seconds"] / base["encoder_forward_seconds"]
    return {"encoder": enc, "batch": batch, "hardware": hardware(), "rows": rows}


def cost_markdown(r: dict) -> str:
    e = r["encoder"]
    tube = f"{e['tubelet_size']}x{e['patch_size']}x{e['patch_size']}"
    lines = [
        f"VideoMAE pretraining step, encoder {e['num_frames']}x{e['image_size']} px, {tube} tubes, "
        f"width {e['dim']}, depth {e['depth']} (decoder: 4 blocks, half width), batch {r['batch']}, fp32, "
        f"tube masking. Measured on {r['hardware']}.",
        "",
        "| mask ratio | visible tokens | encoder attention pairs vs no masking | encoder forward s (ratio) | "
        "train step s (ratio) | step peak memory MiB |",
        "|---|---|---|---|---|---|",
    ]
    for x in r["rows"]:
        lines.append(
            f"| {x['mask_ratio']:.2f} | {x['visible_tokens']:,} / {x['tokens']:,} | "
            f"{x['pairs_vs_unmasked']:.4f} | "
            f"{x['encoder_forward_seconds']:.2f} ({x['encoder_time_vs_unmasked']:.3f}) | "
            f"{x['step_seconds']:.2f} ({x['step_time_vs_unmasked']:.3f}) | {x['step_peak_mib']:,.0f} |"
        )
    return "\n".join(lines) + "\n"
