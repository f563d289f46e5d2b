"""`guardrails check --add-ignore[=REASON]`: write the suppressions that make
the check pass today (`engine/ignores.py` decides where), and say what it did.
What no comment can silence is left for the report that follows."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from guardrails.engine.ignores import plan_ignores, write_ignores
from guardrails.types import Finding, UsageError


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def add_ignores(
    findings: Sequence[Finding], files: Sequence[Path], cwd: Path, *, reason: str
) -> bool:
    """Whether any file was written. Notes and the count go to stderr, so the
    report on stdout stays what its format promises."""
    reason = reason.strip()
    if any(character in reason for character in "\r\n\f\v\x00"):
        raise UsageError("--add-ignore: the reason must be one line")
    edits, refused = plan_ignores(findings, files, cwd, reason)
    written, problems = write_ignores(edits)
    for problem in problems:
        print(f"guardrails: warning: {problem} (not suppressed)", file=sys.stderr)
    for item in refused:
        finding = item.finding
        print(
            f"guardrails: note: {finding.path}:{finding.line}:{finding.column}: "
            f"{finding.code} cannot be suppressed: {item.why}",
            file=sys.stderr,
        )
    added = sum(edit.lines for edit in written)
    print(
        f"Added {_plural(added, 'suppression')} to {_plural(len(written), 'file')}.",
        file=sys.stderr,
    )
    return bool(written)
