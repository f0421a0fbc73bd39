"""A word a user searches for -> the labels it names.

A label matches itself. A model folder may ship `words.json` (the bundled imagenet model does: for each class its
WordNet synset and every hypernym, with their lemmas, scripts/make_imagenet_words.py); then a word also matches
every label whose name, synonyms or hypernyms include it, so "dog" finds the breeds and "vehicle" every vehicle.
Matching is on whole lemmas, case-insensitive ("hot dog" is not a dog).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16)
def word_index(folder: str) -> dict[str, frozenset[str]]:
    """lemma (lower case) -> the labels under it, for a model folder with words.json and config.json."""
    path = Path(folder) / "words.json"
    try:
        words = json.loads(path.read_text())
        config = json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError):  # no word list (most models), or a folder this user cannot read
        return {}
    labels = config.get("tubelet_config", {}).get("tower_config", {}).get("id2label") or config.get("id2label", {})
    out: dict[str, set[str]] = {}
    for i, synsets in enumerate(words["classes"]):
        label = labels[str(i)]
        for s in synsets:
            for lemma in words["synsets"][s]:
                out.setdefault(lemma.lower(), set()).add(label)
    return {k: frozenset(v) for k, v in out.items()}


def model_folder(name: str) -> str | None:
    from ..checkpoints.files import CheckpointError, resolve

    try:
        return str(resolve(name))
    except (CheckpointError, OSError):  # gone, or not readable by whoever searches
        return None


def labels_named(word: str, model_names: list[str], known: set[str]) -> list[str]:
    """The labels `word` names among `known` (the library's labels), best-known first: the label itself if
    the library has it, else every label under it in the models' word lists."""
    if word in known:
        return [word]
    found: set[str] = set()
    for name in model_names:
        folder = model_folder(name)
        if folder:
            found |= word_index(folder).get(word.lower().strip(), frozenset())
    return sorted(found & known)


def vocabulary(model_names: list[str], known: set[str]) -> list[dict]:
    """Words that name at least two of the library's labels (search suggestions beyond the labels), with how many."""
    out = {}
    for name in model_names:
        folder = model_folder(name)
        for word, labels in (word_index(folder) if folder else {}).items():
            n = len(labels & known)
            if n >= 2:
                out[word] = max(out.get(word, 0), n)
    return [{"word": w, "labels": n} for w, n in sorted(out.items(), key=lambda x: (-x[1], x[0]))]
