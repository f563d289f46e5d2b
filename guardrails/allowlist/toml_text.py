"""The testcase allowlist: which testcases may set `run_only_f32_variant` or
`skip_numeric_validation`, and why.

The file (`guardrails-allowlist.toml` beside the configuration by default) holds
`[[allow]]` tables::

    [[allow]]
    flag = "run_only_f32_variant"
    context = "primitives.lax"
    component = "add"          # optional, default "*"
    testcase = "add_const"     # exact name or glob, optional, default "*"
    file = "jax2onnx/plugins/jax/lax/add.py"  # optional: where the flag lives
    reason = "ORT has no float64 Add kernel on CPU"

An entry covers a flagged testcase when the flags are equal and context, component
and testcase match (globs with `fnmatch` rules). Leaving out component and testcase
allows a whole context, as jax2onnx does for `examples.maxtext`.

`file` scopes staleness (GR302): an entry is judged only when its file was part of
the check (or no longer exists), so a pre-commit run on a few files never calls the
rest of the allowlist stale. An entry without `file` is judged when a checked file
flags a testcase of its context and component.

A missing allowlist file is an empty allowlist: every flag is then a finding. TOML
readers cannot keep comments, so `allowlist sync` edits the text block by block:
existing entries, their order and comments stay as written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from guardrails import atomic
from guardrails.analysis.testcases import FLAGS, WILDCARD
from guardrails.engine.paths import display_path
from guardrails.types import UsageError

if TYPE_CHECKING:
    from guardrails.config import Config

BASELINE_REASON = "baseline"
_HEADER = re.compile(r"\s*\[\[\s*allow\s*\]\]\s*(?:#.*)?\n?\Z")
# What can open a string or a comment on a TOML line; multi-line strings first.
_STRING_OR_COMMENT = re.compile(r"\"\"\"|'''|\"(?:[^\"\\]|\\.)*\"|'[^']*'|#")
_ENTRY_KEYS = ("flag", "context", "component", "testcase", "file", "reason")
_NEW_FILE_PREAMBLE = """\
# guardrails allowlist: testcases allowed to set run_only_f32_variant or
# skip_numeric_validation (GR301, GR303). `guardrails allowlist sync` adds an
# entry with reason "baseline" for each new flag: replace it with the real reason.
"""


@dataclass(frozen=True)
class FlaggedTestcase:
    """The fact GR3 rules record per file: a testcase that sets a flag, located
    at the flag (1-based lines and columns)."""

    flag: str
    context: str
    component: str
    testcase: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "context": self.context,
            "component": self.component,
            "testcase": self.testcase,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlaggedTestcase:
        return cls(
            flag=str(data["flag"]),
            context=str(data["context"]),
            component=str(data["component"]),
            testcase=str(data["testcase"]),
            line=int(data["line"]),
            column=int(data["column"]),
            end_line=int(data["end_line"]),
            end_column=int(data["end_column"]),
        )

    @property
    def identity(self) -> str:
        return f"{self.context}::{self.component}::{self.testcase}"


@dataclass(frozen=True)
class Entry:
    flag: str
    context: str
    component: str
    testcase: str
    reason: str
    file: str | None
    line: int  # of the entry's `[[allow]]` header in the allowlist file

    def covers(self, flagged: FlaggedTestcase) -> bool:
        # A glob fact (`maxtext_*`) is covered only by an entry matching the glob
        # itself, i.e. one at least as wide.
        return (
            self.flag == flagged.flag
            and fnmatchcase(flagged.context, self.context)
            and fnmatchcase(flagged.component, self.component)
            and fnmatchcase(flagged.testcase, self.testcase)
        )

    def describe(self) -> str:
        where = f" in {self.file}" if self.file else ""
        return f"{self.flag} {self.context}::{self.component}::{self.testcase}{where}"


@dataclass(frozen=True)
class Allowlist:
    path: Path
    text: str  # "" when the file does not exist
    entries: tuple[Entry, ...]

    def covers(self, flagged: FlaggedTestcase) -> bool:
        return any(entry.covers(flagged) for entry in self.entries)


# ---------------------------------------------------------------------- reading


def _string_lines(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it starts inside a multi-line string."""
    inside: str | None = None
    result = []
    for line in lines:
        result.append(inside is not None)
        index = 0
        while index < len(line):
            if inside is not None:
                end = line.find(inside, index)
                if end < 0:
                    break
                inside, index = None, end + 3
                continue
            match = _STRING_OR_COMMENT.search(line, index)
            if match is None or match.group() == "#":
                break
            if match.group() in ('"""', "'''"):
                inside = match.group()
            index = match.end()
    return result


