"""A picture of what a VideoMAE sees and rebuilds: original frames, the masked input, the reconstruction."""

from __future__ import annotations

import torch
from einops import rearrange

from ..atomic import atomic_write


@torch.no_grad()
def reconstruct(model, video: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> (original, masked input, reconstruction) as pixels in [0, 1], each `(B, C, T, H, W)`.

    With `norm_pix_loss` the decoder predicts each tube normalized by its own mean and std; as in VideoMAE's
    visualization, the prediction is put back on the original tube's mean and std (that is all the picture
    borrows from the hidden tubes: their brightness and contrast, not their content)."""
    was_training = model.training
    model.eval()
    _, pred = model(video, mask)
    model.train(was_training)
    pixels = model.pixels(video).clamp(0, 1)
    patches = model.patchify(pixels)  # (B, N, k*C)
    c = model.config.encoder.num_channels
    if model.config.norm_pix_loss:
        p = rearrange(patches, "b n (k c) -> b n k c", c=c)
        mean, std = p.mean(dim=-2, keepdim=True), p.var(dim=-2, unbiased=True, keepdim=True).sqrt() + 1e-6
        pred_p = rearrange(pred, "b m (k c) -> b m k c", c=c)
        hidden_mean = mean[mask].reshape(pred_p.shape[0], -1, 1, c)
        hidden_std = std[mask].reshape(pred_p.shape[0], -1, 1, c)
        pred = rearrange(pred_p * hidden_std + hidden_mean, "b m k c -> b m (k c)")
    rebuilt = patches.clone()
    rebuilt[mask] = pred.reshape(-1, pred.shape[-1]).to(rebuilt.dtype)
    masked = patches.clone()
    masked[mask] = 0.5  # hidden tubes shown grey
    return pixels, model.unpatchify(masked), model.unpatchify(rebuilt).clamp(0, 1)


def save_reconstruction_png(model, video: torch.Tensor, mask: torch.Tensor, path, title: str = "", max_frames: int = 8):
    """One clip (the first of the batch): three rows of frames, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = reconstruct(model, video[:1], mask[:1])
    t = rows[0].shape[2]
    frames = sorted({round(i * (t - 1) / max(1, min(t, max_frames) - 1)) for i in range(min(t, max_frames))})
    fig, axes = plt.subplots(3, len(frames), figsize=(1.6 * len(frames), 5.2), squeeze=False)
    for r, (name, clip) in enumerate(zip(("original", "masked input", "reconstruction"), rows, strict=True)):
        for j, f in enumerate(frames):
            ax = axes[r][j]
            ax.imshow(clip[0, :, f].permute(1, 2, 0).float().cpu().numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == 0:
                ax.set_title(f"frame {f}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=80))
    plt.close(fig)
