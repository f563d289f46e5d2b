"""Read a file's bytes and decode them as Python source, as the interpreter would."""

from __future__ import annotations

import io
import os
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Unreadable:
    """Why a file's text could not be had, with the 1-based line where known."""

    reason: str
    line: int = 1


def read_source(path: Path) -> str | Unreadable:
    try:
        # Only regular files: reading a FIFO or a device named on the command
        # line could block forever or never end.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            # The walk yields a folder only when it could not list it.
            os.scandir(path).close()
            return Unreadable("folder cannot be read; its files are not checked")
        if not stat.S_ISREG(mode):
            return Unreadable("not a regular file")
        data = path.read_bytes()
    except OSError as error:
        if error.filename is not None and os.path.isdir(path):
            reason = error.strerror or error
            return Unreadable(
                f"folder cannot be read ({reason}); its files are not checked"
            )
        return Unreadable(f"cannot read file: {error.strerror or error}")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        return Unreadable("file contains a NUL byte", line)
    try:
        # PEP 263 cookie or BOM, else UTF-8, exactly as the interpreter decides.
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return Unreadable(f"cannot decode file: {error.msg}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return Unreadable(f"cannot decode file as {encoding}: {error.reason}", line)
    except LookupError:
        return Unreadable(f"cannot decode file: unknown encoding {encoding!r}")
