"""Character columns of CPython's UTF-8 byte columns, line by line.

CPython's tree gives `col_offset`s in bytes of the UTF-8 line; a `str` is indexed
by characters. Converting by encoding the line and decoding its prefix costs the
line's length per column, so a generated file with thousands of dicts on one
long line took time quadratic in its size. Here each line is measured once:
where its non-ASCII characters are, and how many bytes each adds.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Sequence

_NON_ASCII = re.compile("[^\x00-\x7f]")
# A line and its ending, as CPython's tokenizer counts lines.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def source_lines(source: str) -> list[str]:
    """`source`'s lines, each with its ending, numbered as CPython's tree
    numbers them (`lineno` 1 is index 0)."""
    return _LINES.findall(source)


class CharColumns:
    """Byte columns -> character columns for `lines`; each line's table is made
    the first time one of its columns is asked for."""

    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = lines
        # Line index -> (byte offsets where its non-ASCII characters start,
        # bytes added by them up to and including each), or None if ASCII.
        self._tables: dict[int, tuple[list[int], list[int]] | None] = {}

    def column(self, index: int, byte_offset: int) -> int | None:
        """The character column of `byte_offset` on line `index` (0-based), or
        None if the offset falls inside a character. IndexError past the end."""
        if index not in self._tables:
            self._tables[index] = _measure(self._lines[index])
        table = self._tables[index]
        if table is None:
            return byte_offset
        starts, added = table
        at = bisect_right(starts, byte_offset) - 1
        if at < 0:
            return byte_offset
        before = added[at - 1] if at else 0
        if byte_offset == starts[at]:
            return byte_offset - before
        if byte_offset < starts[at] + added[at] - before + 1:
            return None  # between the bytes of one character
        return byte_offset - added[at]


def source_segment(lines: Sequence[str], columns: CharColumns, node: ast.expr) -> str:
    """`ast.get_source_segment(source, node)` of `lines = source_lines(source)`,
    without splitting the source again per call (seconds for a large file),
    nor encoding a line per call (quadratic for many nodes on one line)."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    if node.end_col_offset is None or last >= len(lines):
        return ""
    start = columns.column(first, node.col_offset)
    end = columns.column(last, node.end_col_offset)
    if start is None or end is None:
        return ""  # not at a character: CPython's offsets always are
    if first == last:
        return lines[first][start:end]
    return lines[first][start:] + "".join(lines[first + 1 : last]) + lines[last][:end]


def _measure(line: str) -> tuple[list[int], list[int]] | None:
    if line.isascii():
        return None
    starts: list[int] = []
    added: list[int] = []
    extra = 0
    for match in _NON_ASCII.finditer(line):
        code = ord(match.group())
        starts.append(match.start() + extra)
        extra += 1 if code < 0x800 else 2 if code < 0x10000 else 3
        added.append(extra)
    return starts, added
