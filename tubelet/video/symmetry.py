"""Label symmetries: views of a clip (mirrored, time-reversed, transposed) whose label is a known relabelling.

A camera pan to the left, mirrored, is a pan to the right; played backwards, too. A synthetic dataset declares
these in its dataset.json as {view: {label: label it becomes}} (labels not named stay themselves). Training uses
them as augmentation (`train --symmetries`); a model trained that way records them in its preprocessor config,
and inference averages its probabilities over every view they generate, each mapped back to the original labels
(test-time views: one forward pass per view, on frames decoded once).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..constants import TEST_VIEWS_KEY

# how each view acts on frames; `time_dim` is 0 for a clip (T, 3, H, W), 2 for a model batch (B, 3, T, H, W)
VIEWS = {
    "hflip": lambda x, time_dim: x.flip(-1),
    "vflip": lambda x, time_dim: x.flip(-2),
    "reverse": lambda x, time_dim: x.flip(time_dim),
    "transpose": lambda x, time_dim: x.transpose(-1, -2),  # square crops only: swaps left/right with up/down
}


def check_symmetries(found: dict, where: str) -> dict[str, dict[str, str]]:
    unknown = sorted(set(found) - set(VIEWS))
    if unknown:
        raise ValueError(f"{where}: unknown symmetries {', '.join(unknown)}; known: {', '.join(VIEWS)}")
    return found


def dataset_meta(data: str | os.PathLike) -> Path:
    """Where a dataset's dataset.json is: in its folder, or beside a manifest CSV (a labelled subset's)."""
    data = Path(data)
    return (data.parent if data.suffix.lower() == ".csv" else data) / "dataset.json"


def dataset_symmetries(data: str | os.PathLike) -> dict[str, dict[str, str]]:
    """The label-preserving transforms a synthetic dataset declares in its dataset.json ({} if none)."""
    meta = dataset_meta(data)
    if not meta.exists():
        return {}
    return check_symmetries(json.loads(meta.read_text()).get("symmetries", {}), str(meta))


def apply_views(names, x: torch.Tensor, time_dim: int) -> torch.Tensor:
    """Frames `x` seen through the named views, in order."""
    for name in names:
        x = VIEWS[name](x, time_dim)
    return x


def relabel(names, label: str, symmetries: dict[str, dict[str, str]]) -> str:
    """The label a clip of `label` has once seen through the named views."""
    for name in names:
        label = symmetries[name].get(label, label)
    return label


def view_table(
    symmetries: dict[str, dict[str, str]], label2id: dict[str, int]
) -> list[tuple[tuple[str, ...], torch.Tensor]]:
    """Every distinct view the declared ones generate (the group they form: mirrors and transposition do not
    commute, so plain subsets would repeat some views and miss others), each as the sequence of names that
    makes it, with index[y] = the id label y becomes: a view's probabilities p_view[:, index] are then
    probabilities of the original clip's labels. The first entry is the clip itself."""
    labels = sorted(label2id, key=label2id.get)
    probe = torch.arange(2 * 3 * 3).view(2, 1, 3, 3)  # (T, 1, H, W), every pixel distinct
    seen: dict[bytes, tuple[tuple[str, ...], list[str]]] = {}
    frontier = [()]
    while frontier:  # breadth first: shortest name sequences first
        grown = []
        for names in frontier:
            key = apply_views(names, probe, 0).numpy().tobytes()
            mapped = [relabel(names, y, symmetries) for y in labels]
            if key in seen:
                if seen[key][1] != mapped:
                    other = "+".join(seen[key][0]) or "nothing"
                    raise ValueError(
                        f"inconsistent symmetries: {'+'.join(names)} and {other} "
                        "show the same frames but map labels differently"
                    )
                continue
            seen[key] = (names, mapped)
            grown += [names + (n,) for n in sorted(symmetries)]
        frontier = grown
    return [(names, torch.tensor([label2id[y] for y in mapped])) for names, mapped in seen.values()]


def averaged_probabilities(forward, x: torch.Tensor, table) -> torch.Tensor:
    """Mean over views of softmax(forward(view of x)), in the original labels; x is a batch (B, 3, T, H, W)."""
    total = None
    for names, index in table:
        p = forward(apply_views(names, x, 2)).float().softmax(dim=-1)[:, index]
        total = p if total is None else total + p
    return total / len(table)


def model_views(model) -> list | None:
    """The view table of a model trained with symmetries (None if it was not)."""
    found = (getattr(model, "preprocessor", None) or {}).get(TEST_VIEWS_KEY)
    if not found:
        return None
    return view_table(check_symmetries(found, "preprocessor_config.json"), model.config.label2id)
