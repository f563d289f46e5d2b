"""The gate's own output on a descriptor the gated code does not write to.

The gated examples run in this process, and whatever they write to file
descriptor 1 (a C library, `os.write(1, ...)`, a subprocess) would land in the
middle of the gate's report: a `--format json` report that no longer parses.
While the gate runs, descriptor 1 is pointed at stderr and the report goes to a
copy of the original stdout.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def report_stdout() -> Iterator[None]:
    """`sys.stdout` is the real stdout; descriptor 1 is stderr meanwhile. A
    stdout with no descriptor (a test's `StringIO`) is left as it is."""
    try:
        descriptor = sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(descriptor)
    previous = sys.stdout
    report = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")
    os.dup2(sys.stderr.fileno(), descriptor)
    sys.stdout = report
    try:
        yield
    finally:
        sys.stdout = previous
        try:
            report.flush()
        finally:
            with contextlib.suppress(OSError):
                report.close()
            os.dup2(saved, descriptor)
            os.close(saved)
