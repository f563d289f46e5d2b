"""Read a small file the user or a checked project names: a regular file only,
and only up to a bound.

A configuration or an allowlist path can name a FIFO (the read would block for
ever), a device (`/dev/zero`: memory grows without bound) or a huge file; each is
refused with a reason instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

# No configuration or allowlist comes near this (jax2onnx's is a few kB).
MAX_SETTINGS_BYTES = 16 * 1024 * 1024


class RefusedFile(Exception):
    """A file that is not read: why, in a few words."""


def read_regular(path: Path, limit: int = MAX_SETTINGS_BYTES) -> bytes:
    """The file's bytes. Raises `RefusedFile` for anything but a regular file
    of at most `limit` bytes, `OSError` when it cannot be opened or read."""
    # Non-blocking: opening a FIFO with no writer would wait for one.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile("not a regular file")
        data = read_up_to(stream, info.st_size, limit)
    if len(data) > limit:
        raise RefusedFile(f"larger than {limit // (1024 * 1024)} MiB")
    return data


def read_up_to(stream: BinaryIO, expected: int, limit: int) -> bytes:
    """At most `limit + 1` bytes of `stream`, asking first for the `expected`
    size (`fstat`'s): `read(limit + 1)` would allocate the whole bound on every
    call, which costs more than reading a small file."""
    data = stream.read(min(expected, limit) + 1)
    if expected < len(data) <= limit:  # it grew since
        data += stream.read(limit + 1 - len(data))
    return data
