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
import re
import sys
import warnings
from dataclasses import dataclass, field
from types import FrameType

# How many levels of syntax tree CPython may build before it refuses the source.
# It grants three per frame of recursion budget, so the budget is set from this
# bound, whatever the caller's depth or recursion limit. Far beyond what the rules'
# walk can follow (a few hundred levels: deeper files are GR001 anyway), far below
# what overflows LibCST's native parser (some 3000-5000), and small enough that
# LibCST's quadratic time on long chains (`a[0][0]...`) stays under a second.
AST_LEVELS = 1000
_LEVELS_PER_FRAME = 3


# What builds a syntax tree deeper, token by token: brackets, trailers, operators,
# and the keywords that nest (`not not x`, `lambda: lambda: x`, `a if b else c if…`).
_DEPTH_MATERIAL = re.compile(r"[.(\[{+\-*/%@&|^~<>]|\b(?:not|lambda|await|if|and|or)\b")
# LibCST parses a source with no more of them than this in a few seconds at worst.
UNMEASURED_OPERATORS = 2000


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class CPythonVerdict:
    """What CPython's bounded parse said: `too_deep` keeps the source from LibCST;
    `syntax_error` is the precise account to give if LibCST rejects it too."""

    too_deep: SyntaxProblem | None = None
    syntax_error: SyntaxProblem | None = None
    # The tree itself, when CPython accepted the source: the syntax pre-scans
    # and the engine's elision read it.
    tree: ast.Module | None = field(default=None, compare=False, repr=False)


def cpython_verdict(source: str) -> CPythonVerdict:
    """One bounded `ast.parse`: whether `source` is too deeply nested for LibCST,
    and otherwise CPython's own syntax error, if any, with its exact position."""
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(_frames_in_use() + AST_LEVELS // _LEVELS_PER_FRAME)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like
            tree = ast.parse(source)
    except (RecursionError, MemoryError):
        return CPythonVerdict(too_deep=SyntaxProblem("too deeply nested to parse", 1))
    except SyntaxError as error:
        account = SyntaxProblem(error.msg, error.lineno or 1, error.offset or 1)
        # The tokenizer's bracket bound (200).
        if error.msg.startswith("too many nested parentheses"):
            deep = SyntaxProblem("too deeply nested to parse", error.lineno or 1)
            return CPythonVerdict(too_deep=deep)
        # Any other syntax error stops CPython before it measured the depth: a
        # long chain (`a.b.b…`, `1 + 1 + …`) ahead of it would reach LibCST
        # unmeasured. LibCST still has the say (it accepts syntax newer than this
        # interpreter) unless the source holds enough operators to build such a
        # chain; then CPython's own account is the finding.
        if len(_DEPTH_MATERIAL.findall(source)) <= UNMEASURED_OPERATORS:
            return CPythonVerdict(syntax_error=account)
        return CPythonVerdict(too_deep=account)
    except Exception:  # ValueError (NUL bytes) and the like: not about nesting
        return CPythonVerdict()
    finally:
        sys.setrecursionlimit(limit)
    return CPythonVerdict(tree=tree)


def _frames_in_use() -> int:
    count = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        count += 1
        frame = frame.f_back
    return count
