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
to), and bodies of functions called by bare name somewhere (the testcase
evaluator resolves those).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

# Characters `str.splitlines` breaks on that CPython's tokenizer does not: with
# any of them, line numbers would disagree, so nothing is left out.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_IMPORTS = re.compile(r"\bimport\b")


def elide_function_bodies(
    source: str,
    tree: ast.Module,
    needed: Callable[[ast.FunctionDef | ast.AsyncFunctionDef, str], bool],
    called: set[str],
) -> str:
    """`source` with the bodies of module-level functions and methods that no
    rule needs replaced by `...`; `source` itself if none can be."""
    if _OTHER_LINE_BREAKS.search(source):
        return source
    lines = source.splitlines(keepends=True)
    changed = False
    for method in _functions_and_methods(tree):
        if method.name in called or method.end_lineno is None:
            continue
        first, last = method.body[0].lineno, method.end_lineno
        indent = lines[first - 1][: method.body[0].col_offset]
        if indent.strip() or first <= method.lineno:
            continue  # the body starts on the `def` line
        body = "".join(lines[first - 1 : last])
        if _IMPORTS.search(body) or needed(method, body):
            continue
        endings = [text[len(text.rstrip("\r\n")) :] for text in lines[first - 1 : last]]
        if first == last:
            lines[first - 1] = indent + "..." + endings[0]
        else:
            # One string spanning the lines: a single token for LibCST, where
            # blank lines would each be a node to build and walk.
            lines[first - 1 : last] = [
                (indent + '"""' if n == 0 else "")
                + ('"""' if n == len(endings) - 1 else "")
                + ending
                for n, ending in enumerate(endings)
            ]
        changed = True
    return "".join(lines) if changed else source


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
