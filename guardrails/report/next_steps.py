"""What to do next, printed under a text report's summary: a first run on a tree
with no allowlist is hundreds of GR301/GR303 findings, and a newcomer should learn
from the report itself that one command adopts them as a baseline (as ruff's
`--add-noqa` would)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from guardrails.targets import installed_package_folder, package_sources
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


def installed_package(package: str | None) -> Path | None:
    """Where `--package NAME` was found when that is an installed copy (in
    site-packages), whose allowlist entries belong in its own repository."""
    if package is None:
        return None
    sources = [
        path for path in package_sources(package) if installed_package_folder(path)
    ]
    return sources[0] if sources else None


def next_steps(
    findings: Sequence[Finding],
    *,
    allowlist: Path,
    allowlist_shown: str,
    sync: str,
    statistics: bool,
    installed: tuple[str, str] | None = None,
) -> list[str]:
    """`installed`: (package, where) when the check read an installed copy: its
    flags are adopted in a checkout of the package, not in this project (the
    first run of the README, in guardrails' own clone, would otherwise be told
    to fill guardrails' own allowlist with entries of its virtual environment)."""
    steps = []
    flagged = sum(f.code in ALLOWLIST_CODES for f in findings)
    if flagged * 2 > len(findings) and installed is not None:
        package, where = installed
        steps += [
            f"{flagged} of these are GR301/GR303 flags (run_only_f32_variant, "
            f"skip_numeric_validation) of the installed {package} ({where}), "
            "which no allowlist here lists.",
            f"Adopt them in a checkout of {package}'s repository: run "
            "`guardrails allowlist sync .` there, then give each entry its reason.",
        ]
    elif flagged * 2 > len(findings):
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
