"""Testcase identities, found statically (see `evaluator`)."""

from guardrails.analysis.testcases.evaluator import (
    FLAGS,
    MISSING,
    REGISTER_FUNCTIONS,
    WILDCARD,
    Testcase,
    TestcaseScanner,
    extract_testcases,
    is_glob,
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
