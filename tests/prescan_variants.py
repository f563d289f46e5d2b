"""Re-spellings of a code sample that a pre-scan written too literally misses.

A rule's pre-scan must match every file that can hold one of its findings. Its
samples show the spellings its author thought of; these variants show it the
spellings Python also accepts: spaces around `.`, a line break after every `(`,
and the sample's code moved into a method of a class or, below its imports, into
a function (whose body the engine leaves out of the parse unless a rule says it
reads it). Their findings need not match the sample's: what must hold is that
pre-scans and elision change none of them.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
from collections.abc import Callable, Iterator


def _respaced(source: str, change: Callable[[tokenize.TokenInfo], str]) -> str:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        return starts[row - 1] + col if row <= len(starts) - 1 else len(source)

    out: list[str] = []
    done = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        begin, end = offset(*token.start), offset(*token.end)
        if begin < done:
            continue
        out.append(source[done:begin] + change(token))
        done = max(end, begin)
    out.append(source[done:])
    return "".join(out)


def spaced_dots(source: str) -> str:
    """`jax.random.key` as `jax . random . key` (and `from . import` alike)."""
    return _respaced(
        source,
        lambda t: " . " if t.type == tokenize.OP and t.string == "." else t.string,
    )


def broken_after_parentheses(source: str) -> str:
    """A line break after every `(`, `[` and `{`, where Python allows one."""
    return _respaced(
        source,
        lambda t: (
            t.string + "\n" if t.type == tokenize.OP and t.string in "([{" else t.string
        ),
    )


def in_a_method(source: str) -> str:
    """The sample's statements as the body of a method."""
    return (
        "class _Host:\n    def run(self):\n"
        + textwrap.indent(source, " " * 8)
        + "        pass\n"
    )


def in_a_function_below_its_imports(source: str) -> str:
    """The sample's module-level imports first, its other statements the body
    of a function: a body without an import, which the engine leaves out of
    the parse unless a rule says it needs it (`engine.elision`)."""
    lines = source.splitlines(keepends=True)
    imports: set[int] = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            end = statement.end_lineno or statement.lineno
            imports.update(range(statement.lineno - 1, end))
    head = "".join(line for n, line in enumerate(lines) if n in imports)
    rest = "".join(line for n, line in enumerate(lines) if n not in imports)
    return head + "def _host():\n" + textwrap.indent(rest, " " * 4) + "    pass\n"


VARIANTS: dict[str, Callable[[str], str]] = {
    "spaced-dots": spaced_dots,
    "broken-after-parentheses": broken_after_parentheses,
    "in-a-method": in_a_method,
    "in-a-function-below-its-imports": in_a_function_below_its_imports,
}


def variants(source: str) -> Iterator[tuple[str, str]]:
    """(name, text) of each variant that still compiles."""
    for name, make in VARIANTS.items():
        try:
            text = make(source)
            compile(text, "<variant>", "exec", dont_inherit=True)
        except (SyntaxError, tokenize.TokenError, IndentationError, ValueError):
            continue
        if text != source:
            yield name, text
