"""The types every layer shares: findings, usage errors. Imports nothing internal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
