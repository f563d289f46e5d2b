"""The engine's own findings on bad input: GR001 (the file does not parse) and
GR002 (it cannot be read).

LibCST is imported only when a file is parsed with it: a file no rule needs
parsed is judged by CPython's compiler, and LibCST asked only when that refuses.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from guardrails.engine.nesting import CPythonVerdict, cpython_verdict
from guardrails.types import FileResult, Finding

if TYPE_CHECKING:
    import libcst as cst

    from guardrails.engine.catalogue import RuleSet

SYNTAX_ERROR = "GR001"
UNREADABLE = "GR002"


def bad_input(
    code: str, names: dict[str, str], path: str, line: int, column: int, message: str
) -> Finding:
    return Finding(
        path=path,
        line=line,
        column=column,
        code=code,
        message=message,
        end_line=line,
        end_column=column,
        rule=names.get(code, code),
    )


def parse(
    source: str,
    shown: str,
    names: dict[str, str],
    verdict: CPythonVerdict | None = None,
    *,
    parsed_source: str | None = None,
) -> cst.Module | Finding:
    """The module, or a GR001 finding saying why it cannot be parsed.

    `verdict`: CPython's parse of `source` if already made; `parsed_source`: what
    LibCST parses instead, when bodies were left out (`engine.elision`)."""
    import libcst as cst

    def syntax_error(line: int, column: int, message: str) -> Finding:
        return bad_input(SYNTAX_ERROR, names, shown, line, column, message)

    # LibCST's native parser would overflow the machine stack on these.
    if verdict is None:
        verdict = cpython_verdict(source)
    too_deep = verdict.too_deep
    if too_deep is not None:
        return syntax_error(
            too_deep.line, too_deep.column, f"syntax error: {too_deep.message}"
        )
    try:
        return cst.parse_module(source if parsed_source is None else parsed_source)
    except cst.ParserSyntaxError as error:
        # LibCST's positions are imprecise (often column 1 of the line before);
        # CPython's, when it rejected the source too, are exact. If it accepted
        # it (syntax newer than this interpreter), LibCST's account stands.
        problem = verdict.syntax_error
        if problem is None:
            return syntax_error(
                error.raw_line, error.raw_column + 1, f"syntax error: {error.message}"
            )
        return syntax_error(
            problem.line, problem.column, f"syntax error: {problem.message}"
        )
    except RecursionError:
        return syntax_error(1, 1, "syntax error: nesting too deep to parse")
    except Exception as error:  # the parser's own failures must not end the run
        return syntax_error(1, 1, f"cannot parse file: {error}")


def check_syntax(
    source: str,
    shown: str,
    rules: RuleSet,
    result: FileResult,
    verdict: CPythonVerdict | None = None,
) -> None:
    """GR001 for a file no rule needs parsed, without parsing it with LibCST.

    CPython's compiler accepts what LibCST accepts, except syntax newer than the
    running interpreter and checks LibCST does not make (`return` outside a
    function). So only when it refuses is LibCST asked, and its verdict stands:
    the same finding, or none, as if the file had been parsed for a rule.
    `verdict`: CPython's parse of the source, when the pre-scans already made it.
    """
    if SYNTAX_ERROR not in rules.codes:
        return
    if verdict is not None and verdict.tree is not None:
        return
    if verdict is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes and the like
                compile(source, shown, "exec", dont_inherit=True)
            return
        except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError...
            pass
    parsed = parse(source, shown, rules.names, verdict)
    if isinstance(parsed, Finding):
        result.findings.append(parsed)
