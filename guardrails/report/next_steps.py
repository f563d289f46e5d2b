"""What to do next, printed under a text report's summary: a first run on a tree
with no allowlist is hundreds of GR301/GR303 findings, and a newcomer should learn
from the report itself that one command adopts them as a baseline (as ruff's
`--add-noqa` would)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from guardrails.types import Finding

ALLOWLIST_CODES = ("GR301", "GR303")
# Past this many findings the per-finding list is hard to read whole.
MANY_FINDINGS = 20


def sync_command(paths: Sequence[Path], package: str | None) -> str:
    """The `allowlist sync` that scans what the check scanned."""
    words = ["guardrails", "allowlist", "sync", *(str(path) for path in paths)]
    if package:
        words += ["--package", package]
    return shlex.join(words)


def next_steps(
    findings: Sequence[Finding],
    *,
    allowlist: Path,
    allowlist_shown: str,
    sync: str,
    statistics: bool,
) -> list[str]:
    steps = []
    flagged = sum(f.code in ALLOWLIST_CODES for f in findings)
    if flagged * 2 > len(findings):
        why = (
            f"there is no allowlist ({allowlist_shown}) yet"
            if not allowlist.exists()
            else f"{allowlist_shown} does not list them"
        )
        steps += [
            f"{flagged} of these are GR301/GR303 flags (run_only_f32_variant, "
            f"skip_numeric_validation) and {why}.",
            f"Adopt them as a baseline with `{sync}`, then give each entry its reason.",
        ]
    if len(findings) > MANY_FINDINGS and not statistics:
        steps.append(
            "Add --statistics for a count per rule; "
            "`guardrails rule CODE` explains a rule."
        )
    return steps
