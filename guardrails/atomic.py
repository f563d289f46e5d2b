"""Replace a file's content so that a reader sees the old file or the new one."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

# As the kernel's limit on symbolic links followed in one lookup.
_MAX_LINKS = 40


def link_target(path: Path) -> Path:
    """The file a chain of symbolic links at `path` ends at (`path` itself when
    it is no link); the target need not exist. A loop is `ELOOP`."""
    for _ in range(_MAX_LINKS):
        if not path.is_symlink():
            return path
        link = Path(os.readlink(path))
        path = link if link.is_absolute() else path.parent / link
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(
    path: Path, text: str, *, follow_links: bool = True, durable: bool = True
) -> None:
    """Write `text` to a temporary file beside the file, then rename it over.

    A symbolic link is written through: its target is replaced and the link
    stays, so a link to a shared file keeps pointing at the (updated) file.
    `follow_links=False` replaces the link itself instead (a cache's entries are
    its own: a link found there must not lead a write anywhere else).
    The file keeps its mode; a new one gets the usual mode for the umask.
    `durable=False` skips the `fsync` (what a crash may lose costs a cache miss).
    Raises `OSError`; nothing but the temporary file is touched before the rename.
    """
    target = link_target(path) if follow_links else path
    mode = (
        target.stat().st_mode & 0o777
        if target.exists() and not target.is_symlink()
        else _default_file_mode()
    )
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)  # mkstemp makes the file private
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
