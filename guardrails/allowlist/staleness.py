"""Which allowlist entries are stale: they cover no flagged testcase, and the
check saw enough to say so (an entry's `file` was checked and analysed, or is
gone; an entry without `file` shares a context and component with a flag)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from guardrails.allowlist.model import (
    GLOB_MAGIC,
    Allowlist,
    CheckedFile,
    Entry,
    FlaggedTestcase,
    is_glob,
)


def stale_entries(
    allowlist: Allowlist, checked: Sequence[CheckedFile], root: Path
) -> list[Entry]:
    """Entries that cover no flagged testcase, among those the check can judge."""
    flags = FlagIndex([flagged for file in checked for flagged in file.flagged])
    by_path = {file.relative_path: file for file in checked}
    # Where an entry's `file` may lie: the root, or beside a checked package.
    anchors = [root, *dict.fromkeys(f.anchor for f in checked if f.anchor)]
    stale = []
    for entry in allowlist.entries:
        if flags.covered_by(entry):
            continue
        if _judged(entry, by_path, flags, anchors):
            stale.append(entry)
    return stale


class FlagIndex:
    """Whether an entry covers any of many flagged testcases, in time linear
    in the entries: an entry without glob characters is looked up by its
    identity (and by its context and component); a glob entry tries them all."""

    def __init__(self, flags: Sequence[FlaggedTestcase]) -> None:
        self.flags = flags
        self._identities = {(f.flag, f.context, f.component, f.testcase) for f in flags}
        self._components = {(f.context, f.component) for f in flags}

    def covered_by(self, entry: Entry) -> bool:
        if not is_glob(entry):
            key = (entry.flag, entry.context, entry.component, entry.testcase)
            return key in self._identities
        return any(entry.covers(flagged) for flagged in self.flags)

    def shares_component(self, entry: Entry) -> bool:
        """Some flagged testcase has the entry's context and component."""
        if GLOB_MAGIC.isdisjoint(entry.context + entry.component):
            return (entry.context, entry.component) in self._components
        return any(
            fnmatchcase(flagged.context, entry.context)
            and fnmatchcase(flagged.component, entry.component)
            for flagged in self.flags
        )


def _judged(
    entry: Entry,
    by_path: Mapping[str, CheckedFile],
    flags: FlagIndex,
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
    return flags.shares_component(entry)
