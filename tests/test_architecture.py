"""The package's shape: no import cycles, no module too long to read without a
reason, and `guardrails.types` a leaf every layer may import.

The layers between the packages are an import-linter contract in
`pyproject.toml` (`[tool.importlinter]`), run here. Within a layer, the import
graph is read from the source (`ast`), never by importing it: every `import`
counts wherever it stands (a function-level import is still a dependency, and so
is one under `if TYPE_CHECKING:`: a cycle through annotations is still a cycle
for a reader).
Importing `a.b.c` also runs the packages `a.b` and `a`, so those count too,
except the importing module's own parents (they are running already).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import guardrails

PACKAGE = Path(guardrails.__file__).parent
MAX_LINES = 500
LONG_MODULE_REASON = re.compile(r"over 500 lines because", re.IGNORECASE)

# Edge: importer -> imported -> where the import is written (path, line).
Graph = dict[str, dict[str, tuple[Path, int]]]


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> its file, for every module of `package`."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the nodes in `if TYPE_CHECKING:` bodies (not their `else`)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for statement in node.body:
                skipped.update(id(inner) for inner in ast.walk(statement))
    return skipped


def imports_of(
    tree: ast.Module, module: str, is_package: bool, *, type_checking: bool = False
) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of everything imported; for `from m import x`, both
    `m` and `m.x` (x may be a submodule). `type_checking`: those under
    `if TYPE_CHECKING:` too."""
    skipped = set() if type_checking else _type_checking_only(tree)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def import_graph(package: Path) -> Graph:
    modules = module_files(package)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {module: {} for module in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        shown = path.relative_to(package.parent)
        running = {module, *_ancestors(module)}
        for name, line in imports_of(
            tree, module, path.name == "__init__.py", type_checking=True
        ):
            target = known(name)
            if target is None:
                continue
            for imported in (*_ancestors(target), target):
                if imported in modules and imported not in running:
                    graph[module].setdefault(imported, (shown, line))
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components of more than one module (iterative: no recursion
    limit to meet), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
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
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def one_cycle(graph: Graph, component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, as a path that
    ends where it starts."""
    start = component[0]
    inside = set(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node]):
                if successor not in inside:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if successor not in came_from:
                    came_from[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def describe(graph: Graph, cycle: list[str]) -> str:
    steps = []
    for importer, imported in pairwise(cycle):
        path, line = graph[importer][imported]
        steps.append(f"  {importer} imports {imported} ({path}:{line})")
    return "\n".join(steps)


def cycles_report(package: Path) -> list[str]:
    graph = import_graph(package)
    return [
        describe(graph, one_cycle(graph, component))
        for component in strongly_connected(graph)
    ]


def test_no_import_cycle_inside_guardrails() -> None:
    found = cycles_report(PACKAGE)
    assert not found, "import cycles:\n" + "\n\n".join(found)


def test_no_module_over_500_lines_without_a_reason() -> None:
    long_ones = []
    for module, path in module_files(PACKAGE).items():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if not LONG_MODULE_REASON.search(" ".join(docstring.split())):
            long_ones.append(f"{module}: {lines} lines")
    assert not long_ones, (
        f"modules over {MAX_LINES} lines whose docstring does not say why "
        f"('over {MAX_LINES} lines because ...'):\n" + "\n".join(long_ones)
    )


def test_types_imports_nothing_from_guardrails() -> None:
    path = PACKAGE / "types.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    internal = [
        f"types.py:{line} imports {name}"
        for name, line in imports_of(
            tree, "guardrails.types", False, type_checking=True
        )
        if name == "guardrails" or name.startswith("guardrails.")
    ]
    assert not internal, "\n".join(internal)


# --- the checks themselves -----------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "pkg"


def test_cycles_through_function_level_and_type_checking_imports_are_found(
    tmp_path: Path,
) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import helper\n",
            "pkg/b.py": """\
                def helper():
                    from . import a
                    return a
            """,
            # Only for the type checker, still a cycle for a reader.
            "pkg/c.py": """\
                from typing import TYPE_CHECKING
                import pkg.d
                if TYPE_CHECKING:
                    from pkg.a import helper
            """,
            "pkg/d.py": """\
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    import pkg.c
                else:
                    import pkg.a
            """,
        },
    )
    graph = import_graph(package)
    assert strongly_connected(graph) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    report, _ = cycles_report(package)
    assert report == (
        "  pkg.a imports pkg.b (pkg/a.py:1)\n  pkg.b imports pkg.a (pkg/b.py:2)"
    )


def test_a_package_that_imports_its_importer_is_a_cycle(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            # Importing pkg.sub.impl runs pkg/sub/__init__.py first.
            "pkg/user.py": "from pkg.sub.impl import thing\n",
            "pkg/sub/__init__.py": "from pkg.sub.impl import thing\nimport pkg.user\n",
            # A module's own packages are running already: no edge to them.
            "pkg/sub/impl.py": "from pkg.sub.other import thing\n",
            "pkg/sub/other.py": "thing = 1\n",
        },
    )
    assert strongly_connected(import_graph(package)) == [["pkg.sub", "pkg.user"]]


def test_types_is_checked_for_type_checking_imports_too() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from .config import Config\n"
    )
    assert list(imports_of(tree, "guardrails.types", False, type_checking=True)) == [
        ("typing", 1),
        ("typing.TYPE_CHECKING", 1),
        ("guardrails.config", 3),
        ("guardrails.config.Config", 3),
    ]


def test_the_layers_contract_holds() -> None:
    """`lint-imports` over the contract in pyproject.toml, as CI runs it."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "guardrails layers KEPT" in run.stdout
