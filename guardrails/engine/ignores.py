"""Where `guardrails check --add-ignore` puts its suppressions: a baseline, as
ruff's `--add-noqa` makes one of `# noqa` comments.

Each finding in a Python file gets `# guardrails: ignore[CODES] REASON` at the
end of its line; a line that already has a directive gets the new codes in it,
and one with another comment (`# noqa`, `# type: ignore`) keeps that comment
first. A comment is never put where it would not be one: a finding whose line
ends inside a string (a triple-quoted one, or an f-string's replacement field)
gets it where the string ends, which the engine reads as reaching back over the
string; a line that ends with a backslash continuation cannot take one, and the
finding is reported as not suppressible instead. As a last guard the edited
file must parse to the same syntax tree as before (comments are not in it), or
it is left alone. Nothing is written here; `write_ignores` replaces each file
atomically.
"""

from __future__ import annotations

import ast
import io
import os
import re
import stat
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails import atomic
from guardrails.engine.suppressions import (
    INVALID_SUPPRESSION,
    UNUSED_SUPPRESSION,
    codes_by_line,
    is_suppressed,
    suppressions_of,
)
from guardrails.engine.syntax import SYNTAX_ERROR, UNREADABLE
from guardrails.pathnames import display_path
from guardrails.types import Finding, Suppression

# Findings about the file or its suppressions themselves: a comment that
# silenced them would hide a broken file or a broken suppression.
NOT_SUPPRESSIBLE = (SYNTAX_ERROR, UNREADABLE, INVALID_SUPPRESSION, UNUSED_SUPPRESSION)
_BOM = "\ufeff"
# A line and its ending, as Python counts lines ("\r\n", "\r" or "\n").
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class IgnoreEdit:
    """A file's text with the suppressions added, and what they silence."""

    path: Path
    text: str
    lines: int  # lines given a directive or more codes in one
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Unsuppressible:
    finding: Finding
    why: str


@dataclass(frozen=True)
class _LineShapes:
    """What tokenize says about the lines of a file (1-based line numbers):
    for each line that ends inside a string, the line that string ends on."""

    string_ends: dict[int, int]
    comments: frozenset[int]
    # Line -> the line where the innermost bracket still open at its end closes.
    bracket_ends: dict[int, int]


def _line_shapes(text: str) -> _LineShapes | None:
    string_ends: dict[int, int] = {}
    comments: set[int] = set()
    opened: list[list[int]] = []  # per open bracket, the lines it spans so far
    bracket_ends: dict[int, int] = {}
    # f-strings tokenize in parts on Python 3.12+: the lines from an
    # f-string's start to its end are inside it, replacement fields included.
    open_fstrings: list[int] = []
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    try:
        # newline=None: lines end where Python's do, "\r" alone included.
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            first, last = token.start[0], token.end[0]
            if token.type == tokenize.COMMENT:
                comments.add(first)
            elif token.type == tokenize.NL and opened:
                opened[-1].append(first)
            elif token.type == tokenize.OP and token.string in "([{":
                opened.append([])
            elif token.type == tokenize.OP and token.string in ")]}" and opened:
                bracket_ends.update(dict.fromkeys(opened.pop(), last))
            elif token.type == fstring_start:
                open_fstrings.append(first)
            elif token.type == fstring_end and open_fstrings:
                string_ends.update(
                    dict.fromkeys(range(open_fstrings.pop(), last), last)
                )
            elif token.type == tokenize.STRING and last > first:
                string_ends.update(dict.fromkeys(range(first, last), last))
    except (tokenize.TokenError, SyntaxError):
        return None
    return _LineShapes(string_ends, frozenset(comments), bracket_ends)


def _directive(codes: Iterable[str], reason: str) -> str:
    listed = ", ".join(codes)
    return f"# guardrails: ignore[{listed}]" + (f" {reason}" if reason else "")


