"""GitHub Actions workflow commands, one per finding:
`::error file=…,line=…,col=…,title=CODE::message`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardrails.engine.catalogue import RuleDoc
from guardrails.terminal import printable
from guardrails.types import CheckResult


def _escape_data(value: str) -> str:
    # Line ends are the format's own escapes; any other control character (an
    # escape sequence in a quoted line) is shown, never obeyed by a log viewer.
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    return "".join(
        f"::error file={_escape_property(f.path)},line={f.line},col={f.column},"
        f"title={_escape_property(f.code)}::{_escape_data(f.message)}\n"
        for f in result.findings
    )
