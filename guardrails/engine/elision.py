"""Leave out of LibCST's parse the code no active rule reads.

Most of a jax2onnx plugin is the bodies of its plugin class's methods
(`abstract_eval`, `to_onnx`, ...) and of its helper functions; the testcase
registrations the GR3 rules read are in its decorator. LibCST's time is
proportional to what it parses, so a function (module-level, or a method of a
module-level class) whose body no active rule could need is parsed as `...`
instead (or as one string as many lines long). So every line and column that
stays is where it was, and so is every finding.

A rule says which bodies it needs (`body_prescan`, a pattern over their text,
and `needs_body`, by default its pre-scan: see `rules.base.Reads`): any body an
active rule needs is kept. Kept too: bodies that import (bindings are
file-wide, so an import in any body can change what a name elsewhere resolves
to), and bodies of functions called by bare name from code that stays (the
testcase evaluator follows such calls).

When every active rule says which dict values it reads (`value_keys`: the GR3
collector reads `testcase`, `context`, `component`, `testcases` and the flags),
the other values of dict displays and of keyword arguments to the calls they
name are parsed as `...` too, padded so that nothing after them moves; unless
the code that stays could read them (a subscript by name or string, `.items()`,
`.values()`), or they bind a name or grow a list.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from guardrails.text.columns import CharColumns

# Characters `str.splitlines` breaks on that CPython's tokenizer does not: with
# any of them, line numbers would disagree, so nothing is left out.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_IMPORTS = re.compile(r"\bimport\b")
# A value that binds a name (`:=`) or grows a list (`.append`, `.extend`) changes
# what other code reads, so it stays.
_BINDS = re.compile(r":=|\.(?:append|extend)\b")


@dataclass(frozen=True)
class ValuesNeeded:
    """The dict values the active rules read: those under `keys`, in dict
    displays and in the keyword arguments of calls to `calls` (a name or an
    attribute's last name), and any whose text one of `keep` matches. Others
    are parsed as `...`."""

    keys: frozenset[str]
    calls: frozenset[str]
    keep: tuple[re.Pattern[str], ...]


def elide(
    source: str,
    tree: ast.Module,
    needed: Callable[[ast.FunctionDef | ast.AsyncFunctionDef, str], bool],
    calls: Sequence[tuple[int, str]],
    values: ValuesNeeded | None = None,
) -> str:
    """`source` with the bodies of module-level functions and methods that no
    rule needs replaced by `...`, and with `values` the dict values none reads;
    `source` itself if nothing can go. `calls`: the line and name of every call
    by bare name (`helper(...)`) in the source."""
    if _OTHER_LINE_BREAKS.search(source):
        return source
    lines = source.splitlines(keepends=True)
    # (first line, last line, name, indentation) of each body that could go.
    spare: list[tuple[int, int, str, str]] = []
    functions: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for function in _functions_and_methods(tree):
        if function.end_lineno is None:
            continue
        opening = function.body[0]
        # A decorated first statement starts at its first decorator.
        decorators = getattr(opening, "decorator_list", [])
        first = min([opening.lineno, *(d.lineno for d in decorators)])
        last = function.end_lineno
        indent = lines[first - 1][: opening.col_offset]
        if indent.strip() or first <= function.lineno:
            continue  # the body starts on the `def` line
        body = "".join(lines[first - 1 : last])
        if _IMPORTS.search(body) or needed(function, body):
            continue
        spare.append((first, last, function.name, indent))
        functions[first] = function
    spare = _not_called(spare, calls)
    dropped = {id(functions[first]) for first, _, _, _ in spare}
    value_spans = (
        _droppable_values(tree, lines, dropped, values) if values is not None else []
    )
    _blank(lines, _outermost(value_spans))
    for first, last, _, indent in spare:
        endings = [text[len(text.rstrip("\r\n")) :] for text in lines[first - 1 : last]]
        if first == last:
            lines[first - 1] = indent + "..." + endings[0]
            continue
        # One string spanning the lines: a single token for LibCST, where
        # blank lines would each be a node to build and walk.
        lines[first - 1 : last] = [
            (indent + '"""' if n == 0 else "")
            + ('"""' if n == len(endings) - 1 else "")
            + ending
            for n, ending in enumerate(endings)
        ]
    return "".join(lines) if spare or value_spans else source


Place = tuple[int, int]  # line, character column


