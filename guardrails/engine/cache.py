"""The result cache: `.guardrails_cache/` beside the configuration.

Layout (one JSON document per entry, so concurrent runs never share a file):

    .guardrails_cache/
      catalogue-<tool>.json         rule metadata for this guardrails source
      <run>/<file key>.json         one file's findings, facts, suppressions and
                                    the codes they silenced

`<tool>` fingerprints guardrails' own source, LibCST and the interpreter; `<run>`
adds the configuration and the selected rules; a file key adds the file's
content and the paths it is shown and matched under. Every entry is signed with
the cache's own key, bound to this checkout's copy of its key file
(`engine.cache_key`): a cache that came with a checkout, or was edited, fails
its signature and is ignored, never trusted. The folder, and each
run's folder, is used only when it is a real folder (a link would lead writes
elsewhere); the most recently used run folders are kept, the rest removed.
Every entry is written to
a private temporary file and renamed into place, so a reader sees a whole entry
or none, and two runs writing the same entry write the same bytes. An entry that
does not decode to the expected shape (truncated, corrupt, foreign) is treated
as missing and rewritten. Nothing here ever makes a check fail: a cache that
cannot be created or written is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from guardrails.atomic import write_atomically
from guardrails.bounded import read_up_to
from guardrails.config import Config
from guardrails.engine.cache_key import folder_key, sign, verified
from guardrails.engine.catalogue import RuleInfo, build_catalogue, tool_fingerprint
from guardrails.engine.file_check import FileJob
from guardrails.types import FileResult, Finding, Suppression

CACHE_FOLDER = ".guardrails_cache"
# Bumped whenever the entry format changes.
FORMAT = "3"
# Run folders kept (one per configuration, rule selection and tool version).
KEPT_RUNS = 8
# No entry is this large; a bigger file is not read (it would be read whole).
MAX_ENTRY_BYTES = 256 * 1024 * 1024
_FINDING_TEXT = ("path", "code", "message", "rule")
_FINDING_NUMBERS = ("line", "column", "end_line", "end_column")


class CorruptEntry(Exception):
    """An entry that is not what this version writes."""


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        # A file name that is not UTF-8 holds surrogates: its bytes are hashed.
        data = part.encode(errors="surrogateescape") if isinstance(part, str) else part
        # Length-prefixed, so no two different part lists hash alike.
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def _write_entry(target: Path, text: str) -> None:
    """An entry that cannot be written is simply not written."""
    with contextlib.suppress(OSError):
        write_atomically(target, text, follow_links=False, durable=False)


def _read_json(source: Path) -> Any:
    """The decoded document, or None when missing, unreadable, a link, too
    large or not JSON."""
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as stream:
            info = os.fstat(stream.fileno())
            # A FIFO would block the read forever, a device never end.
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                return None
            text = read_up_to(stream, info.st_size, MAX_ENTRY_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if len(text) > MAX_ENTRY_BYTES:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, absurd numbers, deep nesting
        return None


def _finding_from_json(data: Any) -> Finding:
    if not isinstance(data, dict) or set(data) != {
        *_FINDING_TEXT,
        *_FINDING_NUMBERS,
    }:
        raise CorruptEntry("finding")
    if not all(isinstance(data[name], str) for name in _FINDING_TEXT):
        raise CorruptEntry("finding text")
    if not all(
        type(data[name]) is int and data[name] >= 0 for name in _FINDING_NUMBERS
    ):
        raise CorruptEntry("finding position")
    return Finding.from_json(data)


def _findings_from_json(data: Any) -> list[Finding]:
    if not isinstance(data, list):
        raise CorruptEntry("findings")
    return [_finding_from_json(item) for item in data]


def _file_result_from_json(shown: str, data: Any) -> FileResult:
    if not isinstance(data, dict):
        raise CorruptEntry("entry")
    findings = _findings_from_json(data.get("findings"))
    facts = data.get("facts")
    if not isinstance(facts, dict) or not all(
        isinstance(values, list) for values in facts.values()
    ):
        raise CorruptEntry("facts")
    analysed = data.get("analysed")
    if not isinstance(analysed, bool):
        raise CorruptEntry("analysed")
    if any(finding.path != shown for finding in findings):
        raise CorruptEntry("finding for another file")
    return FileResult(
        path=shown,
        findings=findings,
        facts=facts,
        suppressions=_suppressions_from_json(data.get("suppressions")),
        silenced=_silenced_from_json(data.get("silenced")),
        analysed=analysed,
    )


def _is_codes(data: Any) -> bool:
    return isinstance(data, list) and all(isinstance(code, str) for code in data)


def _is_position(data: Any) -> bool:
    return type(data) is int and data >= 1


def _suppressions_from_json(data: Any) -> tuple[Suppression, ...]:
    if not isinstance(data, list):
        raise CorruptEntry("suppressions")
    suppressions = []
    for item in data:
        if not (
            isinstance(item, list)
            and len(item) == 5
            and all(_is_position(number) for number in item[:3])
            and _is_codes(item[3])
            and type(item[4]) is int
            and 0 <= item[4] <= item[0]
        ):
            raise CorruptEntry("suppression")
        line, column, end_column, codes, first_line = item
        suppressions.append(
            Suppression(line, column, end_column, tuple(codes), first_line)
        )
    return tuple(suppressions)


def _silenced_from_json(data: Any) -> dict[int, list[str]]:
    if not isinstance(data, dict) or not all(
        isinstance(line, str) and line.isascii() and line.isdigit() and _is_codes(codes)
        for line, codes in data.items()
    ):
        raise CorruptEntry("silenced")
    return {int(line): codes for line, codes in data.items()}


_PAYLOAD = ("findings", "facts", "suppressions", "silenced", "analysed")


def _payload_signature(key: bytes, entry_key: str, data: Any) -> str:
    """An entry carries a signature of its key and payload: one forged, altered
    in place or written under another checkout's key is not used."""
    payload = {name: data.get(name) for name in _PAYLOAD}
    return sign(key, entry_key, json.dumps(payload, sort_keys=True))


