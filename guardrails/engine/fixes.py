"""`guardrails check --fix`: the safe fixes of rules judged from the text alone.

A rule with a `source_fix` (GR404) turns a file's bytes into its fixed text, or
says no safe fix exists. Fixes are worked out from each file's bytes as they are
now, so a cached finding never fixes a file that changed since; a file is written
only with `--fix`, through a temporary file renamed over it.
"""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from guardrails import atomic
from guardrails.config import Config
from guardrails.engine.catalogue import RuleInfo, source_fix
from guardrails.pathnames import display_path, relative_posix
from guardrails.types import Finding


@dataclass(frozen=True)
class FixPlan:
    """A file's fixed text and the findings the fix removes."""

    path: Path
    text: str
    findings: tuple[Finding, ...]


def _read_regular(path: Path) -> bytes | None:
    try:
        # Never a FIFO or a device: reading one may block forever.
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return path.read_bytes()
    except OSError:
        return None


def plan_fixes(
    findings: Iterable[Finding],
    files: Sequence[Path],
    config: Config,
    cwd: Path,
    rules: Sequence[RuleInfo],
) -> list[FixPlan]:
    """The safe fixes for these findings, file by file; nothing is written."""
    fixers = {info.code: info.source_fix for info in rules if info.source_fix}
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.code in fixers:
            by_file.setdefault(finding.path, []).append(finding)
    if not by_file:
        return []
    paths = {display_path(path, cwd): path for path in files}
    plans = []
    for shown, found in by_file.items():
        path = paths.get(shown)
        data = _read_regular(path) if path is not None else None
        if path is None or data is None:
            continue
        relative = relative_posix(path, config.root)
        text = None
        fixed = set()
        for code in sorted({finding.code for finding in found}):
            try:
                new_text = source_fix(fixers[code])(data, path, relative, config)
            except UnicodeError:  # a file name that is not UTF-8: no marker
                new_text = None
            if new_text is not None:
                text, data = new_text, new_text.encode("utf-8")
                fixed.add(code)
        if text is not None:
            plans.append(
                FixPlan(path, text, tuple(f for f in found if f.code in fixed))
            )
    return plans


def _refusal(path: Path) -> str | None:
    """Why a file is not rewritten: a fix replaces it by a new file (renamed
    over it), which would drop its other hard links and write what its owner
    made read-only."""
    try:
        info = os.stat(atomic.link_target(path))
    except OSError as error:
        return f"cannot write: {error.strerror or error}"
    if info.st_nlink > 1:
        return "has other hard links"
    if not info.st_mode & stat.S_IWUSR:
        return "is read-only"
    return None


class _StopRequest:
    """Set by SIGTERM while fixes are written; read between two files."""

    requested = False


@contextmanager
def stopped_cleanly() -> Iterator[None]:
    """SIGTERM while fixes are written ends the run as Ctrl-C does, but only
    between two files: the file being written is finished (it is replaced
    whole), so no `.tmp` file is left beside a source, as it would be if the
    process vanished, or stopped, halfway through a write."""

    def stop(signum: int, frame: object) -> None:
        _StopRequest.requested = True

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
    if _StopRequest.requested:
        _StopRequest.requested = False
        raise KeyboardInterrupt


def apply_fixes(plans: Sequence[FixPlan]) -> tuple[list[FixPlan], list[str]]:
    """Write each fixed file atomically; returns the fixes written and a
    one-line problem for each file that could not be written."""
    written = []
    problems = []
    for plan in plans:
        if _StopRequest.requested:
            _StopRequest.requested = False
            raise KeyboardInterrupt  # SIGTERM (`stopped_cleanly`): stop here
        refused = _refusal(plan.path)
        if refused is not None:
            problems.append(f"{plan.path}: {refused}")
            continue
        try:
            atomic.write_atomically(plan.path, plan.text)
        except OSError as error:
            problems.append(f"{plan.path}: cannot write: {error.strerror or error}")
            continue
        written.append(plan)
    return written, problems
