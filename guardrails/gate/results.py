"""What the gate found, per testcase (a status and a reason: an exception's
text on one line), and how it turns into an exit code."""

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
class EquimoParity:
    """Equimo's model against the example in JAX and its export in onnxruntime
    (`guardrails.gate.equimo_parity`); errors are None where not compared."""

    reference: str
    jax_max_abs_error: float | None = None
    jax_mean_abs_error: float | None = None
    onnx_max_abs_error: float | None = None
    onnx_mean_abs_error: float | None = None
    seconds: float = 0.0
    failure: str = ""


@dataclass
class TestcaseResult:
    id: str
    status: str
    diff: str = ""
    reason: str = ""
    max_abs_error: float | None = None
    seconds: float = 0.0
    f64: F64Probe = field(default_factory=F64Probe)
    equimo: EquimoParity | None = None
    # Reused from an earlier run: nothing the verdict depends on changed.
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def first_line(error: BaseException) -> str:
    """`Type: first line of the message`, as the f64 probe reports it."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


def one_line(error: BaseException, limit: int = 300) -> str:
    """The whole message folded onto one line (onnxruntime puts the cause below)."""
    text = " ".join(str(error).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def exit_code(results: list[TestcaseResult]) -> int:
    return 0 if all(result.status in PASSING for result in results) else 1