def _header_lines(lines: Sequence[str]) -> list[int]:
    """0-based indexes of the `[[allow]]` header lines."""
    in_string = _string_lines(lines)
    return [
        index
        for index, line in enumerate(lines)
        if not in_string[index] and _HEADER.match(line)
    ]


def _entry(table: Any, number: int, line: int, shown: str) -> Entry:
    where = f"{shown}:{line}: allowlist entry {number}"
    if not isinstance(table, dict):
        raise UsageError(f"{where}: must be a table")
    unknown = sorted(set(table) - set(_ENTRY_KEYS))
    if unknown:
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_ENTRY_KEYS)})"
        )
    for key, value in table.items():
        if not isinstance(value, str):
            raise UsageError(f"{where}: {key} must be a string")
    flag = table.get("flag")
    if flag not in FLAGS:
        raise UsageError(f"{where}: flag must be one of {', '.join(FLAGS)}")
    context = table.get("context", "")
    if not context.strip():
        raise UsageError(f"{where}: context must be a non-empty string")
    reason = table.get("reason", "")
    if not reason.strip():
        raise UsageError(f"{where}: reason must be a non-empty string")
    component = table.get("component", WILDCARD)
    testcase = table.get("testcase", WILDCARD)
    if not component or not testcase:
        raise UsageError(f"{where}: component and testcase must not be empty")
    file = table.get("file")
    if file is not None and not file.strip():
        raise UsageError(f"{where}: file must not be empty")
    return Entry(flag, context, component, testcase, reason, file, line)


def parse_allowlist(path: Path, text: str) -> Allowlist:
    shown = display_path(path, Path.cwd())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{shown}: invalid TOML: {error}") from None
    unknown = sorted(set(data) - {"allow"})
    if unknown:
        raise UsageError(
            f"{shown}: unknown key {unknown[0]!r} (entries are [[allow]] tables)"
        )
    tables = data.get("allow", [])
    if not isinstance(tables, list):
        raise UsageError(f"{shown}: allow must be an array of [[allow]] tables")
    headers = _header_lines(text.splitlines(keepends=True))
    if len(headers) != len(tables):
        raise UsageError(
            f"{shown}: write each entry as its own [[allow]] table "
            f"(found {len(headers)} headers for {len(tables)} entries)"
        )
    entries = tuple(
        _entry(table, number, header + 1, shown)
        for number, (table, header) in enumerate(zip(tables, headers, strict=True), 1)
    )
    return Allowlist(path, text, entries)


@lru_cache(maxsize=8)
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> Allowlist:
    try:
        raw = path.read_bytes()
    except OSError as error:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: cannot read allowlist: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: allowlist is not UTF-8") from None
    return parse_allowlist(path, text)


def load_allowlist(path: Path, *, required: bool = False) -> Allowlist:
    """The allowlist at `path`; a missing file is an empty allowlist unless the
    configuration named it (`required`), when it is a usage error."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if required:
            shown = display_path(path, Path.cwd())
            raise UsageError(f"{shown}: configured allowlist does not exist") from None
        return Allowlist(path, "", ())
    except OSError as error:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: cannot read allowlist: {error.strerror}") from None
    if not path.is_file():
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: allowlist is not a file")
    # Three rules read the allowlist per run; the stat key keeps edits visible.
    return _load_cached(path, info.st_mtime_ns, info.st_size)


# -------------------------------------------------------------------- staleness


@dataclass(frozen=True)
class CheckedFile:
    """One file of a check as the allowlist sees it."""

    relative_path: str  # posix, against `anchor` (what `file` holds)
    flagged: tuple[FlaggedTestcase, ...]
    analysed: bool  # False when its flags could not be read (syntax error)
    anchor: Path | None = None  # the folder `relative_path` starts from


@lru_cache(maxsize=4096)
def _package_parent(folder: Path) -> Path | None:
    """The folder holding the top-level package `folder` belongs to, or None
    when `folder` is no package (no `__init__.py`)."""
    if not (folder / "__init__.py").is_file():
        return None
    return _package_parent(folder.parent) or folder.parent


def allowlist_name(path: Path, root: Path) -> tuple[str, Path]:
    """How the allowlist's `file` names `path`, and the folder that name starts
    from: relative to the configuration's root when under it; otherwise relative
    to the folder holding its top-level package, so an installed package's files
    are named as in its source tree (`jax2onnx/plugins/...`), never by one
    machine's site-packages path."""
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix(), root
    parent = _package_parent(path.parent)
    if parent is None:
        return path.as_posix(), Path(path.anchor)
    return path.relative_to(parent).as_posix(), parent


