"""GitHub Actions workflow commands: one `::error` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence

from guardrails.engine.runner import CheckResult
from guardrails.rules.base import Rule


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, rules: Sequence[type[Rule]]) -> str:
    lines = [
        f"::error file={_escape_property(f.path)},line={f.line},col={f.column},"
        f"endLine={f.end_line},endColumn={f.end_column},"
        f"title={_escape_property(f.code)}::{_escape_data(f'{f.code} {f.message}')}"
        for f in result.findings
    ]
    return "".join(line + "\n" for line in lines)
