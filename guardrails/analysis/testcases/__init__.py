"""Testcase identities, found statically the way jax2onnx's harness sees them.

By seam: `values` (what a folded expression can be), `evaluator` (folding the
registrations' arguments) and `scanner` (what one walk records, and the
testcases read off it; see there for the whole story).
"""

from guardrails.analysis.harness import (
    FLAGS,
    MISSING,
    REGISTER_FUNCTIONS,
    WILDCARD,
    is_glob,
)
from guardrails.analysis.testcases.scanner import (
    Testcase,
    TestcaseScanner,
    extract_testcases,
)

__all__ = [
    "FLAGS",
    "MISSING",
    "REGISTER_FUNCTIONS",
    "WILDCARD",
    "Testcase",
    "TestcaseScanner",
    "extract_testcases",
    "is_glob",
]
