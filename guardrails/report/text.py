"""`path:line:col: CODE message` lines, then a one-line summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from guardrails.engine.runner import CheckResult
from guardrails.rules.base import Rule


def render(result: CheckResult, rules: Sequence[type[Rule]]) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.findings
    ]
    count = len(result.findings)
    files = f"{result.files_checked} file{'s' if result.files_checked != 1 else ''}"
    if count:
        noun = "finding" if count == 1 else "findings"
        lines.append(f"Found {count} {noun} in {files} checked.")
    else:
        lines.append(f"All checks passed ({files} checked).")
    return "\n".join(lines) + "\n"


def render_statistics(result: CheckResult, rules: Sequence[type[Rule]]) -> str:
    names = {rule.code: rule.name for rule in rules}
    counts = Counter(f.code for f in result.findings)
    rows = [
        f"{count:>5}  {code}  {names.get(code, '')}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return "\n".join(rows) + ("\n" if rows else "")
