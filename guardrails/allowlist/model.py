"""What the allowlist is made of: its entries, the flagged testcases the check
finds, and the checked files they are found in, named as an entry's `file`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from guardrails.analysis.harness import FLAG_TEXT


@dataclass(frozen=True)
class FlaggedTestcase:
    """The fact GR3 rules record per file: a testcase that sets a flag, located
    at the flag (1-based lines and columns)."""

    flag: str
    context: str
    component: str
    testcase: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "context": self.context,
            "component": self.component,
            "testcase": self.testcase,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlaggedTestcase:
        return cls(
            flag=str(data["flag"]),
            context=str(data["context"]),
            component=str(data["component"]),
            testcase=str(data["testcase"]),
            line=int(data["line"]),
            column=int(data["column"]),
            end_line=int(data["end_line"]),
            end_column=int(data["end_column"]),
        )

    @property
    def identity(self) -> str:
        return f"{self.context}::{self.component}::{self.testcase}"


@dataclass(frozen=True)
class Entry:
    flag: str
    context: str
    component: str
    testcase: str
    reason: str
    file: str | None
    line: int  # of the entry's `[[allow]]` header in the allowlist file

    def covers(self, flagged: FlaggedTestcase) -> bool:
        # A glob fact (`maxtext_*`) is covered only by an entry matching the glob
        # itself, i.e. one at least as wide.
        return (
            self.flag == flagged.flag
            and fnmatchcase(flagged.context, self.context)
            and fnmatchcase(flagged.component, self.component)
            and fnmatchcase(flagged.testcase, self.testcase)
        )

    def describe(self) -> str:
        where = f" in {self.file}" if self.file else ""
        return f"{self.flag} {self.context}::{self.component}::{self.testcase}{where}"


GLOB_MAGIC = frozenset("*?[")


def is_glob(entry: Entry) -> bool:
    return any(
        not GLOB_MAGIC.isdisjoint(part)
        for part in (entry.context, entry.component, entry.testcase)
    )


class EntryIndex:
    """Which entry covers a flagged testcase, in time linear in the entries:
    an entry without glob characters covers exactly its own identity (a dict
    finds it); only the glob entries, few in practice, are tried one by one.
    Answers as trying every entry in order would (the first that covers)."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._exact: dict[tuple[str, str, str, str], tuple[int, Entry]] = {}
        self._globs: list[tuple[int, Entry]] = []
        self._added = 0
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        position, self._added = self._added, self._added + 1
        if is_glob(entry):
            self._globs.append((position, entry))
        else:
            key = (entry.flag, entry.context, entry.component, entry.testcase)
            self._exact.setdefault(key, (position, entry))

    def covering(self, flagged: FlaggedTestcase) -> Entry | None:
        key = (flagged.flag, flagged.context, flagged.component, flagged.testcase)
        exact = self._exact.get(key)
        for position, entry in self._globs:
            if exact is not None and position > exact[0]:
                break
            if entry.covers(flagged):
                return entry
        return exact[1] if exact is not None else None


@dataclass(frozen=True)
class Allowlist:
    path: Path
    text: str  # "" when the file does not exist
    entries: tuple[Entry, ...]

    @cached_property
    def index(self) -> EntryIndex:
        return EntryIndex(self.entries)

    def covers(self, flagged: FlaggedTestcase) -> bool:
        return self.index.covering(flagged) is not None


@dataclass(frozen=True)
class CheckedFile:
    """One file of a check as the allowlist sees it."""

    relative_path: str  # posix, against `anchor` (what `file` holds)
    flagged: tuple[FlaggedTestcase, ...]
    analysed: bool  # False when its flags could not be read (syntax error)
    anchor: Path | None = None  # the folder `relative_path` starts from


@lru_cache(maxsize=4096)
def _package_parent(folder: Path) -> Path | None:
    """The folder holding the top-level package `folder` belongs to, or None
    when `folder` is no package (no `__init__.py`)."""
    if not (folder / "__init__.py").is_file():
        return None
    return _package_parent(folder.parent) or folder.parent


def allowlist_name(path: Path, root: Path) -> tuple[str, Path]:
    """How the allowlist's `file` names `path`, and the folder that name starts
    from: relative to the configuration's root when under it; otherwise relative
    to the folder holding its top-level package, so an installed package's files
    are named as in its source tree (`jax2onnx/plugins/...`), never by one
    machine's site-packages path."""
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix(), root
    parent = _package_parent(path.parent)
    if parent is None:
        return path.as_posix(), Path(path.anchor)
    return path.relative_to(parent).as_posix(), parent


def checked_file(path: Path, facts: Sequence[Any] | None, root: Path) -> CheckedFile:
    """One file of a check, from the facts the flag collector recorded for it
    (None: it recorded none). `allowlist sync` and GR302 both judge files so,
    so that what the check calls stale is what `sync --prune` removes."""
    name, anchor = allowlist_name(path, root)
    return CheckedFile(
        relative_path=name,
        flagged=tuple(FlaggedTestcase.from_json(fact) for fact in facts or ()),
        analysed=facts is not None or not _may_flag(path),
        anchor=anchor,
    )


def _may_flag(path: Path) -> bool:
    """Whether a file without facts could still set a flag: it mentions one but
    could not be analysed (unreadable, or a syntax error reported as GR001)."""
    try:
        return FLAG_TEXT.search(path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return True
