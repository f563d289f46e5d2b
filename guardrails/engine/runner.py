"""Check files: cache, read, pre-scan, parse once (in parallel), project rules.

Per file: a cached result for the same content, configuration, rules and tool
source is reused as is; otherwise the file is read and pre-scanned, and only if a
selected rule's pre-scan matches is it parsed (LibCST, imported lazily) and walked
once with every active rule. Files no rule could match are still syntax-checked
by CPython's compiler (C-fast), so a syntax error is never lost to a pre-scan.
Project rules combine every file's JSON facts, from the cache or fresh.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.engine.catalogue import RuleInfo, RuleSet
from guardrails.engine.nesting import CPythonVerdict, cpython_verdict
from guardrails.engine.paths import display_path, matches_any, relative_posix
from guardrails.engine.source import Unreadable, read_source
from guardrails.engine.suppressions import (
    Suppression,
    codes_by_line,
    is_suppressed,
    silenced_codes,
    split_suppressed,
    suppression_findings,
    suppressions_of,
)
from guardrails.types import Finding

if TYPE_CHECKING:
    from guardrails.engine.cache import RunCache
    from guardrails.rules.base import JSON, Rule

SYNTAX_ERROR = "GR001"
UNREADABLE = "GR002"


@dataclass
class FileResult:
    """Everything one file contributes; JSON-friendly so it can be cached."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[JSON]] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    # Line -> codes of the findings suppressions silenced there: which were used.
    silenced: dict[int, list[str]] = field(default_factory=dict)
    # False when the file could not be read or parsed: no rule ran on it, so
    # none of its suppressions can be called unused.
    analysed: bool = True


@dataclass
class CheckResult:
    findings: list[Finding]
    files_checked: int
    # One-line notes for stderr (what a rule could not judge).
    notes: list[str] = field(default_factory=list)
    # The findings `check --fix` can fix (text output marks them `[*]`).
    fixable: frozenset[Finding] = frozenset()


@dataclass(frozen=True)
class FileJob:
    """A file to check, named as the report shows it and as globs see it."""

    path: Path
    shown: str
    relative: str
    cache_key: str | None = None


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
    from guardrails.engine.walk import parse

    parsed = parse(source, shown, rules.names, verdict)
    if isinstance(parsed, Finding):
        result.findings.append(parsed)


def check_job(job: FileJob, config: Config, rules: RuleSet) -> FileResult:
    """One file's findings, facts and suppressions. Never raises on bad input."""
    result = FileResult(path=job.shown)
    source = read_source(job.path)
    if isinstance(source, Unreadable):
        result.findings.append(
            bad_input(UNREADABLE, rules.names, job.shown, source.line, 1, source.reason)
        )
    else:
        result.suppressions = suppressions_of(source)
        result.findings += rules.source_findings(
            source, job.path, job.relative, job.shown, config
        )
        candidates = rules.scan(source)
        verdict = syntax = None
        if candidates:
            # CPython's tree, in a fraction of LibCST's time: it keeps over-nested
            # sources from LibCST, and the syntax pre-scans ask it what is there.
            verdict = cpython_verdict(source)
            if verdict.tree is not None:
                syntax = FileSyntax(verdict.tree)
                candidates = rules.refine(candidates, syntax, config)
        if candidates:
            from guardrails.engine.walk import analyse
            from guardrails.rules.base import FileInfo

            file = FileInfo(
                job.path,
                job.shown,
                job.relative,
                config,
                # The absolute path too: `**/jax2onnx/plugins/**` must find the
                # installed package checked from inside it, with no configuration.
                matches_any(job.relative, config.ir_only_paths)
                or matches_any(job.path.as_posix(), config.ir_only_paths),
            )
            analyse(source, file, rules, candidates, result, verdict, syntax)
        else:
            check_syntax(source, job.shown, rules, result, verdict)
    result.analysed = not any(
        f.code in (SYNTAX_ERROR, UNREADABLE) for f in result.findings
    )
    result.findings, silenced = split_suppressed(
        (f for f in result.findings if f.code in rules.codes),
        codes_by_line(result.suppressions),
    )
    result.silenced = silenced_codes(silenced)
    # Facts go through JSON here too, so project rules see the same values
    # whether they come fresh or from the cache.
    result.facts = json.loads(json.dumps(result.facts)) if result.facts else {}
    return result


def job_for(path: Path, config: Config, cwd: Path) -> FileJob:
    return FileJob(path, display_path(path, cwd), relative_posix(path, config.root))


