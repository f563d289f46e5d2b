"""The walk that finds the files to check."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from guardrails.pathnames import matches_any, relative_posix


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
    folder twice (a link loop ends instead of spinning). A folder that cannot
    be read (no permission, nested past PATH_MAX) is yielded itself: reading it
    fails, and that is reported (GR002) rather than its files passed over."""
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
            yield folder
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in seen_folders:
            continue
        seen_folders.add(identity)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            yield folder
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
