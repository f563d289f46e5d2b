"""`path:line:col: CODE message` lines (or `--statistics` rows), then a summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardrails.engine.catalogue import RuleDoc
from guardrails.engine.runner import CheckResult
from guardrails.report.statistics import count_by_rule


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(result: CheckResult) -> str:
    files = _plural(result.files_checked, "file")
    if result.findings:
        return f"Found {_plural(len(result.findings), 'finding')} in {files} checked."
    return f"All checks passed ({files} checked)."


def render(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.findings
    ]
    return "".join(line + "\n" for line in [*lines, summary(result)])


def render_statistics(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    """A ruff-like table: count, code, rule name; most frequent first."""
    counts = count_by_rule(result.findings)
    count_width = max((len(str(c.count)) for c in counts), default=1)
    code_width = max((len(c.code) for c in counts), default=1)
    lines = [
        f"{c.count:>{count_width}}  {c.code:<{code_width}}  {c.rule}" for c in counts
    ]
    return "".join(line + "\n" for line in [*lines, summary(result)])
