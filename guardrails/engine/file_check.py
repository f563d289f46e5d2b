"""Check one file: read, pre-scan, parse once if a rule could match, walk once.

The file is read and pre-scanned, and only if a selected rule's pre-scan
matches is it parsed (LibCST, imported lazily with `engine.walk`) and walked once
with every active rule. Files no rule could match are still syntax-checked by
CPython's compiler (C-fast), so a syntax error is never lost to a pre-scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.engine.catalogue import RuleSet
from guardrails.engine.identifiers import normalised_identifiers
from guardrails.engine.nesting import cpython_verdict
from guardrails.engine.suppressions import (
    codes_by_line,
    silenced_codes,
    split_suppressed,
    suppressions_of,
)
from guardrails.engine.syntax import SYNTAX_ERROR, UNREADABLE, bad_input, check_syntax
from guardrails.pathnames import display_path, relative_posix
from guardrails.text.source import Unreadable, read_source
from guardrails.types import FileRef, FileResult


@dataclass(frozen=True)
class FileJob(FileRef):
    """A file to check, with the cache key of its bytes once the cache gave one."""

    cache_key: str | None = None


def job_for(path: Path, config: Config, cwd: Path) -> FileJob:
    return FileJob(path, display_path(path, cwd), relative_posix(path, config.root))


def check_job(job: FileJob, config: Config, rules: RuleSet) -> FileResult:
    """One file's findings, facts and suppressions. Never raises on bad input."""
    result = FileResult(path=job.display_path)
    source = read_source(job.path)
    if isinstance(source, Unreadable):
        result.findings.append(
            bad_input(
                UNREADABLE, rules.names, job.display_path, source.line, 1, source.reason
            )
        )
    else:
        result.suppressions = suppressions_of(source)
        result.findings += rules.source_findings(
            source, job.path, job.relative_path, job.display_path, config
        )
        # The rules compare names as Python binds them (fullwidth `onnx` is `onnx`).
        source = normalised_identifiers(source)
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
                job.display_path,
                job.relative_path,
                config,
            )
            analyse(source, file, rules, candidates, result, verdict, syntax)
        else:
            check_syntax(source, job.display_path, rules, result, verdict)
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
