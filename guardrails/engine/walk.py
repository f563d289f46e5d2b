"""Parse once, walk once with every active rule, locate only what was reported.

It imports LibCST; `engine.file_check` loads it only for files whose pre-scan
says a rule could match, so a cache-warm run never does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst

from guardrails.analysis.imports import ImportTracker, imports_of
from guardrails.analysis.positions import positions_of, syntax_ranges
from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.engine.catalogue import Candidate, RuleSet
from guardrails.engine.elision import ValuesNeeded, elide
from guardrails.engine.nesting import CPythonVerdict, cpython_verdict
from guardrails.engine.syntax import SYNTAX_ERROR, bad_input, check_syntax, parse
from guardrails.engine.traverse import visit_batched
from guardrails.rules.base import (
    ALL_BODIES,
    FactCollector,
    FileContext,
    FileInfo,
    FunctionNode,
    Rule,
)
from guardrails.types import FileResult, Finding


def analyse(
    source: str,
    file: FileInfo,
    rules: RuleSet,
    candidates: Sequence[Candidate],
    result: FileResult,
    verdict: CPythonVerdict | None = None,
    syntax: FileSyntax | None = None,
) -> None:
    """Run the candidate rules that apply to this file over it, in one walk.
    `verdict`, `syntax`: CPython's parse of the source and its index, if the
    pre-scans made them."""
    classes = [rules.load(candidate.info) for candidate in candidates]
    active = [
        rule
        for rule, candidate in zip(classes, candidates, strict=True)
        if candidate.walks and rule.applies_to(file)
    ]
    collectors = {
        rule.collector
        for rule, candidate in zip(classes, candidates, strict=True)
        if candidate.collects and rule.collector is not None
    }
    if not active and not collectors:
        check_syntax(source, file.display_path, rules, result, verdict)
        return

    if verdict is None:
        verdict = cpython_verdict(source)
    if syntax is None and verdict.tree is not None:
        syntax = FileSyntax(verdict.tree)
    parsed_source = source
    if rules.use_prescan and syntax is not None:
        parsed_source = _what_to_parse(source, syntax, [*active, *collectors], file)
    module = parse(
        source, file.display_path, rules.names, verdict, parsed_source=parsed_source
    )
    if isinstance(module, Finding):
        result.findings.append(module)
        return

    # Parsed is not walkable: the walk, and locating findings (code generation,
    # deeper still per level), can exhaust Python's recursion on what parsed.
    try:
        context = FileContext(file, source, module, imports_of(module), syntax=syntax)
        visitors: list[cst.BatchableCSTVisitor] = [ImportTracker(context.imports)]
        visitors += [
            collector(context) for collector in sorted(collectors, key=lambda c: c.name)
        ]
        visitors += [rule(context) for rule in active]
        visit_batched(module, visitors)
        located = (
            _locate(module, source, context.reports, file.display_path, rules)
            if context.reports
            else []
        )
    except RecursionError:
        result.findings.append(
            bad_input(
                SYNTAX_ERROR,
                rules.names,
                file.display_path,
                1,
                1,
                "nesting too deep to analyse",
            )
        )
        return
    result.facts = context.facts
    result.findings += located


def _what_to_parse(
    source: str,
    syntax: FileSyntax,
    walkers: Sequence[type[Rule] | type[FactCollector]],
    file: FileInfo,
) -> str:
    """`source` without the function bodies and dict values no walker reads
    (see `engine.elision`); all of it if one of them reads every body."""
    marks = [mark for walker in walkers for mark in walker.body_marks(syntax)]
    if ALL_BODIES in marks:
        return source

    def needed(function: FunctionNode, body: str) -> bool:
        return any(
            walker.needs_body(function, body, syntax, file.config) for walker in walkers
        )

    return elide(
        source,
        syntax.tree,
        needed,
        syntax.index.bare_calls,
        _values_needed(walkers, marks),
    )


def _values_needed(
    walkers: Sequence[type[Rule] | type[FactCollector]],
    marks: Sequence[re.Pattern[str]],
) -> ValuesNeeded | None:
    """What the walkers read of dict values, if every one of them says: those
    under their `value_keys` and any their body `marks` match."""
    keys: set[str] = set()
    calls: set[str] = set()
    for walker in walkers:
        if walker.value_keys is None:
            return None
        keys |= walker.value_keys
        calls |= walker.value_calls
    return ValuesNeeded(frozenset(keys), frozenset(calls), tuple(dict.fromkeys(marks)))


def _locate(
    module: cst.Module,
    source: str,
    reports: Sequence[tuple[str, cst.CSTNode | ast.AST, str]],
    shown: str,
    rules: RuleSet,
) -> list[Finding]:
    # LibCST's positions cost a code generation pass, so only files with
    # LibCST nodes reported pay it; CPython's tree has its own.
    syntax_nodes = [node for _, node, _ in reports if isinstance(node, ast.AST)]
    placed = dict(
        zip(map(id, syntax_nodes), syntax_ranges(source, syntax_nodes), strict=True)
    )
    positions = positions_of(module) if len(syntax_nodes) < len(reports) else None
    findings = []
    for code, node, message in reports:
        if isinstance(node, ast.AST):
            where = placed[id(node)]
        else:
            assert positions is not None
            where = positions[node]
        findings.append(
            Finding(
                path=shown,
                line=where.start.line,
                column=where.start.column + 1,
                code=code,
                message=message,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                rule=rules.names.get(code, code),
            )
        )
    return findings
