"""`path:line:col: CODE message` lines (or `--statistics` rows), then a summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardrails.engine.catalogue import RuleDoc
from guardrails.report.statistics import count_by_rule
from guardrails.terminal import printable
from guardrails.types import CheckResult, Finding


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _files(result: CheckResult) -> str:
    python = _plural(result.files_checked, "file")
    if not result.index_files_checked:
        return python
    if not result.files_checked:
        return f"{_plural(result.index_files_checked, 'file')} in git's index"
    return f"{python} and {result.index_files_checked} in git's index"


def summary(result: CheckResult) -> str:
    files = _files(result)
    if result.findings:
        found = f"Found {_plural(len(result.findings), 'finding')} in {files} checked"
        if result.fixable:
            return f"{found}; {len(result.fixable)} fixable with --fix."
        return f"{found}."
    return f"All checks passed ({files} checked)."


# ANSI styles as ruff uses them: bold paths, red codes. Only on a terminal.
_BOLD, _RED, _CYAN, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[36m", "\x1b[0m"


def _finding_line(f: Finding, colour: bool) -> str:
    # Paths and messages quote the checked files: shown, never obeyed.
    path, code, message = printable(f.path), printable(f.code), printable(f.message)
    if not colour:
        return f"{path}:{f.line}:{f.column}: {code} {message}"
    return (
        f"{_BOLD}{path}{_RESET}{_CYAN}:{_RESET}{f.line}{_CYAN}:{_RESET}"
        f"{f.column}{_CYAN}:{_RESET} {_RED}{code}{_RESET} {message}"
    )


def render(
    result: CheckResult, rules: Sequence[RuleDoc], base: Path, *, colour: bool = False
) -> str:
    # `[*]`: `--fix` can fix it, as ruff marks its fixable findings.
    lines = [
        _finding_line(f, colour) + (" [*]" if f in result.fixable else "")
        for f in result.findings
    ]
    return "".join(line + "\n" for line in [*lines, summary(result)])


def render_statistics(
    result: CheckResult, rules: Sequence[RuleDoc], base: Path, *, colour: bool = False
) -> str:
    """A ruff-like table: count, code, rule name; most frequent first."""
    counts = count_by_rule(result.findings)
    count_width = max((len(str(c.count)) for c in counts), default=1)
    code_width = max((len(c.code) for c in counts), default=1)
    red, reset = (_RED, _RESET) if colour else ("", "")
    lines = [
        f"{c.count:>{count_width}}  {red}{printable(c.code):<{code_width}}{reset}  "
        f"{printable(c.rule)}"
        for c in counts
    ]
    return "".join(line + "\n" for line in [*lines, summary(result)])
