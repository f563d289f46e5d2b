"""Path names as guardrails matches and shows them: the globs of the configuration
(`**/` spans folders), paths relative to a root, paths as displayed. Every layer
uses these, so they import nothing of guardrails."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path


def _class_end(pattern: str, start: int) -> int | None:
    """Where the `[` at `start` is closed, by fnmatch's rules (a `!` and then a
    `]` right after the `[` belong to the class); None when it is not."""
    index = start + 1
    if pattern.startswith("!", index):
        index += 1
    if pattern.startswith("]", index):
        index += 1
    end = pattern.find("]", index)
    return end if end >= 0 else None


def glob_problem(pattern: str, *, paths: bool = True) -> str | None:
    """Why `pattern` is no usable glob (a path glob unless `paths` is False, then
    an fnmatch pattern), or None. fnmatch reads a `[` that is never closed as a
    plain character, which is never what was meant."""
    if not pattern:
        return "empty glob"
    index = pattern.find("[")
    while index >= 0:
        end = _class_end(pattern, index)
        if end is None:
            return f"unbalanced '[' in glob {pattern!r}"
        index = pattern.find("[", end + 1)
    if paths:
        try:
            _glob_regex(pattern)
        except re.error as error:
            return f"invalid glob {pattern!r}: {error.msg}"
    return None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """`**/` spans folders (including none); `*`, `?` and `[...]` (`[!...]`
    negated) stay within one name."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        end = _class_end(pattern, index) if pattern[index] == "[" else None
        if end is not None:
            members = pattern[index + 1 : end]
            negated = members.startswith("!")
            if negated:
                members = members[1:]
            # `\`, `^`, `[` and the set operators stay plain characters in the class.
            members = re.sub(r"([\\^\[&~|])", r"\\\1", members)
            out.append(f"(?!/)[{'^' if negated else ''}{members}]")
            index = end + 1
        elif pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    # DOTALL: a newline is a legal character in a file name, and `.*` must span it.
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def matches_any(relative_path: str, patterns: Sequence[str]) -> bool:
    return any(_glob_regex(pattern).match(relative_path) for pattern in patterns)


def relative_posix(path: Path, root: Path) -> str:
    """`path` relative to `root` with `/` separators, or absolute when outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def display_path(path: Path, cwd: Path) -> str:
    return relative_posix(path, cwd)
