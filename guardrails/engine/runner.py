"""Check files: cache, each file on its own (in parallel), then project rules.

Per file: a cached result for the same content, configuration, rules and tool
source is reused as is; otherwise the file is checked (`engine.file_check`).
Project rules combine every file's JSON facts, from the cache or fresh.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.config import Config
from guardrails.engine.catalogue import RuleInfo, RuleSet
from guardrails.engine.file_check import FileJob, job_for
from guardrails.engine.suppressions import (
    codes_by_line,
    is_suppressed,
    silenced_codes,
    suppression_findings,
)
from guardrails.types import CheckResult, FileResult, Finding

if TYPE_CHECKING:
    from guardrails.engine.cache import RunCache
    from guardrails.rules.base import Rule


def check_files(
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
    index_files: list[Path] = []
    findings = [finding for result in ordered for finding in result.findings]
    project_silenced: list[Finding] = []
    if ruleset.has_project_rules:
        kept, project_silenced = _project_findings(
            files, config, ruleset, ordered, targets, cwd, notes, index_files
        )
        findings += kept
    findings += _suppression_findings(ordered, project_silenced, ruleset, known_codes)
    return CheckResult(
        findings=sorted(set(findings)),
        files_checked=len(files),
        notes=notes,
        index_files_checked=len(set(index_files)),
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
    index_files: list[Path],
) -> tuple[list[Finding], list[Finding]]:
    """Project rules run every time, over every checked file's facts (cached or
    fresh): they may also read the checked files, the allowlist and the files it
    names, so no cache key short of all of that would be safe. Returns the
    findings kept and those suppressions silenced; a rule's notes go to `notes`,
    the non-Python files it judged to `index_files`."""
    from guardrails.rules.base import ProjectContext

    project = ProjectContext(
        config=config,
        facts={result.path: result.facts for result in results},
        checked_files=files,
        targets=targets,
        cwd=cwd,
        notes=notes,
        index_files=index_files,
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
