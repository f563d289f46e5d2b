"""Refuse sources nested too deeply for LibCST before it sees them.

LibCST's native parser recurses on the machine stack: a few thousand nested
brackets, lambdas or unary operators overflow it and the process dies with a
segmentation fault, which no `except` can catch; long chains (`a.b.b...`,
`f()()...`) also parse in quadratic time. CPython's own parser bounds nesting and
turns any excess into an exception, in C and in a fraction of LibCST's time. A
source it refuses for depth cannot be imported either, so it is a GR001 finding
without LibCST ever parsing it.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

# CPython scales its AST depth bound with the recursion limit. Under the default
# (1000) that bound is about 3000 levels, which LibCST parses safely; a program
# that raised the limit must not raise the bound with it.
_RECURSION_LIMIT_FOR_CHECK = 1000


@dataclass(frozen=True)
class NestingProblem:
    message: str
    line: int


def nesting_problem(source: str) -> NestingProblem | None:
    """Why `source` is too deeply nested to parse, or None when it is not (or when
    CPython rejects it for another reason, which LibCST then reports itself)."""
    limit = sys.getrecursionlimit()
    lowered = limit > _RECURSION_LIMIT_FOR_CHECK
    try:
        if lowered:
            sys.setrecursionlimit(_RECURSION_LIMIT_FOR_CHECK)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like
            ast.parse(source)
    except (RecursionError, MemoryError):
        return NestingProblem("too deeply nested to parse", 1)
    except SyntaxError as error:
        # The tokenizer's bracket bound (200); other syntax errors are LibCST's to
        # report, since it accepts syntax newer than the running interpreter.
        if error.msg.startswith("too many nested parentheses"):
            return NestingProblem("too deeply nested to parse", error.lineno or 1)
        return None
    except Exception:  # ValueError (NUL bytes) and the like: not about nesting
        return None
    finally:
        if lowered:
            sys.setrecursionlimit(limit)
    return None
