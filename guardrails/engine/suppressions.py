"""`# guardrails: ignore[GR101, GR2]` comments: codes (or prefixes) are required."""

from __future__ import annotations

import re

_IGNORE = re.compile(r"#\s*guardrails:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


def suppressions_of(source: str) -> dict[int, tuple[str, ...]]:
    """Line number -> codes suppressed on it. A bare `ignore` (no codes) is not one."""
    if "guardrails:" not in source:
        return {}
    found: dict[int, tuple[str, ...]] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if "#" not in line:
            continue
        match = _IGNORE.search(line)
        if match:
            codes = tuple(
                c.strip().upper() for c in match.group(1).split(",") if c.strip()
            )
            if codes:
                found[number] = codes
    return found


def is_suppressed(
    code: str, line: int, suppressions: dict[int, tuple[str, ...]]
) -> bool:
    return any(code.startswith(prefix) for prefix in suppressions.get(line, ()))
