"""Which source code a stretch of the gate executes, watched rather than guessed.

A global trace function sees every Python call; it records each code object it has
not seen yet when its file lies under one of the watched folders, and never traces
inside a frame (it returns None), so a call costs one set lookup. `called` maps a
file to the qualified names of the functions (and lambdas) that ran in it;
`imported` holds files where code outside any function ran: module and class
bodies, comprehensions at module level (an import: what a module's skeleton shows).
Function by function, because jax2onnx runs every plugin's `binding_specs` in every
export, while only the plugins a model uses lower anything. jax2onnx keeps no
memoised lowering (no `lru_cache` outside its sandbox), so each export runs the
plugin code it needs again.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from inspect import CO_OPTIMIZED
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any


class ExecutedFiles:
    """Context manager: the watched files executed while it is active."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self._prefixes = tuple(str(folder) + "/" for folder in folders)
        self._seen: set[Any] = set()
        self.called: dict[str, set[str]] = {}
        self.imported: set[str] = set()
        self._previous: Any = None

    @property
    def files(self) -> set[str]:
        return set(self.called) | self.imported

    def _trace(self, frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if code in self._seen:
            return None
        self._seen.add(code)
        name = code.co_filename
        if name.startswith(self._prefixes):
            function = code.co_flags & CO_OPTIMIZED and (
                code.co_name == "<lambda>" or not code.co_name.startswith("<")
            )
            if function:
                self.called.setdefault(name, set()).add(code.co_qualname)
            else:
                self.imported.add(name)
        return None

    def __enter__(self) -> ExecutedFiles:
        self._previous = sys.gettrace()
        sys.settrace(self._trace)
        threading.settrace(self._trace)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        sys.settrace(self._previous)
        threading.settrace(self._previous)