def stale_entries(
    allowlist: Allowlist, checked: Sequence[CheckedFile], root: Path
) -> list[Entry]:
    """Entries that cover no flagged testcase, among those the check can judge."""
    every_flag = [flagged for file in checked for flagged in file.flagged]
    by_path = {file.relative_path: file for file in checked}
    # Where an entry's `file` may lie: the root, or beside a checked package.
    anchors = [root, *dict.fromkeys(f.anchor for f in checked if f.anchor)]
    stale = []
    for entry in allowlist.entries:
        if any(entry.covers(flagged) for flagged in every_flag):
            continue
        if _judged(entry, by_path, every_flag, anchors):
            stale.append(entry)
    return stale


def _judged(
    entry: Entry,
    by_path: Mapping[str, CheckedFile],
    every_flag: Sequence[FlaggedTestcase],
    anchors: Sequence[Path],
) -> bool:
    if entry.file is not None:
        # `./pkg/x.py` and `pkg//x.py` name the same file as `pkg/x.py`.
        file = by_path.get(PurePosixPath(entry.file).as_posix())
        if file is not None:
            return file.analysed
        target = Path(entry.file)
        if target.is_absolute():
            return not target.exists()
        return not any((anchor / target).exists() for anchor in anchors)
    return any(
        fnmatchcase(flagged.context, entry.context)
        and fnmatchcase(flagged.component, entry.component)
        for flagged in every_flag
    )


# ------------------------------------------------------------------------ writing


def _toml_string(value: str) -> str:
    # JSON's string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def render_entry(flagged: FlaggedTestcase, file: str, reason: str) -> str:
    return (
        "[[allow]]\n"
        f"flag = {_toml_string(flagged.flag)}\n"
        f"context = {_toml_string(flagged.context)}\n"
        f"component = {_toml_string(flagged.component)}\n"
        f"testcase = {_toml_string(flagged.testcase)}\n"
        f"file = {_toml_string(file)}\n"
        f"reason = {_toml_string(reason)}\n"
    )


def render_allow(entry: Entry) -> str:
    """An entry as sync writes it; component and testcase are left out when it
    allows a whole context, `file` when it has none."""
    keys = [("flag", entry.flag), ("context", entry.context)]
    if (entry.component, entry.testcase) != (WILDCARD, WILDCARD):
        keys += [("component", entry.component), ("testcase", entry.testcase)]
    if entry.file is not None:
        keys.append(("file", entry.file))
    keys.append(("reason", entry.reason))
    return "[[allow]]\n" + "".join(f"{k} = {_toml_string(v)}\n" for k, v in keys)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def remove_entries(text: str, lines_to_remove: Iterable[int]) -> str:
    """Drop the entries whose `[[allow]]` header is on these (1-based) lines, with
    the comment lines right above them; everything else stays byte for byte."""
    lines = text.splitlines(keepends=True)
    in_string = _string_lines(lines)
    headers = _header_lines(lines)
    doomed = {line - 1 for line in lines_to_remove}
    keep = [True] * len(lines)
    for position, header in enumerate(headers):
        if header not in doomed:
            continue
        start = header
        while (
            start > 0
            and not in_string[start - 1]
            and _is_comment(lines[start - 1])
            and (position == 0 or start - 1 > headers[position - 1])
        ):
            start -= 1
        limit = headers[position + 1] if position + 1 < len(headers) else len(lines)
        # The block ends after its last key line, plus the blank lines after it;
        # a comment further down belongs to what follows.
        end = header + 1
        for index in range(header + 1, limit):
            if in_string[index] or (
                lines[index].strip() and not _is_comment(lines[index])
            ):
                end = index + 1
        while end < limit and not lines[end].strip():
            end += 1
        if position + 1 < len(headers) and end == limit:
            # Leave the next entry's own leading comments in place.
            while end > header + 1 and _is_comment(lines[end - 1]):
                end -= 1
        for index in range(start, end):
            keep[index] = False
    return "".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def append_entries(text: str, blocks: Sequence[str]) -> str:
    if not blocks:
        return text
    if not text.strip():
        text = _NEW_FILE_PREAMBLE
    if not text.endswith("\n"):
        text += "\n"
    return text + "".join(f"\n{block}" for block in blocks)