def _same_program(before: str, after: str) -> bool:
    try:
        return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _read_utf8(path: Path) -> tuple[str, str] | str:
    """(BOM or "", text) of a UTF-8 file, else why it cannot be edited."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "not a regular file"
        data = path.read_bytes()
    except OSError as error:
        return f"cannot read it: {error.strerror or error}"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding not in ("utf-8", "utf-8-sig"):
            return f"it is {encoding}, not UTF-8"
        text = data.decode("utf-8")
    except (SyntaxError, UnicodeDecodeError):
        return "it is not UTF-8"
    if text.startswith(_BOM):
        return _BOM, text[1:]
    return "", text


# A line that only closes brackets (`},`, `),`): nothing on it to split or join.
_CLOSERS_ONLY = re.compile(r"[ \t]*[)\]}][)\]}, \t]*(?:#[^\r\n]*)?[\r\n]*")


def _end_of_string(line: int, shapes: _LineShapes) -> int:
    """The line itself, or where the string it ends inside ends."""
    while line in shapes.string_ends:
        line = shapes.string_ends[line]
    return line


def _with_directives(
    lines: Sequence[str],
    placed: dict[int, list[Finding]],
    existing: dict[int, Suppression],
    reason: str,
) -> str:
    edited = list(lines)
    for number, found in placed.items():
        line = edited[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        codes = sorted({finding.code for finding in found})
        present = existing.get(number)
        if present is not None:
            start, end = present.column - 1, present.end_column - 1
            merged = dict.fromkeys([*present.codes, *codes])
            body = body[:start] + _directive(merged, "") + body[end:]
        else:
            code = body.rstrip(" \t")
            directive = _directive(codes, reason)
            body = f"{code}  {directive}" if code else directive
        edited[number - 1] = body + ending
    return "".join(edited)


def _edit_file(
    path: Path, findings: Sequence[Finding], reason: str
) -> tuple[IgnoreEdit | None, list[Unsuppressible]]:
    read = _read_utf8(path)
    if isinstance(read, str):
        return None, [Unsuppressible(finding, read) for finding in findings]
    bom, text = read
    shapes = _line_shapes(text)
    if shapes is None:
        why = "Python cannot tokenize the file"
        return None, [Unsuppressible(finding, why) for finding in findings]
    lines = _LINE.findall(text)[:-1] or [""]  # the pattern ends with an empty match
    existing: dict[int, Suppression] = {}
    for suppression in suppressions_of(text):
        existing.setdefault(suppression.line, suppression)
    refused: list[Unsuppressible] = []
    # Target line -> the findings its directive silences: the finding's own
    # line, or where the string its line ends inside ends (the directive there
    # reaches back over the string, as the engine reads it).
    placed: dict[int, list[Finding]] = {}
    for finding in findings:
        target = _end_of_string(finding.line, shapes)
        while (
            target in shapes.bracket_ends
            and 1 <= target <= len(lines)
            and not _CLOSERS_ONLY.fullmatch(lines[target - 1])
        ):
            # Inside brackets a formatter (black) may split the line anew, the
            # comment's length included, and carry the comment off it; on a
            # line of closing brackets it stays, and reaches back over them.
            target = _end_of_string(shapes.bracket_ends[target], shapes)
        if not 1 <= target <= len(lines):
            refused.append(Unsuppressible(finding, "its line is not in the file"))
        elif target not in shapes.comments and lines[target - 1].rstrip(
            "\r\n"
        ).endswith("\\"):
            why = "its line ends with a backslash continuation"
            refused.append(Unsuppressible(finding, why))
        else:
            placed.setdefault(target, []).append(finding)
    new_text = _with_directives(lines, placed, existing, reason)
    # A directive the engine would not read as covering its finding (a string
    # that starts on a continued line) would be an unused one: leave it out.
    covered = codes_by_line(suppressions_of(new_text))
    unreached = {
        finding
        for found in placed.values()
        for finding in found
        if not is_suppressed(finding.code, finding.line, covered)
    }
    if unreached:
        why = "no line its statement spans can take a comment that reaches it"
        refused += [Unsuppressible(finding, why) for finding in sorted(unreached)]
        placed = {
            number: kept
            for number, found in placed.items()
            if (kept := [f for f in found if f not in unreached])
        }
        new_text = _with_directives(lines, placed, existing, reason)
    edited = [finding for found in placed.values() for finding in found]
    if not edited:
        return None, refused
    if not _same_program(text, new_text):
        why = "the comment would change what the file means"
        return None, refused + [Unsuppressible(f, why) for f in edited]
    return IgnoreEdit(path, bom + new_text, len(placed), tuple(edited)), refused


def plan_ignores(
    findings: Iterable[Finding], files: Sequence[Path], cwd: Path, reason: str
) -> tuple[list[IgnoreEdit], list[Unsuppressible]]:
    """The edits that silence these findings, file by file, and the findings
    no comment can silence; nothing is written."""
    paths = {display_path(path, cwd): path for path in files}
    by_file: dict[str, list[Finding]] = {}
    refused: list[Unsuppressible] = []
    for finding in findings:
        if finding.code in NOT_SUPPRESSIBLE:
            why = "it is about the file or a suppression itself"
            refused.append(Unsuppressible(finding, why))
        elif finding.path not in paths:
            refused.append(
                Unsuppressible(finding, "it is not in a checked Python file")
            )
        else:
            by_file.setdefault(finding.path, []).append(finding)
    edits = []
    for shown, found in by_file.items():
        edit, not_here = _edit_file(paths[shown], found, reason)
        refused += not_here
        if edit is not None:
            edits.append(edit)
    return edits, refused


def write_ignores(edits: Sequence[IgnoreEdit]) -> tuple[list[IgnoreEdit], list[str]]:
    """Write each edited file atomically; returns the edits written and a
    one-line problem for each file that could not be written."""
    written = []
    problems = []
    for edit in edits:
        try:
            atomic.write_atomically(edit.path, edit.text)
        except OSError as error:
            problems.append(f"{edit.path}: cannot write: {error.strerror or error}")
            continue
        written.append(edit)
    return written, problems
