"""Which source code a stretch of the gate executes, watched rather than guessed.

Every code object that starts while the watch is on is recorded once when its file
lies under one of the watched folders. `called` maps a file to the qualified names
of the functions (and lambdas) that ran in it; `imported` holds files where code
outside any function ran: module and class bodies, comprehensions at module level
(an import: what a module's skeleton shows). Function by function, because
jax2onnx runs every plugin's `binding_specs` in every export, while only the
plugins a model uses lower anything. jax2onnx keeps no memoised lowering (no
`lru_cache` outside its sandbox), so each export runs the plugin code it needs
again.

On Python 3.12 and later the watch is a `sys.monitoring` tool listening for
`PY_START` only: each code object reports its first start and is then switched
off (`DISABLE`), so the watched code runs at full speed after that. On 3.11 it is
a global trace function that never traces inside a frame (it returns None), but
while any trace function is set CPython runs every instruction of every frame
through its tracing path: the export runs about 1.5x slower there.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from inspect import CO_OPTIMIZED
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import Any

# sys.monitoring's tool ids, the ones CPython names for debuggers, coverage and
# profilers last: a tool of theirs that is active keeps its id.
_TOOL_IDS = (3, 4, 1, 2, 0)
_MONITORING: Any = None
if sys.version_info >= (3, 12):
    _MONITORING = sys.monitoring


class ExecutedFiles:
    """Context manager: the watched files executed while it is active."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self._prefixes = tuple(str(folder) + "/" for folder in folders)
        self._seen: set[Any] = set()
        self.called: dict[str, set[str]] = {}
        self.imported: set[str] = set()
        self._previous: Any = None
        self._tool: int | None = None

    @property
    def files(self) -> set[str]:
        return set(self.called) | self.imported

    def _record(self, code: CodeType) -> None:
        name = code.co_filename
        if name.startswith(self._prefixes):
            function = code.co_flags & CO_OPTIMIZED and (
                code.co_name == "<lambda>" or not code.co_name.startswith("<")
            )
            if function:
                self.called.setdefault(name, set()).add(code.co_qualname)
            else:
                self.imported.add(name)

    def _trace(self, frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if code not in self._seen:
            self._seen.add(code)
            self._record(code)
        return None

    def _started(self, code: CodeType, offset: int) -> Any:
        self._record(code)
        return _MONITORING.DISABLE  # this code object has reported itself

    def _claim_tool(self) -> int | None:
        for tool in _TOOL_IDS:
            if _MONITORING.get_tool(tool) is None:
                _MONITORING.use_tool_id(tool, "guardrails gate")
                return tool
        return None

    def __enter__(self) -> ExecutedFiles:
        if _MONITORING is not None:
            self._tool = self._claim_tool()
        if self._tool is not None:
            monitoring = _MONITORING
            monitoring.register_callback(
                self._tool, monitoring.events.PY_START, self._started
            )
            monitoring.set_events(self._tool, monitoring.events.PY_START)
            # Code switched off by an earlier watch reports itself to this one.
            monitoring.restart_events()
            return self
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
        if self._tool is not None:
            monitoring = _MONITORING
            monitoring.set_events(self._tool, monitoring.events.NO_EVENTS)
            monitoring.register_callback(self._tool, monitoring.events.PY_START, None)
            monitoring.free_tool_id(self._tool)
            self._tool = None
            return
        sys.settrace(self._previous)
        threading.settrace(self._previous)
