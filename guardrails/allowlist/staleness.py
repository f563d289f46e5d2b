"""Which allowlist entries are stale: they cover no flagged testcase, and the
check saw enough to say so (an entry's `file` was checked and analysed, or is
gone; an entry without `file` shares a context and component with a flag)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from guardrails.allowlist.model import Allowlist, CheckedFile, Entry, FlaggedTestcase


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