def _droppable_values(
    tree: ast.Module,
    lines: Sequence[str],
    dropped: set[int],
    values: ValuesNeeded,
) -> list[tuple[Place, Place]]:
    """Where the values no rule reads are, outside dropped bodies; none at all
    if the code that stays could read one anyway: by a subscript other than a
    plain number or slice, or through `.values()` / `.items()`."""
    found: list[tuple[Place, Place]] = []
    spared: set[int] = set()  # values found droppable: not looked into
    columns = CharColumns(lines)
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue  # its body runs later, if ever: no rule here evaluates it
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            id(node) in dropped
        ):
            stack += node.decorator_list
            stack += node.args.defaults
            stack += [default for default in node.args.kw_defaults if default]
            continue
        if isinstance(node, ast.Subscript) and not _plain_index(node.slice):
            return []
        entries: list[tuple[str | None, ast.expr]] = []
        if isinstance(node, ast.Dict):
            entries = [
                (_string(key), value)
                for key, value in zip(node.keys, node.values, strict=True)
            ]
        elif isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Attribute) and callee.attr in ("values", "items"):
                return []
            name = (
                callee.id
                if isinstance(callee, ast.Name)
                else callee.attr
                if isinstance(callee, ast.Attribute)
                else None
            )
            if name in values.calls:
                entries = [(keyword.arg, keyword.value) for keyword in node.keywords]
        for key, value in entries:
            if not isinstance(key, str) or key in values.keys:
                continue
            span = _span(columns, value)
            if span is None:
                continue
            text = _text(lines, *span)
            if _BINDS.search(text) or any(k.search(text) for k in values.keep):
                continue
            found.append(span)
            spared.add(id(value))
        for name in node._fields:
            if name in ("annotation", "returns"):
                continue  # annotations are never evaluated
            child = getattr(node, name, None)
            if isinstance(child, list):
                stack += [
                    item
                    for item in child
                    if isinstance(item, ast.AST) and id(item) not in spared
                ]
            elif isinstance(child, ast.AST) and id(child) not in spared:
                stack.append(child)
    return sorted(found)


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _plain_index(index: ast.expr) -> bool:
    """A subscript that can only pick list items: a number, a slice of numbers."""
    if isinstance(index, ast.Constant):
        return not isinstance(index.value, str | bytes)
    if isinstance(index, ast.UnaryOp):
        return _plain_index(index.operand)
    if isinstance(index, ast.Slice):
        parts = (index.lower, index.upper, index.step)
        return all(part is None or _plain_index(part) for part in parts)
    if isinstance(index, ast.Tuple):
        return all(_plain_index(element) for element in index.elts)
    return False


def _span(columns: CharColumns, node: ast.expr) -> tuple[Place, Place] | None:
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    try:
        start = columns.column(node.lineno - 1, node.col_offset)
        end = columns.column(node.end_lineno - 1, node.end_col_offset)
    except IndexError:
        return None
    if start is None or end is None:
        return None
    return (node.lineno, start), (node.end_lineno, end)


def _text(lines: Sequence[str], start: Place, end: Place) -> str:
    (first, first_column), (last, last_column) = start, end
    if first == last:
        return lines[first - 1][first_column:last_column]
    return (
        lines[first - 1][first_column:]
        + "".join(lines[first : last - 1])
        + lines[last - 1][:last_column]
    )


def _outermost(spans: Sequence[tuple[Place, Place]]) -> list[tuple[Place, Place]]:
    """The sorted `spans` without those inside another."""
    kept = []
    reached = (0, 0)
    for start, end in spans:
        if start >= reached:
            kept.append((start, end))
            reached = end
    return kept


def _blank(lines: list[str], spans: Sequence[tuple[Place, Place]]) -> None:
    """`...` where each value was (`spans`: sorted, apart); every other
    character keeps its place. Each line is rebuilt once, whatever the number of
    values on it: one splice per value copied a long line once per value."""
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for (first, first_column), (last, last_column) in spans:
        if first == last:
            width = last_column - first_column
            if width >= 3:
                replacement = "..." + " " * (width - 3)
                edits.setdefault(first - 1, []).append(
                    (first_column, last_column, replacement)
                )
            continue
        head_end = len(lines[first - 1].rstrip("\r\n"))
        edits.setdefault(first - 1, []).append((first_column, head_end, "..."))
        for number in range(first, last - 1):
            text = lines[number]
            lines[number] = text[len(text.rstrip("\r\n")) :]
        edits.setdefault(last - 1, []).append((0, last_column, " " * last_column))
    for number, changes in edits.items():
        lines[number] = _splice(lines[number], changes)


def _splice(line: str, changes: Sequence[tuple[int, int, str]]) -> str:
    """`line` with each (start, end, text) of `changes` (in order, apart) put in."""
    pieces: list[str] = []
    at = 0
    for start, end, text in changes:
        pieces += (line[at:start], text)
        at = end
    pieces.append(line[at:])
    return "".join(pieces)


def _not_called(
    spare: list[tuple[int, int, str, str]], calls: Sequence[tuple[int, str]]
) -> list[tuple[int, int, str, str]]:
    """The spare bodies no call from code that stays names. A function called by
    bare name from there keeps its body, and then the calls in that body count
    too, and so on: followed name by name, each body's calls once (a round over
    every call per body kept made a chain of helpers quadratic)."""
    spare = sorted(spare)
    from_outside: list[str] = []
    from_body: dict[int, list[str]] = {}  # spare index -> names its body calls
    for line, name in calls:
        at = _span_at(spare, line)
        if at is None:
            from_outside.append(name)
        else:
            from_body.setdefault(at, []).append(name)
    bodies_named: dict[str, list[int]] = {}
    for at, span in enumerate(spare):
        bodies_named.setdefault(span[2], []).append(at)
    kept: set[int] = set()
    pending = list(dict.fromkeys(from_outside))
    seen = set(pending)
    while pending:
        for at in bodies_named.get(pending.pop(), ()):
            kept.add(at)
            for name in from_body.get(at, ()):
                if name not in seen:
                    seen.add(name)
                    pending.append(name)
    return [span for at, span in enumerate(spare) if at not in kept]


def _span_at(spans: Sequence[tuple[int, int, str, str]], line: int) -> int | None:
    """The index of the one of `spans` (sorted, never overlapping) holding
    `line`, if any."""
    at = bisect_right(spans, (line, float("inf"))) - 1
    return at if at >= 0 and line <= spans[at][1] else None


def _functions_and_methods(
    tree: ast.Module,
) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions and the methods of module-level classes."""
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield statement
        elif isinstance(statement, ast.ClassDef):
            for method in statement.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield method
