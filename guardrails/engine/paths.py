"""Glob matching for config patterns and the walk that finds files to check."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
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


def _excluded(path: Path, root: Path, walk_root: Path, excludes: Sequence[str]) -> bool:
    candidates = {
        relative_posix(path, root),
        relative_posix(path, walk_root),
        path.name,
    }
    return any(matches_any(candidate, excludes) for candidate in candidates)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic-link loop
        return False


def _is_regular_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def iter_python_files(
    start: Path, root: Path, excludes: Sequence[str]
) -> Iterator[Path]:
    """Every `.py` file below `start`, in sorted order, not following a symlinked
    folder twice (a link loop ends instead of spinning)."""
    seen_folders: set[tuple[int, int]] = set()
    # Depth first with an explicit stack, in the order recursion would take: a tree
    # deeper than Python's recursion limit (paths of ~2000 one-letter folders are
    # legal) must not end the run.
    pending: list[tuple[Path, bool]] = [(start, True)]  # (path, is a folder)
    while pending:
        folder, is_folder = pending.pop()
        if not is_folder:
            yield folder
            continue
        try:
            info = folder.stat()
        except OSError:
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in seen_folders:
            continue
        seen_folders.add(identity)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        children: list[tuple[Path, bool]] = []
        for entry in entries:
            path = Path(entry.path)
            if _excluded(path, root, start, excludes):
                continue
            if _is_folder(entry):
                children.append((path, True))
            elif entry.name.endswith(".py") and (
                entry.is_symlink() or _is_regular_file(entry)
            ):
                # A `.py` link that dangles or loops is yielded too: reading it
                # fails, and that is reported (GR002) rather than passed over.
                children.append((path, False))
        pending.extend(reversed(children))


def _excluded_under_root(path: Path, root: Path, excludes: Sequence[str]) -> bool:
    """Whether `path` or a folder above it (up to `root`) is excluded."""
    candidates = [path, *path.parents]
    return any(
        _excluded(candidate, root, root, excludes)
        for candidate in candidates
        if candidate != root and candidate.is_relative_to(root)
    )


def collect_files(
    paths: Sequence[Path],
    root: Path,
    excludes: Sequence[str],
    force_exclude: bool = False,
) -> list[Path]:
    """Files named explicitly are checked whatever their suffix, unless
    `force_exclude` (pre-commit names every staged file, excluded or not); folders
    are walked for `.py` files. A path that does not exist is the caller's usage
    error."""
    found: dict[Path, None] = {}
    for path in paths:
        # abspath also folds `..`, so `../pkg/x.py` is displayed relative to the
        # working directory when it is under it, and checked once however named.
        absolute = Path(os.path.abspath(path))
        if force_exclude and _excluded_under_root(absolute, root, excludes):
            continue
        if absolute.is_dir():
            for file in iter_python_files(absolute, root, excludes):
                found.setdefault(file, None)
        else:
            found.setdefault(absolute, None)
    return sorted(found)
