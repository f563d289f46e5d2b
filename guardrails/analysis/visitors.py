"""A batchable visitor's methods, found once per class.

`BatchableCSTVisitor.get_visitors` runs `inspect.getmembers` on every call,
which costs more than a small file's walk; the names depend only on the class.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import libcst as cst

VisitorMethod = Callable[[cst.CSTNode], Any]


@cache
def method_names(visitor: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    """What `BatchableCSTVisitor.get_visitors` finds on `visitor`'s instances."""
    return tuple(
        name
        for name in sorted(dir(visitor))
        if name.startswith(("visit_", "leave_"))
        and callable(method := getattr(visitor, name))
        and not getattr(method, "_is_no_op", False)
    )


def bound_methods(visitor: cst.BatchableCSTVisitor) -> dict[str, VisitorMethod]:
    """`visitor.get_visitors()` as LibCST computes it, without `inspect`."""
    return {name: getattr(visitor, name) for name in method_names(type(visitor))}
