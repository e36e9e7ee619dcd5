"""The rules of the house that code can check: no import cycles in the core, and the core never
imports a thin layer (``app``, ``assets``, ``flows``, ``api``). Imports are read from the source
(``ast``), wherever they are: at the top, inside functions, or only for type checking."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
THIN = ("app", "assets", "flows", "api")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The modules ``path`` imports: ``from a.b import c`` is ``a.b.c`` when that is a module, else ``a.b``."""
    name, found = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """Each core module and the modules it imports."""
    files = sorted((SRC / "docent").rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, modules) for f in files}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the core's modules (a package importing its own modules does not count), or None."""
    edges = {a: {b for b in targets if b in graph and not b.startswith(a + ".")} for a, targets in graph.items()}
    try:
        TopologicalSorter(edges).prepare()
    except CycleError as exc:
        return exc.args[1]
    return None


def test_the_graph_is_read(graph):
    assert {"docent.chat.stream", "docent.access"} <= graph["docent.chat.service"]
    assert len(graph) > 100


def test_a_cycle_is_found():
    assert cycle_in({"docent.a": {"docent.b"}, "docent.b": {"docent.c"}, "docent.c": {"docent.a"}})
    assert cycle_in({"docent.a": {"docent.b"}, "docent.b": set()}) is None


def test_the_core_has_no_import_cycle(graph):
    cycle = cycle_in(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_core_never_imports_a_thin_layer(graph):
    wrong = sorted((a, b) for a, targets in graph.items() for b in targets if b.split(".")[0] in THIN)
    assert not wrong, "the core imports a thin layer: " + ", ".join(f"{a} → {b}" for a, b in wrong)
