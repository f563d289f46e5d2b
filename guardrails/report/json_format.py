"""`{"findings": [...], "files_checked": N}`; paths as the engine displays them
(relative to the working directory when under it, `/` separators)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guardrails.engine.catalogue import RuleDoc
from guardrails.report.statistics import count_by_rule
from guardrails.types import CheckResult

FIELDS = ("path", "line", "column", "end_line", "end_column", "code", "rule", "message")


def _dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2) + "\n"


def render(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    findings = [{name: getattr(f, name) for name in FIELDS} for f in result.findings]
    return _dump({"findings": findings, "files_checked": result.files_checked})


def render_statistics(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    statistics = [
        {"code": c.code, "rule": c.rule, "count": c.count}
        for c in count_by_rule(result.findings)
    ]
    return _dump({"statistics": statistics, "files_checked": result.files_checked})