def _file_result_to_json(signing: bytes, key: str, result: FileResult) -> str:
    payload = {
        "findings": [finding.to_json() for finding in result.findings],
        "facts": result.facts,
        "suppressions": [
            [s.line, s.column, s.end_column, list(s.codes), s.first_line]
            for s in result.suppressions
        ],
        "silenced": {str(line): codes for line, codes in result.silenced.items()},
        "analysed": result.analysed,
    }
    return json.dumps(
        {"key": key, "signature": _payload_signature(signing, key, payload), **payload},
        sort_keys=True,
    )


class Cache:
    """The cache folder of one configuration root."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self.key = key

    @classmethod
    def at(cls, root: Path) -> Cache | None:
        """The cache under `root`, created if need be; None if it cannot be."""
        folder = root / CACHE_FOLDER
        try:
            if folder.is_symlink():
                return None  # never write through a link (`ln -s . cache`)
            folder.mkdir(exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                # Ignored by git wherever it lands, as ruff and pytest do.
                _write_entry(ignore, "# Created by guardrails.\n*\n")
                _write_entry(
                    folder / "CACHEDIR.TAG",
                    "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# This file is a cache directory tag created by guardrails.\n",
                )
        except OSError:
            return None
        if not _real_folder(folder):
            return None
        key = folder_key(folder)
        return None if key is None else cls(folder, key)

    def catalogue(self) -> tuple[RuleInfo, ...]:
        """Every rule's metadata: from the cache, else built (importing the
        rules) and stored for the next run."""
        fingerprint = tool_fingerprint()
        target = self.folder / f"catalogue-{fingerprint[:32]}.json"
        data = _read_json(target)
        if (
            isinstance(data, dict)
            and data.get("tool") == fingerprint
            and isinstance(data.get("rules"), list)
            and data["rules"]
            # Forged or altered, it could drop or rename rules: a silent pass.
            and verified(
                self.key,
                data.get("signature"),
                fingerprint,
                json.dumps(data["rules"], sort_keys=True),
            )
        ):
            try:
                return tuple(RuleInfo.from_json(item) for item in data["rules"])
            except (KeyError, TypeError, ValueError):
                pass
        infos = build_catalogue()
        rules = [info.to_json() for info in infos]
        signature = sign(self.key, fingerprint, json.dumps(rules, sort_keys=True))
        _write_entry(
            target,
            json.dumps(
                {"tool": fingerprint, "rules": rules, "signature": signature},
                sort_keys=True,
            ),
        )
        return infos

    def for_run(self, config: Config, codes: Sequence[str]) -> RunCache | None:
        """The entries valid for this configuration and rule selection."""
        run = _digest(FORMAT, tool_fingerprint(), repr(config), ",".join(sorted(codes)))
        folder = self.folder / run[:32]
        try:
            if not folder.is_symlink():
                folder.mkdir(exist_ok=True)
            if not _real_folder(folder):
                return None
            os.utime(folder)  # most recently used: kept longest
        except OSError:
            return None
        self._evict_runs()
        return RunCache(folder, self.key)

    def _evict_runs(self) -> None:
        """Removes all but the KEPT_RUNS most recently used run folders (a
        folder another run is filling may go too: it only costs a cache miss)."""
        runs = []
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        runs.append((entry.stat(follow_symlinks=False).st_mtime, entry))
        runs.sort(key=lambda run: run[0], reverse=True)
        for _, entry in runs[KEPT_RUNS:]:
            shutil.rmtree(entry.path, ignore_errors=True)


def _real_folder(folder: Path) -> bool:
    """A folder and no link to one."""
    try:
        return stat.S_ISDIR(folder.lstat().st_mode)
    except OSError:
        return False


class RunCache:
    """The per-file entries of one run configuration."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self.key = key

    def keyed(self, job: FileJob) -> FileJob:
        """The job with its cache key, from the file's bytes (None if unreadable:
        such a file is checked, and reported, every time)."""
        try:
            # Never open a FIFO or a device: reading one may block forever.
            if not stat.S_ISREG(job.path.stat().st_mode):
                return job
            data = job.path.read_bytes()
        except OSError:
            return job
        key = _digest(job.display_path, job.relative_path, data)
        return replace(job, cache_key=key)

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key[:40]}.json"

    def load_file(self, job: FileJob) -> FileResult | None:
        if job.cache_key is None:
            return None
        data = _read_json(self._entry(job.cache_key))
        if not isinstance(data, dict) or data.get("key") != job.cache_key:
            return None
        if not isinstance(data.get("signature"), str) or not hmac.compare_digest(
            data["signature"], _payload_signature(self.key, job.cache_key, data)
        ):
            return None
        try:
            return _file_result_from_json(job.display_path, data)
        except CorruptEntry:
            return None

    def store_file(self, job: FileJob, result: FileResult) -> None:
        # A file edited while it was being checked is not stored under the key
        # of its old bytes: the result may come from the new ones.
        if job.cache_key is not None and self.keyed(job).cache_key == job.cache_key:
            _write_entry(
                self._entry(job.cache_key),
                _file_result_to_json(self.key, job.cache_key, result),
            )
