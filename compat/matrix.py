"""`make test-compat`: one virtual environment per transformers release (created once under .venv-compat/, reused),
and in each compat/worker.py: random models of every supported class saved by that release load into tubelet
with the same outputs, tubelet's exports load back in that release with the same outputs, and the hub-layout
fixtures load in both. Writes docs/compat/compat.md and compat.json; exits 1 if any difference exceeds 1e-4.

    .venv/bin/python -m compat.matrix [--versions 4.46.3 5.0.0 5.17.0 5.24.0] [--write-fixtures]

--write-fixtures also (re)writes tests/fixtures/checkpoints/: tiny models saved by each release, with an input and
that release's outputs, so `make test` checks every on-disk layout without installing several transformers; the
hub-layout fixtures are written by the oldest release.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tubelet.atomic import atomic_write_text
from tubelet.lab.reports import report_dir

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("4.46.3", "5.0.0", "5.17.0", "5.24.0")
FIXTURES = ROOT / "tests" / "fixtures" / "checkpoints"
TOL = 1e-4


def venv_for(version: str) -> Path:
    """.venv-compat/transformers-VERSION with the CPU torch, that transformers, and tubelet's loading deps."""
    venv = ROOT / ".venv-compat" / f"transformers-{version}"
    stamp = venv / ".installed"
    if not stamp.exists():
        print(f"creating {venv.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run(pip + ["torch==2.13.0"], check=True)  # the CPU build first (see the Makefile)
        subprocess.run(pip + [f"transformers=={version}", "einops", "safetensors"], check=True)
        stamp.touch()
    return venv


def run_worker(venv: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "compat.worker", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise SystemExit(f"compat worker failed in {venv.name}:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


def worst(report: dict) -> float:
    values = []
    for row in report.get("kinds", []):
        for side in ("load", "export"):
            values += [row[side]["max_abs_diff"], row[side].get("loss_diff", 0.0)]
    for row in report.get("hub", []):  # a release that misreads a layout is its defect, reported apart
        values += [row["tubelet_vs_stored"]["max_abs_diff"], row["tubelet_vs_stored"].get("loss_diff", 0.0)]
    return max(values, default=0.0)


def markdown(reports: list[dict], seconds: float) -> str:
    versions = [r["transformers"] for r in reports]
    lines = [
        "# Checkpoints across transformers releases",
        "",
        "Regenerate: `make test-compat` (`.venv/bin/python -m compat.matrix`; one virtual environment per "
        f"release under `.venv-compat/`, created once). This run: {seconds / 60:.1f} min, "
        f"torch {reports[0]['torch']}.",
        "",
        "Each cell: max |difference| of the outputs (logits; `last_hidden_state` for VideoMAEModel; the "
        "reconstruction, and the loss, for VideoMAEForPreTraining; for CLIP and X-CLIP the clip-text "
        "similarities and both embeddings, CLIP as a video model by meanP over frames, X-CLIP's `logits_per_video`) "
        "on the same random clip and mask (and token ids). "
        "**load**: a random model of that class saved by that release, loaded into tubelet, against the "
        "release's own model. **export**: tubelet's `save_pretrained` of it, loaded back by the same release, "
        "against the original. Tolerance 1e-4.",
        "",
        "| class (kind) | " + " | ".join(f"{v} load / export" for v in versions) + " |",
        "|---|" + "---|" * len(versions),
    ]
    kinds = [row["kind"] for row in reports[0]["kinds"]]
    for i, kind in enumerate(kinds):
        cells = []
        for r in reports:
            row = r["kinds"][i]
            load = max(row["load"]["max_abs_diff"], row["load"].get("loss_diff", 0.0))
            export = max(row["export"]["max_abs_diff"], row["export"].get("loss_diff", 0.0))
            cells.append(
                f"{load:.1e} / {export:.1e}"
                + (" (missing: " + ", ".join(row["export_missing"][:2]) + ")" if row["export_missing"] else "")
            )
        lines.append(f"| {reports[0]['kinds'][i]['architecture']} ({kind}) | " + " | ".join(cells) + " |")
    if any(r.get("hub") for r in reports):
        lines += [
            "",
            "Hub layouts (tests/fixtures/checkpoints/hub/: the tensor names, config fields and file format "
            "of the published checkpoints, in tiny models, with the outputs transformers 4.46.3 computes): "
            "tubelet's outputs, and each release's, against those. A release far from them misreads the "
            "published layout.",
            "",
            "| published checkpoint | tubelet | " + " | ".join(versions) + " |",
            "|---|---|" + "---|" * len(versions),
        ]
        for i, row in enumerate(reports[0]["hub"]):
            ours = max(r["hub"][i]["tubelet_vs_stored"]["max_abs_diff"] for r in reports)
            cells = [f"{r['hub'][i]['this_transformers_vs_stored']['max_abs_diff']:.1e}" for r in reports]
            lines.append(f"| {row['fixture'].replace('--', '/')} | {ours:.1e} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "On-disk layouts found: every release writes the VideoMAE query and value biases as `q_bias` / "
        "`v_bias` except 5.17, which writes `query.bias`, `key.bias` and `value.bias` (plain `nn.Linear` "
        "layers). tubelet reads both, dropping the key bias (exact: a key bias adds the same amount to every "
        "logit of a query, which the softmax cancels), and writes both spellings, so each release finds the "
        "names it reads; the other names are reported by that release as unused and ignored. TimeSformer and "
        "ViViT keep one layout in every release.",
        "",
        "transformers 5.17.0 itself misreads the published VideoMAE checkpoints: it has no rule mapping their "
        "`q_bias` / `v_bias` onto its `query.bias` / `value.bias`, so it leaves those biases at zero (the "
        "2.8e-04 above at tiny size; far more on a real model). tubelet reads them correctly under every "
        "release, and its exports carry `query.bias` / `value.bias` too, so 5.17 reads tubelet's exports "
        "correctly (the export column).",
        "",
    ]
    return "\n".join(lines)


DEFECTS = ("wrong", "crash")


def _cell(outcomes: list[dict]) -> str:
    """One field on one release: how many values load exactly, and which are refused or cannot be built."""
    exact = sum(o["status"] == "exact" for o in outcomes)
    parts = [f"exact {exact}/{len(outcomes)}"]
    for status in ("refused", "not built", *DEFECTS):
        values = [json.dumps(next(iter(o["fields"].values()))) for o in outcomes if o["status"] == status]
        if values:
            parts.append(f"{status}: {', '.join(values)}".replace("|", "/"))
    return "; ".join(parts)


def fields_markdown(reports: list[dict]) -> str:
    versions = [r["transformers"] for r in reports]
    lines = [
        "## Config fields",
        "",
        "Each field of `VideoMAEConfig`, `TimesformerConfig` and `VivitConfig` that changes what the classifier "
        "computes, alone at each value (tubelet/checkpoints/config_fields.py), on a small random model that release "
        "builds and saves: **exact** (tubelet's logits within 1e-4 of the release's, and tubelet's export, loaded "
        "back by the release, too), **refused** (tubelet names the field "
        "or value before reading any weight), or **not built** (the release itself cannot build or run it). A wrong "
        "answer or a crash would fail `make test-compat`.",
        "",
        "| family.field | " + " | ".join(versions) + " |",
        "|---|" + "---|" * len(versions),
    ]
    keys = list(dict.fromkeys((o["family"], next(iter(o["fields"]))) for o in reports[0]["fields"]))
    for family, field in keys:
        cells = [_cell([o for o in r["fields"] if o["family"] == family and next(iter(o["fields"])) == field])
                 for r in reports]  # fmt: skip
        lines.append(f"| {family}.{field} | " + " | ".join(cells) + " |")
    lines += ["", "Random combinations (100 per family, 4 fields changed at once, seed 1):", "",
              "| release | exact | refused | not built | wrong or crash |", "|---|---|---|---|---|"]  # fmt: skip
    for r in reports:
        count = {s: sum(o["status"] == s for o in r["random"]) for s in ("exact", "refused", "not built")}
        defects = sum(o["status"] in DEFECTS for o in r["random"])
        lines.append(
            f"| {r['transformers']} | {count['exact']} | {count['refused']} | {count['not built']} | {defects} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", nargs="+", default=list(VERSIONS))
    ap.add_argument("--write-fixtures", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args(argv)
    t0 = time.time()
    venvs = {v: venv_for(v) for v in args.versions}
    if args.write_fixtures:
        run_worker(venvs[args.versions[0]], "--hub-fixtures", str(FIXTURES / "hub"))
        for v, venv in venvs.items():
            run_worker(venv, "--fixtures", str(FIXTURES / f"transformers-{v}"))
    reports = []
    for v, venv in venvs.items():
        print(f"checking transformers {v} ...", file=sys.stderr, flush=True)
        reports.append(run_worker(venv, "--check", "--hub", str(FIXTURES / "hub"), "--fields"))
    md = markdown(reports, time.time() - t0) + fields_markdown(reports)
    out = Path(args.out)
    folder = report_dir(out, "compat")
    atomic_write_text(folder / "compat.md", md)
    atomic_write_text(folder / "compat.json", json.dumps(reports, indent=2) + "\n")
    print(md)
    bad = {r["transformers"]: worst(r) for r in reports if worst(r) > TOL}
    defects = [(r["transformers"], o) for r in reports for o in r["fields"] + r["random"] if o["status"] in DEFECTS]
    if bad or defects:
        print(f"FAIL: differences above {TOL:g}: {bad}; field defects: {defects[:5]}", file=sys.stderr)
        return 1
    print(f"PASS: every difference <= {TOL:g}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
