"""jax2onnx's own skip allowlist, read statically (its module is never imported).

jax2onnx's `tests/extra_tests/framework/test_do_not_skip_numeric_validation.py`
keeps `_ALLOWED_SKIP_CASES`, a set of `(context, component, testcase)` tuples,
and `_ALLOWED_SKIP_CONTEXTS`, a set of contexts, of the testcases that may set
`skip_numeric_validation`. Until `guardrails allowlist sync` has copied them
into guardrails' allowlist (one allowlist, not two), GR303 honours them as they
stand, so a repository moving to guardrails is not flooded with findings for
skips it already reviewed. Each becomes an allowlist `Entry` whose reason is
"imported from <path>", followed by the comment jax2onnx wrote for it: the
comment at the end of its line, else the last comment above it in the set.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guardrails.allowlist import Entry, FlaggedTestcase
from guardrails.analysis.harness import WILDCARD
from guardrails.config import Config
from guardrails.pathnames import relative_posix
from guardrails.text.source import Unreadable, read_source

FLAG = "skip_numeric_validation"
CASES = "_ALLOWED_SKIP_CASES"
CONTEXTS = "_ALLOWED_SKIP_CONTEXTS"


class UnreadableSkipLists(Exception):
    """The module holds the lists, but not as literals this reader can follow."""


@dataclass(frozen=True)
class SkipLists:
    """The entries read from jax2onnx's module, and a note when it could not be
    read (its entries are then not honoured)."""

    entries: tuple[Entry, ...] = ()
    note: str | None = None


def _literal_elements(value: ast.expr, name: str) -> list[ast.expr]:
    # `{...}`, `[...]`, `(...)`, or `set(...)`/`frozenset(...)` around one.
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in ("set", "frozenset", "list", "tuple")
        and len(value.args) == 1
        and not value.keywords
    ):
        value = value.args[0]
    if not isinstance(value, ast.Set | ast.List | ast.Tuple):
        raise UnreadableSkipLists(f"{name} (line {value.lineno}) is not a literal set")
    return list(value.elts)


def _strings(node: ast.expr, count: int | None) -> tuple[str, ...] | None:
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    if count is not None and (not isinstance(node, ast.Tuple) or len(items) != count):
        return None
    if count is None and isinstance(node, ast.Tuple):
        return None
    values = tuple(
        item.value
        for item in items
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
    )
    return values if len(values) == len(items) else None


def _comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """Comments by line: those alone on their line, and those after code."""
    alone: dict[int, str] = {}
    trailing: dict[int, str] = {}
    lines = source.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT:
                continue
            line, column = token.start
            text = token.string.lstrip("#").strip()
            before = lines[line - 1][:column] if line <= len(lines) else ""
            (alone if not before.strip() else trailing)[line] = text
    except (tokenize.TokenError, SyntaxError):
        pass  # it parsed, so this is not expected; the reasons stay plain
    return alone, trailing


def _comment_for(
    element: ast.expr,
    container_line: int,
    alone: dict[int, str],
    trailing: dict[int, str],
) -> str | None:
    end = element.end_lineno or element.lineno
    if end in trailing:
        return trailing[end]
    above = [line for line in alone if container_line < line < element.lineno]
    if not above:
        return None
    # The whole comment block that ends nearest above the element.
    last = max(above)
    block = [last]
    while block[0] - 1 in alone and block[0] - 1 > container_line:
        block.insert(0, block[0] - 1)
    return " ".join(alone[line] for line in block if alone[line])


def parse_skip_lists(source: str, origin: str) -> tuple[Entry, ...]:
    """The entries of `_ALLOWED_SKIP_CASES` and `_ALLOWED_SKIP_CONTEXTS` in a
    module's source; `origin` names it in the reasons. Raises
    `UnreadableSkipLists` when a list is there but not a literal of strings."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise UnreadableSkipLists(f"cannot parse it: {error}") from None
    alone, trailing = _comments(source)
    entries = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id not in (CASES, CONTEXTS):
            continue
        width = 3 if target.id == CASES else None
        for element in _literal_elements(value, target.id):
            names = _strings(element, width)
            if names is None:
                shape = "(context, component, testcase)" if width else "a context"
                raise UnreadableSkipLists(
                    f"{target.id} (line {element.lineno}) holds something "
                    f"other than {shape} strings"
                )
            context, component, testcase = (
                names if width else (names[0], WILDCARD, WILDCARD)
            )
            comment = _comment_for(element, value.lineno, alone, trailing)
            reason = f"imported from {origin}" + (f": {comment}" if comment else "")
            entries.append(
                Entry(FLAG, context, component, testcase, reason, None, element.lineno)
            )
    return tuple(entries)


@lru_cache(maxsize=4)
def _read(path: Path, origin: str, _mtime_ns: int, _size: int) -> SkipLists:
    source = read_source(path)
    if isinstance(source, Unreadable):
        return SkipLists(note=f"{origin}: {source.reason}")
    try:
        return SkipLists(parse_skip_lists(source, origin))
    except UnreadableSkipLists as error:
        return SkipLists(note=f"{origin}: {error}")


def skip_lists(config: Config) -> SkipLists:
    """jax2onnx's lists at `upstream-skip-lists` under the configuration root;
    none when that is "" or no such file exists."""
    if not config.upstream_skip_lists:
        return SkipLists()
    path = config.root / config.upstream_skip_lists
    try:
        info = path.stat()
    except OSError:
        return SkipLists()
    origin = relative_posix(path, config.root)
    lists = _read(path, origin, info.st_mtime_ns, info.st_size)
    if lists.note is not None:
        note = f"{lists.note}; its skip lists are not honoured (GR303)"
        return SkipLists(note=note)
    return lists


def covering(entries: Sequence[Entry], flagged: FlaggedTestcase) -> Entry | None:
    """The first of `entries` that covers the flagged testcase (for many
    flagged testcases, an `EntryIndex` of the entries answers in linear time)."""
    return next((entry for entry in entries if entry.covers(flagged)), None)
