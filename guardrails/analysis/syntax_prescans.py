"""The syntax index second-stage pre-scans ask: CPython's tree, not the text.

A rule's text pre-scan lets in every file that mentions what it looks for;
for GR202 and GR203 that is nearly every jax2onnx file (`"callable"` is in
every testcase dict, `key` and `jax` everywhere). The engine builds CPython's
tree of each such file anyway (to keep over-nested sources from LibCST), in
C and ten times faster than LibCST, so a question about the tree can still
keep the file from LibCST: is there anything this rule could report?

Each answer must be conservative, like the text pre-scans: "yes" too often
costs a parse, "no" wrongly loses a finding (tests/test_prescan.py compares
every finding with and without pre-scans on the samples and on real trees).
So each mirrors, loosely, the first thing its rule checks. They live beside
their rules, in LibCST-free modules (`rules/randomness/prescans.py`,
`rules/upstream_policy/prescans.py`); this module is what they share: the
index of a file's tree, built once in one walk. No LibCST here either: this runs
before the engine decides whether to import it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from guardrails.analysis.import_bindings import ImportBindings

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass
class SyntaxIndex:
    """What the pre-scans ask of one file's tree, gathered in one walk."""

    tree: ast.Module
    calls: list[ast.Call] = field(default_factory=list)
    dicts: list[ast.Dict] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    keywords: list[ast.keyword] = field(default_factory=list)
    # Every `.name` read or written (`jax_core.Literal` gives `Literal`).
    attributes: set[str] = field(default_factory=set)
    # What the file's imports bind (`jr` -> `jax.random`), read in source order.
    imports: ImportBindings = field(default_factory=ImportBindings)
    # Each call by bare name (`helper(...)`): its line and the name.
    bare_calls: list[tuple[int, str]] = field(default_factory=list)
    # The module's classes, and every class at any depth.
    module_classes: set[str] = field(default_factory=set)
    classes: list[ast.ClassDef] = field(default_factory=list)
    # Each call whose value an assignment keeps (`x = f()`, `x: T = f()`,
    # `(x := f())`).
    assigned_calls: list[ast.Call] = field(default_factory=list)
    # Every `while` loop, at any depth.
    whiles: list[ast.While] = field(default_factory=list)
    # GR203's `key_body_lines` (`rules.randomness.prescans`) per `key-names`.
    key_lines: dict[tuple[str, ...], list[int] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, tree: ast.Module) -> SyntaxIndex:
        index = cls(tree)
        imports: list[ast.Import | ast.ImportFrom] = []
        for node in _nodes(tree):
            kind = type(node)
            if kind not in _INDEXED:
                continue
            if kind is ast.Call:
                assert isinstance(node, ast.Call)
                index.calls.append(node)
                if isinstance(node.func, ast.Name):
                    index.bare_calls.append((node.lineno, node.func.id))
            elif kind is ast.Attribute:
                assert isinstance(node, ast.Attribute)
                index.attributes.add(node.attr)
            elif kind is ast.Dict:
                assert isinstance(node, ast.Dict)
                index.dicts.append(node)
            elif kind is ast.keyword:
                assert isinstance(node, ast.keyword)
                index.keywords.append(node)
            elif isinstance(node, Function):
                index.functions.append(node)
            elif kind is ast.ClassDef:
                assert isinstance(node, ast.ClassDef)
                index.classes.append(node)
            elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.NamedExpr:
                assert isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr)
                if type(node.value) is ast.Call:
                    index.assigned_calls.append(node.value)
            elif kind is ast.While:
                assert isinstance(node, ast.While)
                index.whiles.append(node)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                imports.append(node)
        imports.sort(key=lambda node: (node.lineno, node.col_offset))
        for statement in imports:
            for alias in statement.names:
                if isinstance(statement, ast.Import):
                    index.imports.bind_import(alias.name, alias.asname)
                else:
                    index.imports.bind_import_from(
                        statement.module, statement.level, alias.name, alias.asname
                    )
        index.module_classes = {
            node.name for node in tree.body if isinstance(node, ast.ClassDef)
        }
        return index


class FileSyntax:
    """A file's CPython syntax tree, indexed on first use (a run that asks no
    syntax pre-scan and leaves nothing out never walks it)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._index: SyntaxIndex | None = None

    @property
    def index(self) -> SyntaxIndex:
        if self._index is None:
            self._index = SyntaxIndex.of(self.tree)
        return self._index


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node under `tree` that can hold another or be indexed, in no
    particular order: `ast.walk`'s result without the leaves (names,
    constants, contexts), at a fraction of its cost (no generators; only the
    fields that can hold a node are read, looked up once per node type)."""
    found: list[ast.AST] = []
    stack = [tree]
    fields = _CHILD_FIELDS
    while stack:
        node = stack.pop()
        found.append(node)
        kind = type(node)
        names = fields.get(kind)
        if names is None:
            names = fields[kind] = _child_fields(kind)
        for name in names:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in _LEAVES:
                        stack.append(item)
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                stack.append(value)
    return found


# The node types `SyntaxIndex.of` records.
_INDEXED = frozenset(
    {
        ast.Call,
        ast.Attribute,
        ast.Dict,
        ast.keyword,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Lambda,
        ast.ClassDef,
        ast.Assign,
        ast.AnnAssign,
        ast.NamedExpr,
        ast.While,
        ast.Import,
        ast.ImportFrom,
    }
)
# Nodes that hold no other node and are not indexed: never put on the stack.
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del})
# Fields that never hold a node, whatever the node type (names, flags, text).
_SCALAR_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "arg",
        "name",
        "asname",
        "module",
        "level",
        "kind",
        "conversion",
        "is_async",
        "simple",
        "type_comment",
    }
)
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    if kind is ast.Constant:
        return ()  # its `value` is data, never a node
    return tuple(name for name in kind._fields if name not in _SCALAR_FIELDS)
