"""The allowlist's text: reading and checking its `[[allow]]` tables, and the
edits `allowlist sync` makes. TOML readers cannot keep comments, so the text is
edited block by block: existing entries, their order and comments stay as written.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from guardrails import atomic
from guardrails.allowlist.model import Allowlist, Entry
from guardrails.analysis.harness import FLAGS, WILDCARD
from guardrails.bounded import RefusedFile, read_regular
from guardrails.pathnames import display_path
from guardrails.types import UsageError

_HEADER = re.compile(r"\s*\[\[\s*allow\s*\]\]\s*(?:#.*)?\n?\Z")
# What can open a string or a comment on a TOML line; multi-line strings first.
_STRING_OR_COMMENT = re.compile(r"\"\"\"|'''|\"(?:[^\"\\]|\\.)*\"|'[^']*'|#")
_ENTRY_KEYS = ("flag", "context", "component", "testcase", "file", "reason")
_NEW_FILE_PREAMBLE = """\
# guardrails allowlist: testcases allowed to set run_only_f32_variant or
# skip_numeric_validation (GR301, GR303). `guardrails allowlist sync` adds an
# entry with reason "baseline" for each new flag: replace it with the real reason.
"""


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
    except RecursionError:  # tomllib recurses per level of nesting
        raise UsageError(f"{shown}: invalid TOML: nested too deeply") from None
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
        raw = read_regular(path)
    except OSError as error:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: cannot read allowlist: {error.strerror}") from None
    except RefusedFile as error:
        shown = display_path(path, Path.cwd())
        raise UsageError(f"{shown}: cannot read allowlist: {error}") from None
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


def _toml_string(value: str) -> str:
    # JSON's string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def render_allow(entry: Entry, *, every_key: bool = False) -> str:
    """An entry as sync writes it; component and testcase are left out when it
    allows a whole context (unless `every_key`), `file` when it has none."""
    keys = [("flag", entry.flag), ("context", entry.context)]
    if every_key or (entry.component, entry.testcase) != (WILDCARD, WILDCARD):
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
