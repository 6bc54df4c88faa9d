"""No import cycle inside ``aihub_bench``, counting imports inside functions too.

A function-level import hides a cycle from Python (it resolves at call time) but not from the reader: a
module that imports its caller cannot be understood, tested or replaced on its own. The graph is built
from the source with :mod:`ast`, so no module is executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import aihub_bench

PACKAGE_DIR = Path(aihub_bench.__file__).parent


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` under ``package_dir`` (the package included)."""
    root = package_dir.parent
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _base_of(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a (possibly relative) ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]  # a package's "." is itself, a module's its package
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``module`` imports anywhere in its body (functions included)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base_of(node, module, path.name == "__init__.py")
            for alias in node.names:
                # ``from pkg import sub`` imports the submodule pkg.sub when there is one
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found & known


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    names = module_names(package_dir)
    known = set(names)
    return {name: imported_modules(name, path, known) for name, path in names.items()}


def _strongly_connected(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Tarjan's strongly connected components (iterative: no recursion limit on deep chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield sorted(component)


def import_cycles(package_dir: Path) -> list[list[str]]:
    """Every group of modules that import one another (directly or around a loop), and self-imports."""
    graph = import_graph(package_dir)
    return [c for c in _strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]


def _describe(cycle: list[str], graph: dict[str, set[str]]) -> str:
    edges = [f"{a} -> {b}" for a in cycle for b in sorted(graph[a]) if b in cycle]
    return f"{', '.join(cycle)}: " + "; ".join(edges)


def test_aihub_bench_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR)
    cycles = import_cycles(PACKAGE_DIR)
    assert not cycles, "import cycles:\n" + "\n".join(_describe(c, graph) for c in cycles)


def test_the_graph_sees_the_package() -> None:
    """The checker reads the real package: known modules and a known edge (so 'no cycle' means something)."""
    graph = import_graph(PACKAGE_DIR)
    assert {"aihub_bench", "aihub_bench.pipeline", "aihub_bench.tasks.base"} <= set(graph)
    assert "aihub_bench.config_resolvers" in graph["aihub_bench"]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "pkg"


def test_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/runner.py": "from pkg.recipes import helper\n",
            "pkg/recipes/__init__.py": "",
            # relative, and hidden inside a function: the way pipeline <-> cross_validation used to be
            "pkg/recipes/helper.py": "def go():\n    from ..runner import run\n    return run\n",
            "pkg/leaf.py": "import os\n",
        },
    )
    assert import_cycles(package) == [["pkg.recipes.helper", "pkg.runner"]]


def test_finds_a_self_import_and_a_longer_loop(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from . import a\n",
            "pkg/a.py": "import pkg.b\n",
            "pkg/b.py": "from pkg import c\n",
            "pkg/c.py": "def f():\n    import pkg.a\n",
            "pkg/d.py": "from .d import x\n",
        },
    )
    assert sorted(import_cycles(package)) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.d"]]


def test_an_acyclic_package_passes(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.low import step\n",
            "pkg/low.py": "import json\n",
            "pkg/mid.py": "from .low import step\n",
            "pkg/top.py": "from pkg import mid, low\nfrom pkg.mid import step\n",
        },
    )
    assert import_cycles(package) == []
