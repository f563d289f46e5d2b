"""`{"findings": [...], "files_checked": N}`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from guardrails.engine.runner import CheckResult
from guardrails.rules.base import Rule

FIELDS = ("path", "line", "column", "end_line", "end_column", "code", "rule", "message")


def render(result: CheckResult, rules: Sequence[type[Rule]]) -> str:
    findings = [{name: getattr(f, name) for name in FIELDS} for f in result.findings]
    payload = {"findings": findings, "files_checked": result.files_checked}
    return json.dumps(payload, indent=2) + "\n"
