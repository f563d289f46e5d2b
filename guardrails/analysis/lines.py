"""Line numbers of a few nodes, for messages that mention a second place.

A rule reports in the walk and the engine locates the reports afterwards with
`positions_of`, which keeps the last module's positions: asking it here too
costs the one code generation pass the engine pays anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from guardrails.analysis.positions import positions_of


def start_lines(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, int]:
    """`id(node)` -> the 1-based line of `node`'s first token, a parenthesis
    around it included, for `nodes` of `module` (the same objects as in the
    tree)."""
    positions = positions_of(module)
    return {id(node): positions[_first_token(node)].start.line for node in nodes}


def _first_token(node: cst.CSTNode) -> cst.CSTNode:
    # A node's position leaves out its own parentheses; the line starts at them.
    parentheses: Sequence[cst.LeftParen] = getattr(node, "lpar", ())
    return parentheses[0] if parentheses else node
