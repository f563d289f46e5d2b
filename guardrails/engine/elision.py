"""Leave out of LibCST's parse the function bodies no active rule has a use for.

Most of a jax2onnx plugin is the bodies of its plugin class's methods
(`abstract_eval`, `to_onnx`, ...) and of its helper functions; the testcase
registrations the GR3 rules read are in its decorator. LibCST's time is
proportional to what it parses, so a function (module-level, or a method of a
module-level class) whose body no active rule could need is parsed as `...`
instead (or as one string as many lines long). So every line and column that
stays is where it was, and so is every finding.

A rule says which bodies it needs (`body_prescan`, a pattern over their text,
and `needs_body`): any body an active rule needs is kept, and a rule without a
`body_prescan` keeps them all. Kept too: bodies that import (bindings are
file-wide, so an import in any body can change what a name elsewhere resolves
to), and bodies of functions called by bare name from code that stays (the
testcase evaluator follows such calls).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence

# Characters `str.splitlines` breaks on that CPython's tokenizer does not: with
# any of them, line numbers would disagree, so nothing is left out.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_IMPORTS = re.compile(r"\bimport\b")


def elide_function_bodies(
    source: str,
    tree: ast.Module,
    needed: Callable[[ast.FunctionDef | ast.AsyncFunctionDef, str], bool],
    calls: Sequence[tuple[int, str]],
) -> str:
    """`source` with the bodies of module-level functions and methods that no
    rule needs replaced by `...`; `source` itself if none can be. `calls`: the
    line and name of every call by bare name (`helper(...)`) in the source."""
    if _OTHER_LINE_BREAKS.search(source):
        return source
    lines = source.splitlines(keepends=True)
    # (first line, last line, name, indentation) of each body that could go.
    spare: list[tuple[int, int, str, str]] = []
    for function in _functions_and_methods(tree):
        if function.end_lineno is None:
            continue
        first, last = function.body[0].lineno, function.end_lineno
        indent = lines[first - 1][: function.body[0].col_offset]
        if indent.strip() or first <= function.lineno:
            continue  # the body starts on the `def` line
        body = "".join(lines[first - 1 : last])
        if _IMPORTS.search(body) or needed(function, body):
            continue
        spare.append((first, last, function.name, indent))
    spare = _not_called(spare, calls)
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
    return "".join(lines) if spare else source


def _not_called(
    spare: list[tuple[int, int, str, str]], calls: Sequence[tuple[int, str]]
) -> list[tuple[int, int, str, str]]:
    """The spare bodies no call from code that stays names. A function called by
    bare name from there keeps its body, and then the calls in that body count
    too: repeated until nothing changes."""
    spare = sorted(spare)
    while True:
        called = {name for line, name in calls if not _within(spare, line)}
        still = [span for span in spare if span[2] not in called]
        if len(still) == len(spare):
            return spare
        spare = still


def _within(spans: Sequence[tuple[int, int, str, str]], line: int) -> bool:
    """Whether `line` is in one of `spans` (sorted, never overlapping)."""
    at = bisect_right(spans, (line, float("inf"))) - 1
    return at >= 0 and line <= spans[at][1]


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
