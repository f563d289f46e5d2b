"""Check files: read, pre-scan, parse once, walk once with every rule, locate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from guardrails.analysis.imports import ImportTracker, imports_of
from guardrails.config import Config
from guardrails.engine.paths import display_path, matches_any, relative_posix
from guardrails.engine.source import Unreadable, locate_syntax_error, read_source
from guardrails.engine.suppressions import is_suppressed, suppressions_of
from guardrails.findings import Finding
from guardrails.rules import rule_by_code
from guardrails.rules.base import (
    JSON,
    FactCollector,
    FileContext,
    FileInfo,
    ProjectContext,
    Rule,
)

SYNTAX_ERROR = "GR001"
UNREADABLE = "GR002"


@dataclass
class FileResult:
    """Everything one file contributes; JSON-friendly so it can be cached."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[JSON]] = field(default_factory=dict)
    suppressions: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class CheckResult:
    findings: list[Finding]
    files_checked: int


def _bad_input(code: str, path: str, line: int, column: int, message: str) -> Finding:
    rule = rule_by_code(code)
    return Finding(
        path=path,
        line=line,
        column=column,
        code=code,
        message=message,
        end_line=line,
        end_column=column,
        rule=rule.name if rule else code,
    )


def _parse(source: str, shown: str) -> cst.Module | Finding:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        problem = locate_syntax_error(
            source, error.message, error.raw_line, error.raw_column + 1
        )
        message = f"syntax error: {problem.message}"
        return _bad_input(SYNTAX_ERROR, shown, problem.line, problem.column, message)
    except RecursionError:
        return _bad_input(
            SYNTAX_ERROR, shown, 1, 1, "syntax error: nesting too deep to parse"
        )
    except Exception as error:  # the parser's own failures must not end the run
        return _bad_input(SYNTAX_ERROR, shown, 1, 1, f"cannot parse file: {error}")


def check_file(
    path: Path, config: Config, rules: Sequence[type[Rule]], cwd: Path
) -> FileResult:
    shown = display_path(path, cwd)
    result = FileResult(path=shown)
    source = read_source(path)
    if isinstance(source, Unreadable):
        result.findings.append(
            _bad_input(UNREADABLE, shown, source.line, 1, source.reason)
        )
        return result

    relative = relative_posix(path, config.root)
    file = FileInfo(
        path, shown, relative, config, matches_any(relative, config.ir_only_paths)
    )
    result.suppressions = suppressions_of(source)

    def wanted(unit: type[Rule] | type[FactCollector]) -> bool:
        return unit.prescan is None or unit.prescan.search(source) is not None

    active = [rule for rule in rules if rule.applies_to(file) and wanted(rule)]
    collectors = {
        rule.collector
        for rule in rules
        if rule.collector is not None and wanted(rule.collector)
    }
    if not active and not collectors:
        return result

    module = _parse(source, shown)
    if isinstance(module, Finding):
        result.findings.append(module)
        return result

    context = FileContext(file, source, module, imports_of(module))
    visitors: list[cst.BatchableCSTVisitor] = [ImportTracker(context.imports)]
    visitors += [
        collector(context) for collector in sorted(collectors, key=lambda c: c.name)
    ]
    visitors += [rule(context) for rule in active]
    try:
        cst.visit_batched(module, visitors)
    except RecursionError:
        result.findings.append(
            _bad_input(SYNTAX_ERROR, shown, 1, 1, "nesting too deep to analyse")
        )
        return result
    result.facts = context.facts
    if context.reports:
        result.findings += _locate(module, context.reports, shown)
    result.findings = [
        f
        for f in result.findings
        if not is_suppressed(f.code, f.line, result.suppressions)
    ]
    return result


def _locate(
    module: cst.Module, reports: list[tuple[str, cst.CSTNode, str]], shown: str
) -> list[Finding]:
    # Positions cost a full metadata pass, so only files with findings pay it.
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    findings = []
    for code, node, message in reports:
        where = positions[node]
        rule = rule_by_code(code)
        findings.append(
            Finding(
                path=shown,
                line=where.start.line,
                column=where.start.column + 1,
                code=code,
                message=message,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                rule=rule.name if rule else code,
            )
        )
    return findings


def check_project(
    files: Sequence[Path], config: Config, rules: Sequence[type[Rule]], cwd: Path
) -> CheckResult:
    results = [check_file(path, config, rules, cwd) for path in files]
    findings = [finding for result in results for finding in result.findings]
    project = ProjectContext(
        config=config,
        facts={result.path: result.facts for result in results},
        checked_files=files,
    )
    suppressions = {result.path: result.suppressions for result in results}
    for rule in rules:
        for finding in rule.check_project(project):
            if not is_suppressed(
                finding.code, finding.line, suppressions.get(finding.path, {})
            ):
                findings.append(finding)
    return CheckResult(findings=sorted(set(findings)), files_checked=len(files))
