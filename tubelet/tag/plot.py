"""`--plot out.png`: the top labels' scores over time, with the merged segments as a band (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write
from .results import TagResult


def plot_timeline(r: TagResult, path: str | Path, top: int = 5) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centres = [w.centre for w in r.windows]
    index = {v: k for k, v in r.id2label.items()}
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=110)
    colours = {}
    for x in r.labels[:top]:
        k = index[x.label]
        ys = r.probs[:, k].tolist()
        (line,) = ax.plot(centres, ys, marker="o" if len(centres) < 40 else None, ms=3, lw=1.8, label=x.label)
        colours[x.label] = line.get_color()
    for s in r.segments:
        ax.axvspan(s.start, s.end, ymin=0.94, ymax=1.0, color=colours.get(s.label, "0.6"), alpha=0.9, lw=0)
    ax.set(
        xlim=(0, r.duration),
        ylim=(0, 1.08),
        xlabel="time (s)",
        ylabel="probability",
        title=f"{Path(r.file).name} ({r.model})",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)
    return Path(path)
