"""`guardrails allowlist sync`: scan the files with the check's engine, add an
entry for each flag no entry covers (copied from jax2onnx's own skip lists when
one covers it, else with reason "baseline"), with `--prune` drop stale entries."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from guardrails.allowlist.model import (
    CheckedFile,
    Entry,
    EntryIndex,
    FlaggedTestcase,
    checked_file,
)
from guardrails.allowlist.staleness import FlagIndex, stale_entries
from guardrails.allowlist.toml_text import (
    append_entries,
    load_allowlist,
    parse_allowlist,
    remove_entries,
    render_allow,
    write_atomically,
)
from guardrails.analysis.harness import WILDCARD
from guardrails.pathnames import display_path
from guardrails.targets import installed_package_folder
from guardrails.terminal import printable
from guardrails.types import UsageError

if TYPE_CHECKING:
    from guardrails.allowlist.model import Allowlist
    from guardrails.config import Config

BASELINE_REASON = "baseline"


@dataclass(frozen=True)
class SyncPlan:
    added: tuple[tuple[FlaggedTestcase, str], ...]  # (flagged testcase, its file)
    stale: tuple[Entry, ...]
    text: str  # the allowlist after the change
    # Entries copied from jax2onnx's own skip lists (`upstream` of `plan_sync`).
    imported: tuple[Entry, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added) or bool(self.stale) or bool(self.imported)


def plan_sync(
    allowlist: Allowlist,
    checked: Sequence[CheckedFile],
    root: Path,
    prune: bool,
    upstream: Sequence[Entry] = (),
) -> SyncPlan:
    """New entries for the flags no entry covers: copied from `upstream` (the
    entries of jax2onnx's own skip lists) when one covers the flag, with its
    reason, else a `baseline` entry; with `prune`, stale entries removed."""
    added: list[tuple[FlaggedTestcase, str]] = []
    imported: list[Entry] = []
    planned = EntryIndex()
    upstream_index = EntryIndex(upstream)
    blocks: list[str] = []
    for file in checked:
        for flagged in file.flagged:
            if allowlist.covers(flagged) or planned.covering(flagged):
                continue
            source = upstream_index.covering(flagged)
            if source is None:
                entry = Entry(
                    flagged.flag,
                    flagged.context,
                    flagged.component,
                    flagged.testcase,
                    BASELINE_REASON,
                    file.relative_path,
                    0,
                )
                added.append((flagged, file.relative_path))
                blocks.append(render_allow(entry, every_key=True))
            else:
                # A whole context's entry belongs to no one file.
                whole = (source.component, source.testcase) == (WILDCARD, WILDCARD)
                entry = replace(
                    source, file=None if whole else file.relative_path, line=0
                )
                imported.append(entry)
                blocks.append(render_allow(entry))
            planned.add(entry)
    stale = tuple(stale_entries(allowlist, checked, root)) if prune else ()
    text = remove_entries(allowlist.text, (entry.line for entry in stale))
    text = append_entries(text, blocks)
    return SyncPlan(tuple(added), stale, text, tuple(imported))


def scan(
    files: Sequence[Path], config: Config, cwd: Path
) -> tuple[list[CheckedFile], list[str]]:
    """Every flagged testcase in `files`, read by the check engine's collector;
    also the one-line reasons files could not be analysed."""
    from guardrails.engine.catalogue import RuleSet
    from guardrails.engine.file_check import job_for
    from guardrails.engine.parallel import check_jobs
    from guardrails.rules import selected_rules
    from guardrails.rules.testcase_metadata import COLLECTOR_NAME

    # GR301 brings the flag collector; the always-on GR0 rules say which files
    # could not be read or parsed, to warn that their flags are not synced.
    rules = RuleSet(selected_rules(["GR301"], ()))
    jobs = [job_for(path, config, cwd) for path in files]
    # The engine's worker pool, as `check` uses it; results come in any order.
    results = dict(check_jobs(jobs, config, rules, None))
    checked = []
    problems = []
    for path, job in zip(files, jobs, strict=True):
        result = results[job]
        facts = result.facts.get(COLLECTOR_NAME)
        problems += [
            f"{finding.path}:{finding.line}: {finding.message}"
            for finding in result.findings
        ]
        checked.append(checked_file(path, facts, config.root))
    return checked, problems


def _refuse_allowlist_outside(config: Config) -> None:
    """`sync` writes the allowlist, so only inside the configuration's folder
    (links followed): `allowlist = "../../etc/x"` names no file of the project."""
    path = os.path.realpath(config.allowlist_path)
    if not Path(path).is_relative_to(os.path.realpath(config.root)):
        shown = display_path(config.allowlist_path, Path.cwd())
        raise UsageError(
            f"{shown}: the allowlist is outside {config.root}; sync writes "
            "only inside the project"
        )


def _text_now(path: Path) -> str | None:
    """The allowlist's text as it is now ("" when missing, None if unreadable)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None


def _say(text: str, file: TextIO | None = None) -> None:
    """A line quoting testcase ids and paths from the checked files: shown with
    its control characters escaped, never obeyed (`terminal`)."""
    print(printable(text), file=file)


def _refuse_installed_flags(
    files: Sequence[Path], checked: Sequence[CheckedFile], cwd: Path
) -> None:
    """Flags of an installed package (`--package jax2onnx`, or a path into a
    virtual environment) are that package's to allow, in a checkout of its
    repository: written into the project at hand, they would fill its allowlist
    (guardrails' own, in guardrails' clone) with entries of an environment.
    `--allowlist FILE` writes them all the same."""
    installed = [
        folder
        for path, file in zip(files, checked, strict=True)
        if file.flagged and (folder := installed_package_folder(path)) is not None
    ]
    if not installed:
        return
    count = sum(len(file.flagged) for file in checked if file.flagged)
    raise UsageError(
        f"{count} flagged testcases lie in an installed package "
        f"({display_path(installed[0], cwd)}), not in this project: "
        "adopt them in a checkout of its repository (`guardrails allowlist sync .` "
        "there), or name the allowlist to write with --allowlist FILE"
    )


def run_sync(args: argparse.Namespace) -> int:
    """`guardrails allowlist sync [PATH ...] [--package NAME] [--prune]`."""
    from guardrails.allowlist.upstream_skip_lists import skip_lists
    from guardrails.config import load_config
    from guardrails.engine.paths import collect_files
    from guardrails.targets import target_paths

    cwd = Path.cwd()
    config = load_config(args.config)
    files = collect_files(
        target_paths(args.paths, args.package), config.root, config.all_excludes
    )
    if args.allowlist is None:
        _refuse_allowlist_outside(config)
    allowlist_path = args.allowlist or config.allowlist_path
    allowlist = load_allowlist(allowlist_path)
    checked, problems = scan(files, config, cwd)
    if args.allowlist is None:
        _refuse_installed_flags(files, checked, cwd)
    for problem in problems:
        _say(
            f"guardrails: warning: {problem} (its flags are not synced)",
            file=sys.stderr,
        )

    # jax2onnx's own skip lists: copied in with their reasons (one allowlist).
    upstream = skip_lists(config)
    if upstream.note is not None:
        _say(f"guardrails: warning: {upstream.note}", file=sys.stderr)
    plan = plan_sync(allowlist, checked, config.root, args.prune, upstream.entries)
    shown = display_path(allowlist_path, cwd)
    for flagged, file in plan.added:
        _say(f"+ {flagged.flag} {flagged.identity} ({file}:{flagged.line})")
    for entry in plan.imported:
        _say(f"+ {entry.describe()} ({entry.reason})")
    flags = FlagIndex([flagged for file in checked for flagged in file.flagged])
    unused = [entry for entry in upstream.entries if not flags.covered_by(entry)]
    if unused:
        _say(
            f"{len(unused)} entries of {config.upstream_skip_lists} cover no flagged "
            "testcase among these files (not imported)"
        )
    for entry in plan.stale:
        _say(f"- {entry.describe()} ({shown}:{entry.line})")
    if not args.prune:
        kept = stale_entries(allowlist, checked, config.root)
        if kept:
            _say(f"{len(kept)} stale entries kept (use --prune to remove them)")
    if not plan.changed:
        _say(f"{shown}: up to date ({len(allowlist.entries)} entries)")
        return 0
    # Check that what is about to be written reads back, before replacing the file.
    parse_allowlist(allowlist_path, plan.text)
    # An entry added by hand while the files were scanned would be lost.
    if _text_now(allowlist_path) != allowlist.text:
        raise UsageError(
            f"{shown}: changed while sync ran; nothing written, run it again"
        )
    write_atomically(allowlist_path, plan.text)
    added = len(plan.added) + len(plan.imported)
    _say(
        f"{shown}: added {added}, removed {len(plan.stale)}, "
        f"{len(allowlist.entries) + added - len(plan.stale)} entries"
    )
    return 0
