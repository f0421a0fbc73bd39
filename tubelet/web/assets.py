"""Templates and static files: the Jinja2 environment, and the stylesheet and JS modules as text for pages that
must stand alone (`tag --format html` writes one file that fetches nothing)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"
# the two forms of a line that joins modules: `import { a, b } from './x.js';` and `export ` before a declaration
IMPORT = re.compile(r"^import \{[^}]*\} from '\./([\w-]+\.js)';\n", re.M)
EXPORT = re.compile(r"^export (?=const |function |async function |class )", re.M)


@lru_cache(maxsize=1)
def environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def inline_module(entry: str) -> str:
    """A JS module and everything it imports (depth first, each once) as one module's source, for a page with
    no other files: the import lines go, `export` goes, the code stays as written."""
    order: list[str] = []

    def visit(name: str):
        if name in order:
            return
        source = static_text(name)
        for dependency in IMPORT.findall(source):
            visit(dependency)
        order.append(name)

    visit(entry)
    return "\n".join(f"// {name}\n" + EXPORT.sub("", IMPORT.sub("", static_text(name))) for name in order)
