"""The package layout holds its rules: no import cycles (imports inside functions count), no private names
imported across modules, subpackage __init__ files that only document, and a command line that starts without
torch. The import graph is built from the source with `ast`, so nothing here depends on what happens to be
imported already."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tubelet"
# no import points back up the layers: models know no file format; checkpoints/ calls the models (as in timm)
ALLOWED_BACK_EDGES: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name a (possibly relative) import refers to."""
    if level == 0:
        return target or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement, in functions too."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(name, is_package, node.level, node.module)
            found.append((target, [a.name for a in node.names], node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the tubelet modules it imports (`from pkg import mod` counts as importing pkg.mod)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, names, _ in imports_of(name, path):
            if not target.startswith("tubelet"):
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            for t in subs or [target]:
                if (name, t) not in ALLOWED_BACK_EDGES and t != name:
                    edges[name].add(t)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(edges.get(m, ())):
            if state.get(t) == 1:
                return path[path.index(t) :] + [t]
            if t not in state and (found := visit(t)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_graph_sees_real_imports():
    edges = graph()
    assert "tubelet.modeling.config" in edges["tubelet.modeling.model"]
    assert "tubelet.video.sampling" in edges["tubelet.engine.decoder"]
    assert "tubelet.checkpoints.convert" in edges["tubelet.training.loop"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycles_counting_imports_inside_functions():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_models_do_not_import_checkpoints_or_anything_above_them():
    above = (
        "tubelet.checkpoints",
        "tubelet.training",
        "tubelet.engine",
        "tubelet.tag",
        "tubelet.library",
        "tubelet.serve",
        "tubelet.cli",
        "tubelet.lab",
    )
    back = [
        f"{name}:{line} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("tubelet.modeling")
        for target, _, line in imports_of(name, path)
        if target.startswith(above)
    ]
    assert not back, "\n".join(back)


@pytest.mark.parametrize("folder", ["tubelet", "bench", "compat", "tests"])
def test_no_private_names_imported_across_modules(folder):
    bad = []
    for path in (ROOT / folder).rglob("*.py"):
        name = module_name(path)
        for target, names, line in imports_of(name, path):
            if target.startswith(("tubelet", "bench")) or target in ("tiny_model", "videos", "conftest"):
                bad += [
                    f"{path.relative_to(ROOT)}:{line} imports {target}.{n}"
                    for n in names
                    if n.startswith("_") and not n.startswith("__")
                ]
    assert not bad, "\n".join(bad)


def test_subpackage_inits_only_document():
    """Importing tubelet.video.decode must not drag in the rest of video/ (or torch): package inits hold a
    docstring that says what the package is for, and nothing else."""
    for path in PACKAGE.rglob("__init__.py"):
        if path.parent == PACKAGE or path.parent.name in ("synth", "cli"):
            continue  # the root's lazy API; synth's and cli's inits are their entry points
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path} has no docstring"
        assert len(tree.body) == 1, f"{path} should hold only its docstring"


def test_cli_and_import_tubelet_do_not_load_torch():
    code = (
        "import sys, contextlib, io\n"
        "import tubelet\n"
        "from tubelet.cli import build_parser\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        build_parser().parse_args(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(tubelet.__version__, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0.1.0", "False"]


def test_tubelet_cost_runs_without_torch():
    code = (
        "import sys\nfrom tubelet.cli import main\nrc = main(['cost', '--frames', '8', '--json'])\n"
        "sys.stderr.write(str('torch' in sys.modules))\nsys.exit(rc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "False" and '"tokens": 784' in r.stdout


def test_public_api_is_unchanged():
    import tubelet

    for name in (
        "load_model",
        "save_pretrained",
        "VideoTransformer",
        "VideoTransformerConfig",
        "VideoMAE",
        "VideoMAEConfig",
        "CheckpointError",
        "__version__",
    ):
        assert hasattr(tubelet, name) and name in tubelet.__all__
    with pytest.raises(AttributeError):
        tubelet.no_such_thing  # noqa: B018


# --- one path for one job -----------------------------------------------------------------------------------------
# training batches its data, the tokenizer batches label texts: neither is windows
WINDOW_MODULES = [m for m in MODULES if not m.startswith(("tubelet.training", "tubelet.lab", "tubelet.text"))]
RUNS_A_MODEL = {"fast_forward", "averaged_probabilities"}  # data, not windows


def _batching_nodes(tree: ast.AST) -> list[int]:
    """Lines that cut a list by a batch size or compare a length with one: `x[:batch_size]`, `len(c) == size`."""

    def names(node):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
            n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
        }

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Slice) and {"batch_size", "size"} & names(node):
            found.append(node.lineno)
        elif isinstance(node, ast.Compare) and "len" in names(node) and {"batch_size", "size"} & names(node):
            found.append(node.lineno)
    return found


def test_exactly_one_module_batches_windows_through_a_model():
    batching, running = set(), set()
    for name in WINDOW_MODULES:
        tree = ast.parse(MODULES[name].read_text())
        if _batching_nodes(tree):
            batching.add(name)
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & RUNS_A_MODEL
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        if used - defined:
            running.add(name)
    assert batching == {"tubelet.engine.runner"}, batching
    assert running == {"tubelet.engine.runner"}, running


def test_the_batching_finder_sees_the_old_three_loops():
    old = (
        "batch, ready[:] = ready[:self.batch_size], ready[self.batch_size:]\n"
        "if len(clips) == self.tagger.batch_size:\n    pass\n"
    )
    assert len(_batching_nodes(ast.parse(old))) == 3


WEB_IN_PYTHON = re.compile(
    r"<(?:!doctype|html|head|body|div|span|table|tr|td|th|script|style|svg|rect|line|polyline|"
    r"link|meta|main|header|section|figure|video|a)\b|</\w+>|\{[^{}]*:[^{}]*;[^{}]*\}|=>|"
    r"\bfunction\s*\(|\bdocument\.|addEventListener",
    re.I,
)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every str constant that is not a docstring."""
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


NOT_WEB = {"</w>"}  # CLIP's byte-pair end-of-word marker (text/tokenizer.py), not a tag


def test_no_html_css_or_js_in_python_string_literals():
    found = [
        f"{MODULES[name].relative_to(ROOT)}:{line}: {text[:60]!r}"
        for name in MODULES
        for line, text in _strings(ast.parse(MODULES[name].read_text()))
        if text not in NOT_WEB and WEB_IN_PYTHON.search(text)
    ]
    assert not found, "web code belongs in tubelet/web/templates or static:\n" + "\n".join(found)


def test_the_web_finder_sees_markup_styles_and_scripts():
    for text in ('<div class="x">', "body{margin:0;padding:1px}", "xs.map(x => x + 1)", "document.body"):
        assert WEB_IN_PYTHON.search(text), text
    for text in ("tubelet tag: error: {message}", "{file} ({duration:.2f} s)", "a -> b", "x < 5 and y > 2"):
        assert not WEB_IN_PYTHON.search(text), text


def test_only_the_benchmarks_own_tests_import_bench():
    importers = set()
    for path in (ROOT / "tests").glob("*.py"):
        for target, _, _ in imports_of(module_name(path), path):
            if target == "bench" or target.startswith("bench."):
                importers.add(path.name)
    assert importers == {"test_measure_and_bench.py"}, importers


def test_no_sql_outside_the_library_package():
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE)\b[^\n]*\b(FROM|INTO|SET|TABLE|INDEX)\b")
    found = [
        f"{MODULES[name].relative_to(ROOT)}:{line}"
        for name in MODULES
        if not name.startswith("tubelet.library")
        for line, text in _strings(ast.parse(MODULES[name].read_text()))
        if sql.search(text)
    ]
    assert not found, found
    assert sql.search("SELECT jpeg FROM thumbnails WHERE segment_id = ?")
