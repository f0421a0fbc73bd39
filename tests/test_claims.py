"""Every number the README states about accuracy, speed or memory is in docs/claims.json, with the committed file
that holds its measurement and how the number is read from it; this test reads the README and fails when such a
number has no entry, or when an entry's numbers no longer equal what its source gives.

A claim is a piece of README text (whitespace may wrap differently) and, for each number in it in order, a
derivation: `json` (a path into the claim's JSON source: keys, list indices, `[key=value]` to pick a row, `*`
for every row with `reduce` max / min / len / mean), `match` (a regular expression's first group in the source text),
`bytes` / `params` (a committed file's size, a safetensors file's parameter count), `cost` (the cost calculator's
report for those arguments, read with `json`), `sum` / `diff` / `ratio` of derivations, or `setting` (an input
that is not a measurement, with the reason). Numbers are formatted with `scale`, `digits` and `sign`.
"""

from __future__ import annotations

import json
import re
import struct
from functools import cache
from math import prod
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = json.loads((ROOT / "docs" / "claims.json").read_text())["claims"]
README = (ROOT / "README.md").read_text()
# a number of a claim, with its sign when it has one ("+17.2"; a hyphen is a range: "2-6")
NUMBER = re.compile(r"(?:(?<![\w.])\+)?(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\d.]*\.\d)")
# what counts as a measured number in prose: a number with a unit of accuracy, time, size or count, or a decimal
UNITS = r"%|x\b|×|MiB|GiB|MB|GB|ms\b|s\b|min\b|h\b|hours?\b|fps\b|points\b|levels?\b|seeds\b|windows\b|parameters\b"
MEASURED = re.compile(rf"(?<![\w.])\d[\d,]*(?:(?:\.\d+)?\s?(?:{UNITS})|\.\d+)(?![\d.]*\.\d)")


@cache
def _source(path: str):
    text = (ROOT / path).read_text()
    return json.loads(text) if path.endswith(".json") else text


def _walk(data, path: str | list[str]):
    """a.b.0.[query=top 20].c, with * for every item of a list (a list of values comes back)."""
    parts = re.findall(r"\[[^\]]*\]|[^.\[\]]+", path) if isinstance(path, str) else path
    for i, part in enumerate(parts):
        if part == "*":
            return [_walk(item, parts[i + 1 :]) for item in data]
        if part.startswith("["):
            key, _, value = part[1:-1].partition("=")
            data = next(row for row in data if str(row[key]) == value)
        elif isinstance(data, list):
            data = data[int(part)]
        else:
            data = data[part]
    return data


def _params(path: str) -> int:
    raw = (ROOT / path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    return sum(prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


def raw_value(d: dict, source: str | None):
    """A derivation's value before formatting (a number, or a string taken as it stands)."""
    src = d.get("source", source)
    if "sum" in d or "diff" in d or "ratio" in d:
        op = next(k for k in ("sum", "diff", "ratio") if k in d)
        a, b = (float(raw_value(x, src)) for x in d[op])
        return {"sum": a + b, "diff": a - b, "ratio": a / b}[op]
    if "cost" in d:
        from tubelet.modeling.cost import cost_report

        return _walk(cost_report(**d["cost"]), d["json"])
    if "json" in d:
        value = _walk(_source(src), d["json"])
        if isinstance(value, list) and "reduce" in d:
            value = {"max": max, "min": min, "len": len, "mean": lambda v: sum(v) / len(v)}[d["reduce"]](value)
        return value
    if "match" in d:
        m = re.search(d["match"], _source(src))
        assert m, f"{d['match']!r} not found in {src}"
        return m.group(1)
    if "bytes" in d:
        return (ROOT / d["bytes"]).stat().st_size
    if "params" in d:
        return _params(d["params"])
    raise AssertionError(f"unknown derivation {d}")


def derive(d: dict, source: str | None) -> str | None:
    """The number as the README should print it; None for a setting (any value is its own source)."""
    if "setting" in d:
        return None
    value = raw_value(d, source)
    if isinstance(value, str) and "digits" not in d:
        return value
    x = float(value) * d.get("scale", 1)
    text = f"{x:,.{d.get('digits', 0)}f}" if d.get("thousands") else f"{x:.{d.get('digits', 0)}f}"
    return ("+" + text) if d.get("sign") and x > 0 else text


def _pattern(text: str) -> re.Pattern:
    return re.compile(r"\s+".join(re.escape(w) for w in text.split()))


def _prose_numbers() -> list[tuple[int, str]]:
    """(offset, token) of every measured-looking number in the README's prose: code spans, link targets and
    code blocks are skipped, except the comments in code blocks (they state results too)."""
    found, offset, block = [], 0, False
    for line in README.splitlines(keepends=True):
        if line.startswith("```"):
            block = not block
        else:
            start = 0
            if block:
                start = line.find(" # ") + 1 if " # " in line else len(line)
            hidden = [m.span() for m in re.finditer(r"`[^`]*`|\]\([^)]*\)", line)]
            for m in MEASURED.finditer(line, start):
                if not any(a <= m.start() < b for a, b in hidden):
                    found.append((offset + m.start(), m.group(0)))
        offset += len(line)
    return found


def test_the_prose_scanner_sees_numbers_and_skips_code():
    tokens = [t for _, t in _prose_numbers()]
    assert tokens, "no numbers found: the scanner is broken"
    assert not any(t.startswith("127.0") for t in tokens)  # an address, not a measurement


def test_every_measured_number_in_the_readme_has_a_claim():
    covered = []
    for c in CLAIMS:
        spans = [m.span() for m in _pattern(c["text"]).finditer(README)]
        assert spans, f"claim text not in the README: {c['text']!r}"
        covered += spans
    missing = [t for at, t in _prose_numbers() if not any(a <= at < b for a, b in covered)]
    assert not missing, f"numbers in the README with no entry in docs/claims.json: {missing}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c["text"][:60])
def test_each_claim_equals_its_source(claim):
    numbers = NUMBER.findall(claim["text"])
    assert len(numbers) == len(claim["numbers"]), f"{len(numbers)} numbers, {len(claim['numbers'])} derivations"
    for said, d in zip(numbers, claim["numbers"], strict=True):
        if "setting" in d:
            assert d["setting"].strip(), "a setting says why it is not a measurement"
            continue
        assert derive(d, claim.get("source")) == said, f"{said} in the README, {derive(d, claim.get('source'))} now"


def test_every_source_is_committed_and_every_setting_has_a_reason():
    for c in CLAIMS:
        for path in {c.get("source"), *(d.get("source") for d in c["numbers"])} - {None}:
            assert (ROOT / path).is_file(), path
