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
from guardrails.report import FORMATTERS, STATISTICS_FORMATTERS
from guardrails.rules import select_rules


def run_check(args: argparse.Namespace) -> int:
    """Exit status: 0 no findings (or `--exit-zero`), 1 findings; usage errors raise."""
    if args.statistics and args.format not in STATISTICS_FORMATTERS:
        supported = " or ".join(STATISTICS_FORMATTERS)
        raise UsageError(f"--statistics works with --format {supported} only")
    cwd = Path.cwd()
    config = load_config(args.config)
    # The command line's --select replaces the configured one; ignores add up.
    rules = select_rules(
        args.select if args.select is not None else config.select,
        [*config.ignore, *(args.ignore or [])],
    )
    files = collect_files(
        target_paths(args.paths, args.package), config.root, config.all_excludes
    )
    result = check_project(files, config, rules, cwd)

    formatters = STATISTICS_FORMATTERS if args.statistics else FORMATTERS
    report = formatters[args.format](result, rules, cwd)
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as error:
            raise UsageError(
                f"{args.output}: cannot write: {error.strerror or error}"
            ) from None
    else:
        sys.stdout.write(report)
    return 1 if result.findings and not args.exit_zero else 0
