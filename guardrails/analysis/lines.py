"""Line numbers of a few nodes, for messages that mention a second place.

LibCST's `PositionProvider` records a range for every node of the module, which
costs more than parsing it. A message needs only the line of one or two nodes:
generating the module's code while counting newlines, and noting the count when a
wanted node starts, gives that for the price of plain code generation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState


@dataclass
class _LineCountingState(CodegenState):
    wanted: frozenset[int] = frozenset()
    line: int = 1
    found: dict[int, int] = field(default_factory=dict)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.line += value.count("\n")

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted and key not in self.found:
            self.found[key] = self.line


def start_lines(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, int]:
    """`id(node)` -> the 1-based line where `node`'s code starts, for `nodes` of
    `module` (the same objects as in the tree)."""
    state = _LineCountingState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        wanted=frozenset(id(node) for node in nodes),
    )
    module._codegen(state)
    return state.found
