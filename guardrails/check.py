"""`guardrails check`: configuration, files, engine, formatter, exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guardrails.cli import target_paths
from guardrails.config import load_config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_project
from guardrails.findings import UsageError
from guardrails.report import FORMATTERS
from guardrails.report.text import render_statistics
from guardrails.rules import select_rules


def run_check(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    config = load_config(args.config)
    rules = select_rules(
        args.select if args.select is not None else config.select,
        [*config.ignore, *(args.ignore or [])],
    )
    files = collect_files(
        target_paths(args.paths, args.package), config.root, config.all_excludes
    )
    result = check_project(files, config, rules, cwd)

    report = FORMATTERS[args.format](result, rules)
    if args.statistics:
        report = render_statistics(result, rules) + (
            report if args.format != "text" else report.splitlines(keepends=True)[-1]
        )
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{args.output}: cannot write: {error.strerror}") from None
    else:
        sys.stdout.write(report)
    return 1 if result.findings and not args.exit_zero else 0
