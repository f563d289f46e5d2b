"""What the gate found, per testcase, and how it turns into an exit code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = (
    "match",
    "drift",
    "check-failed",
    "parity-failed",
    "export-failed",
    "known-failure",
    "fixed",
    "missing-spec",
)
PASSING = frozenset({"match", "known-failure"})
F64_STATUSES = ("passes", "fails", "not-probed")


@dataclass
class F64Probe:
    status: str = "not-probed"
    reason: str = ""


@dataclass
class TestcaseResult:
    id: str
    status: str
    diff: str = ""
    reason: str = ""
    max_abs_error: float | None = None
    seconds: float = 0.0
    f64: F64Probe = field(default_factory=F64Probe)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def exit_code(results: list[TestcaseResult]) -> int:
    return 0 if all(result.status in PASSING for result in results) else 1
