"""`guardrails check`: configuration, files, engine, formatter, exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from guardrails.config import load_config
from guardrails.engine.cache import Cache
from guardrails.engine.catalogue import build_catalogue, selected_infos
from guardrails.engine.fixes import apply_fixes, plan_fixes, stopped_cleanly
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.pathnames import display_path, matches_any, relative_posix
from guardrails.report import FORMATTERS, STATISTICS_FORMATTERS, text
from guardrails.report.next_steps import installed_package, next_steps, sync_command
from guardrails.targets import target_paths
from guardrails.terminal import printable
from guardrails.types import CheckResult, Finding, UsageError


def _refuse_output_over_checked_file(output: Path, files: Sequence[Path]) -> None:
    """`--output` naming a checked file (through a link too) would replace source
    code by a report; refused before anything is written."""
    if output.is_dir():
        raise UsageError(f"--output {output}: is a directory")
    try:
        target = output.stat()
    except OSError:
        return  # a new file, or one that cannot be written (reported when writing)
    for file in files:
        try:
            same = os.path.samestat(target, file.stat())
        except OSError:
            continue
        if same:
            raise UsageError(f"--output {output}: is one of the checked files")


def _colour_wanted() -> bool:
    """Colour on a terminal only, unless NO_COLOR (no-color.org) says otherwise;
    FORCE_COLOR asks for it anywhere."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def _location(finding: Finding) -> str:
    place = f"{finding.path}:{finding.line}:{finding.column}"
    return f"{place}: {finding.code} {finding.message}"


def run_check(args: argparse.Namespace) -> int:
    """Exit status: 0 no findings (or `--exit-zero`), 1 findings; usage errors raise."""
    if args.statistics and args.format not in STATISTICS_FORMATTERS:
        supported = " or ".join(STATISTICS_FORMATTERS)
        raise UsageError(f"--statistics works with --format {supported} only")
    cwd = Path.cwd()
    config = load_config(args.config)
    targets = target_paths(args.paths, args.package)
    files = collect_files(
        targets, config.root, config.all_excludes, force_exclude=args.force_exclude
    )
    # ONNX models named on the command line (pre-commit passes staged ones) are
    # GR405's to judge, never Python source to parse.
    files = [
        file
        for file in files
        if not matches_any(relative_posix(file, config.root), config.artifact_patterns)
    ]
    if args.output is not None:
        _refuse_output_over_checked_file(args.output, files)
    # The command line's --select replaces the configured one; ignores add up.
    # The rule catalogue comes from the cache when it can: no rule is imported
    # (nor LibCST) unless some file has to be parsed.
    cache = None if args.no_cache else Cache.at(config.root)
    catalogue = cache.catalogue() if cache is not None else build_catalogue()
    config.refuse_unknown_codes([info.code for info in catalogue])
    rules = selected_infos(
        catalogue,
        args.select if args.select is not None else config.select,
        [*config.ignore, *(args.ignore or [])],
        extend=config.extend_select if args.select is None else (),
    )
    run_cache = (
        cache.for_run(config, [rule.code for rule in rules])
        if cache is not None
        else None
    )

    def check() -> CheckResult:
        result = check_files(
            files,
            config,
            rules,
            cwd,
            cache=run_cache,
            known_codes=[info.code for info in catalogue],
            targets=targets,
        )
        # Bad-input findings (GR0) come from the engine itself; an ignored one
        # stays out.
        selected = {rule.code for rule in rules}
        return replace(
            result, findings=[f for f in result.findings if f.code in selected]
        )

    result = check()
    if args.fix:
        with stopped_cleanly():
            written, problems = apply_fixes(
                plan_fixes(result.findings, files, config, cwd, rules)
            )
        for plan in written:
            for finding in plan.findings:
                print(f"Fixed {printable(_location(finding))}", file=sys.stderr)
        for problem in problems:
            print(
                f"guardrails: warning: {printable(problem)} (not fixed)",
                file=sys.stderr,
            )
        if written:
            result = check()  # what remains
    if args.add_ignore is not None:
        from guardrails.add_ignore import add_ignores

        if add_ignores(result.findings, files, cwd, reason=args.add_ignore):
            result = check()  # what remains
    fixable = plan_fixes(result.findings, files, config, cwd, rules)
    result = replace(
        result,
        fixable=frozenset(finding for plan in fixable for finding in plan.findings),
    )
    for note in result.notes:
        print(f"guardrails: note: {printable(note)}", file=sys.stderr)
    if not files and config.excludes_configured and not args.force_exclude:
        # `exclude = ["**"]` passes: say that nothing was checked.
        print(
            "guardrails: warning: no file was checked (is everything excluded?)",
            file=sys.stderr,
        )

    formatters = STATISTICS_FORMATTERS if args.statistics else FORMATTERS
    if args.format == "text" and args.output is None and _colour_wanted():
        coloured = text.render_statistics if args.statistics else text.render
        report = coloured(result, rules, cwd, colour=True)
    else:
        report = formatters[args.format](result, rules, cwd)
    if args.format == "text":
        # An installed package's flags are adopted in its own repository.
        source = installed_package(args.package)
        installed = (args.package, display_path(source, cwd)) if source else None
        report += "".join(
            f"{printable(step)}\n"
            for step in next_steps(
                result.findings,
                allowlist=config.allowlist_path,
                allowlist_shown=display_path(config.allowlist_path, cwd),
                sync=sync_command(args.paths, args.package),
                statistics=args.statistics,
                installed=installed,
            )
        )
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8", errors="backslashreplace")
        except OSError as error:
            raise UsageError(
                f"{args.output}: cannot write: {error.strerror or error}"
            ) from None
    else:
        sys.stdout.write(report)
    return 1 if result.findings and not args.exit_zero else 0
