"""jax2onnx's testcase harness, as its source spells it: the registration
functions, the flags a testcase can set, and the keys of a testcase dict.

No LibCST here: the allowlist and the syntax pre-scans read these too.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import TypeVar

FLAGS = ("run_only_f32_variant", "skip_numeric_validation")
REGISTER_FUNCTIONS = ("register_example", "register_primitive")
# What jax2onnx's own allowlist test uses when metadata lacks the key.
MISSING = "<unknown>"
WILDCARD = "*"
# Every flag a file sets is spelled out in it (a literal key, a keyword argument
# or a module-level dict merged in): a file without this text sets none.
FLAG_TEXT = re.compile("|".join(FLAGS))

_Value = TypeVar("_Value")


def is_glob(name: str) -> bool:
    return WILDCARD in name


def testcase_callable(entries: Iterable[tuple[Hashable, _Value]]) -> _Value | None:
    """The callable a testcase dict gives the harness: its `"callable"` value,
    when the dict also names a `"testcase"`; None for any other dict. `entries`
    are a dict display's (key, value) pairs or a `dict(...)` call's keywords;
    a key given twice keeps its last value, as in Python."""
    values = dict(entries)
    if "testcase" in values and "callable" in values:
        return values["callable"]
    return None
