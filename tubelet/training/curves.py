"""A run's curves as a PNG, rewritten after every epoch (so a long run can be watched as it goes)."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write


def save_curves(history: list[dict], path: Path, title: str) -> Path:
    """Loss per epoch (left) and, when the records have them, train / validation top-1 (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    accuracy = [k for k in ("train_top1", "val_top1") if any(k in h for h in history)]
    fig, axes = plt.subplots(1, 1 + bool(accuracy), figsize=(5 + 4 * bool(accuracy), 3.5), squeeze=False)
    for key in ("loss", "train_loss", "val_loss"):
        if any(key in h for h in history):
            axes[0, 0].plot(epochs, [h.get(key) for h in history], marker=".", label=key.replace("_", " "))
    axes[0, 0].set(xlabel="epoch", ylabel="loss", title=title)
    axes[0, 0].legend()
    for key in accuracy:
        axes[0, 1].plot(epochs, [h.get(key) for h in history], marker=".", label=key.replace("_", " "))
    if accuracy:
        axes[0, 1].set(xlabel="epoch", ylabel="top-1", ylim=(0, 1))
        axes[0, 1].legend()
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=80, format="png"))
    plt.close(fig)
    return path
