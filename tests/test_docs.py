"""The README and docs/ hold together: every relative link (text or picture) names a file that exists, and each
experiment's folder in docs/ holds its report with its JSON and pictures beside it."""

import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|src=\"([^\"]+)\"")
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]


def relative_links(page: Path) -> list[str]:
    found = [a or b for a, b in LINK.findall(page.read_text(encoding="utf-8"))]
    return [t for t in found if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_the_link_finder_sees_links():
    assert "docs/default-model.md" in relative_links(ROOT / "README.md")


def test_every_relative_link_in_readme_and_docs_resolves():
    broken = []
    for page in PAGES:
        for target in relative_links(page):
            path = unquote(target.partition("#")[0])
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, "\n".join(broken)


def test_each_generated_report_sits_in_its_own_folder_with_its_data():
    folders = [p for p in (ROOT / "docs").iterdir() if p.is_dir()]
    assert len(folders) >= 10
    for folder in folders:
        assert not [p for p in folder.iterdir() if p.is_dir()], f"{folder} nests folders"
        if folder.name != "serve":  # the web pages' screenshots have no report of their own
            assert (folder / f"{folder.name}.md").exists(), f"{folder} has no {folder.name}.md"
    # claims.json is the README's registry of sources (tests/test_claims.py), not an experiment's data
    loose = [p.name for p in (ROOT / "docs").iterdir() if p.is_file() and p.suffix != ".md" and p.name != "claims.json"]
    assert not loose, f"pictures or data outside an experiment's folder: {loose}"


def test_each_videomae_report_says_at_its_top_whether_seeds_shared_one_pretraining():
    import json

    reports = [p for p in sorted((ROOT / "docs").glob("mae-*/mae-*.json")) if p.stem == p.parent.name]
    checked = 0
    for data in reports:
        recipe = json.loads(data.read_text()).get("recipe")
        if recipe is None:  # mae-cost: no training
            continue
        top = data.with_suffix(".md").read_text().split("\n\n")[1]
        assert top.startswith("**Shared pretraining**") != recipe["pretrain_per_seed"], data.name
        checked += 1
    assert checked >= 5