def check_file(
    path: Path, config: Config, rules: Sequence[type[Rule] | RuleInfo], cwd: Path
) -> FileResult:
    return check_job(job_for(path, config, cwd), config, RuleSet(rules))


def check_project(
    files: Sequence[Path],
    config: Config,
    rules: Sequence[type[Rule] | RuleInfo],
    cwd: Path,
    *,
    cache: RunCache | None = None,
    jobs: int | None = None,
    use_prescan: bool = True,
    known_codes: Collection[str] | None = None,
    targets: Sequence[Path] = (),
) -> CheckResult:
    """Every file's findings plus the project rules', sorted and deduplicated.

    `cache`: reuse and store per-file results; `jobs`: worker processes (None:
    decided by how much there is to parse); `use_prescan=False` walks every file
    with every rule (the pre-scans' own test); `known_codes`: every rule's code,
    selected or not, which suppressions may name (None: from the rule classes);
    `targets`: the paths the check was asked for, where project rules that look
    past the Python files (GR405's git index) start (empty: the config root).
    """
    ruleset = RuleSet(rules, use_prescan=use_prescan)
    every_job = [job_for(path, config, cwd) for path in files]
    if cache is not None:
        every_job = [cache.keyed(job) for job in every_job]
    results: dict[FileJob, FileResult] = {}
    pending: list[FileJob] = []
    for job in every_job:
        cached = cache.load_file(job) if cache is not None else None
        if cached is not None:
            results[job] = cached
        else:
            pending.append(job)

    if pending:
        from guardrails.engine.parallel import check_jobs

        for job, result in check_jobs(pending, config, ruleset, jobs):
            results[job] = result
            if cache is not None:
                cache.store_file(job, result)

    ordered = [results[job] for job in every_job]
    notes: list[str] = []
    findings = [finding for result in ordered for finding in result.findings]
    project_silenced: list[Finding] = []
    if ruleset.has_project_rules:
        kept, project_silenced = _project_findings(
            files, config, ruleset, ordered, targets, cwd, notes
        )
        findings += kept
    findings += _suppression_findings(ordered, project_silenced, ruleset, known_codes)
    return CheckResult(
        findings=sorted(set(findings)), files_checked=len(files), notes=notes
    )


def _suppression_findings(
    results: Sequence[FileResult],
    project_silenced: Sequence[Finding],
    rules: RuleSet,
    known_codes: Collection[str] | None,
) -> list[Finding]:
    """GR003/GR004, once every finding is known: a suppression may be used only
    by a project rule's finding, and a cached file's suppressions are judged
    against this run's findings."""
    with_suppressions = [result for result in results if result.suppressions]
    if not with_suppressions:
        return []
    if known_codes is None:
        from guardrails.rules import all_rules

        known_codes = [rule.code for rule in all_rules()]
    by_path: dict[str, list[Finding]] = {}
    for finding in project_silenced:
        by_path.setdefault(finding.path, []).append(finding)
    found: list[Finding] = []
    for result in with_suppressions:
        silenced = {line: list(codes) for line, codes in result.silenced.items()}
        for line, codes in silenced_codes(by_path.get(result.path, [])).items():
            silenced.setdefault(line, []).extend(codes)
        found += suppression_findings(
            result.path,
            result.suppressions,
            silenced,
            known=known_codes,
            selected=rules.codes,
            names=rules.names,
            analysed=result.analysed,
        )
    return found


def _project_findings(
    files: Sequence[Path],
    config: Config,
    rules: RuleSet,
    results: Sequence[FileResult],
    targets: Sequence[Path],
    cwd: Path,
    notes: list[str],
) -> tuple[list[Finding], list[Finding]]:
    """Project rules run every time, over every checked file's facts (cached or
    fresh): they may also read the checked files, the allowlist and the files it
    names, so no cache key short of all of that would be safe. Returns the
    findings kept and those suppressions silenced; a rule's notes go to `notes`."""
    from guardrails.rules.base import ProjectContext

    project = ProjectContext(
        config=config,
        facts={result.path: result.facts for result in results},
        checked_files=files,
        targets=targets,
        cwd=cwd,
        notes=notes,
    )
    suppressions = {
        result.path: codes_by_line(result.suppressions)
        for result in results
        if result.suppressions
    }
    kept: list[Finding] = []
    silenced: list[Finding] = []
    for rule in rules.project_rules():
        for finding in rule.check_project(project):
            if finding.code not in rules.codes:
                continue
            here = suppressions.get(finding.path, {})
            if is_suppressed(finding.code, finding.line, here):
                silenced.append(finding)
            else:
                kept.append(finding)
    return kept, silenced