def write_atomically(path: Path, text: str) -> None:
    """Replace the file (a link's target, the link kept) via a temporary file:
    a reader sees the old file or the new one, never half of one."""
    try:
        atomic.write_atomically(path, text)
    except OSError as error:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: cannot write: {error.strerror or error}") from None


# -------------------------------------------------------------------------- sync


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
    planned: list[Entry] = []
    blocks: list[str] = []
    for file in checked:
        for flagged in file.flagged:
            if allowlist.covers(flagged) or any(e.covers(flagged) for e in planned):
                continue
            source = next((e for e in upstream if e.covers(flagged)), None)
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
                blocks.append(render_entry(flagged, file.relative_path, entry.reason))
            else:
                # A whole context's entry belongs to no one file.
                whole = (source.component, source.testcase) == (WILDCARD, WILDCARD)
                entry = replace(
                    source, file=None if whole else file.relative_path, line=0
                )
                imported.append(entry)
                blocks.append(render_allow(entry))
            planned.append(entry)
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
    from guardrails.rules import select_rules
    from guardrails.rules.testcase_metadata import COLLECTOR_NAME

    # GR301 brings the flag collector; the always-on GR0 rules say which files
    # could not be read or parsed, so their entries are left alone.
    rules = RuleSet(select_rules(["GR301"], ()))
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
        name, anchor = allowlist_name(path, config.root)
        checked.append(
            CheckedFile(
                relative_path=name,
                flagged=tuple(FlaggedTestcase.from_json(fact) for fact in facts or ()),
                analysed=facts is not None or not result.findings,
                anchor=anchor,
            )
        )
    return checked, problems


def run_sync(args: argparse.Namespace) -> int:
    """`guardrails allowlist sync [PATH ...] [--package NAME] [--prune]`."""
    from guardrails.analysis.upstream_skip_lists import skip_lists
    from guardrails.config import load_config
    from guardrails.engine.paths import collect_files
    from guardrails.targets import target_paths

    cwd = Path.cwd()
    config = load_config(args.config)
    files = collect_files(
        target_paths(args.paths, args.package), config.root, config.all_excludes
    )
    allowlist = load_allowlist(config.allowlist_path)
    checked, problems = scan(files, config, cwd)
    for problem in problems:
        print(
            f"guardrails: warning: {problem} (its flags are not synced)",
            file=sys.stderr,
        )

    # jax2onnx's own skip lists: copied in with their reasons (one allowlist).
    upstream = skip_lists(config)
    if upstream.note is not None:
        print(f"guardrails: warning: {upstream.note}", file=sys.stderr)
    plan = plan_sync(allowlist, checked, config.root, args.prune, upstream.entries)
    shown = display_path(config.allowlist_path, cwd)
    for flagged, file in plan.added:
        print(f"+ {flagged.flag} {flagged.identity} ({file}:{flagged.line})")
    for entry in plan.imported:
        print(f"+ {entry.describe()} ({entry.reason})")
    unused = [
        entry
        for entry in upstream.entries
        if not any(
            entry.covers(flagged) for file in checked for flagged in file.flagged
        )
    ]
    if unused:
        print(
            f"{len(unused)} entries of {config.upstream_skip_lists} cover no flagged "
            "testcase among these files (not imported)"
        )
    for entry in plan.stale:
        print(f"- {entry.describe()} ({shown}:{entry.line})")
    if not args.prune:
        kept = stale_entries(allowlist, checked, config.root)
        if kept:
            print(f"{len(kept)} stale entries kept (use --prune to remove them)")
    if not plan.changed:
        print(f"{shown}: up to date ({len(allowlist.entries)} entries)")
        return 0
    # Check that what is about to be written reads back, before replacing the file.
    parse_allowlist(config.allowlist_path, plan.text)
    write_atomically(config.allowlist_path, plan.text)
    added = len(plan.added) + len(plan.imported)
    print(
        f"{shown}: added {added}, removed {len(plan.stale)}, "
        f"{len(allowlist.entries) + added - len(plan.stale)} entries"
    )
    return 0
