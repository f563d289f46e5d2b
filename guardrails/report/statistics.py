"""Per-rule finding counts for `--statistics`, most frequent first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.types import Finding


@dataclass(frozen=True)
class RuleCount:
    code: str
    rule: str
    count: int


def count_by_rule(findings: Sequence[Finding]) -> list[RuleCount]:
    counts = Counter((f.code, f.rule) for f in findings)
    return [
        RuleCount(code, rule, count)
        for (code, rule), count in sorted(
            counts.items(), key=lambda item: (-item[1], item[0])
        )
    ]
