"""The types every layer shares: findings, usage errors, the files a check
names and what it found in them. Imports nothing internal, so any module may
import it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

JSON = Any  # a value json.dumps accepts


@dataclass(frozen=True, order=True)
class Finding:
    """A rule violation at a place in a file; lines and columns are 1-based."""

    path: str
    line: int
    column: int
    code: str
    message: str
    end_line: int
    end_column: int
    rule: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


class UsageError(Exception):
    """A bad command line, configuration or allowlist: one line for the user, exit 2."""


@dataclass(frozen=True)
class SourceIssue:
    """What a rule judging the text alone reports (`Rule.source_check`); the
    engine turns it into a `Finding` with the file's path and the rule's code."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str


@dataclass(frozen=True)
class FileRef:
    """A file to check, named as the report shows it and as globs see it."""

    path: Path
    display_path: str  # as findings name it: relative to the working directory
    relative_path: str  # posix, against the configuration root; what globs match


@dataclass(frozen=True)
class Suppression:
    """One `# guardrails: ignore[...]` directive; 1-based columns, end exclusive.

    It silences findings on its line and, when a bracket or a multi-line string
    opened on an earlier line ends on it, on the lines from `first_line` (0:
    none), so a formatter that splits a long line keeps its comment working."""

    line: int
    column: int
    end_column: int
    codes: tuple[str, ...]
    first_line: int = 0

    @property
    def lines(self) -> range:
        """The lines whose findings it silences."""
        return range(self.first_line or self.line, self.line + 1)


@dataclass
class FileResult:
    """Everything one file contributes; JSON-friendly so it can be cached."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[JSON]] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    # Line -> codes of the findings suppressions silenced there: which were used.
    silenced: dict[int, list[str]] = field(default_factory=dict)
    # False when the file could not be read or parsed: no rule ran on it, so
    # none of its suppressions can be called unused.
    analysed: bool = True


@dataclass
class CheckResult:
    """What a check found, as every formatter reads it."""

    findings: list[Finding]
    files_checked: int
    # One-line notes for stderr (what a rule could not judge).
    notes: list[str] = field(default_factory=list)
    # The findings `check --fix` can fix (text output marks them `[*]`).
    fixable: frozenset[Finding] = frozenset()
    # Files of git's index a project rule judged beyond the Python files
    # (GR405's ONNX models): a run on staged models alone checked those.
    index_files_checked: int = 0
