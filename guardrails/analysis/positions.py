"""Node positions exactly as LibCST's `PositionProvider` gives them, several
times faster, and computed once per module however many ask.

`PositionProvider` regenerates the code while building two `CodePosition`s and a
`CodeRange` for every node and splitting every token on a regex; on jax2onnx it
costs as much as parsing. Here the same code generation runs with a state that
only adds up token lengths and notes where lines start, so each node gets a pair
of character offsets; a `CodeRange` is made only for a node someone looks up.
The rules for what a node's range covers (its syntactic part, or the span of
named child nodes) are LibCST's own: its `_codegen` calls drive both states.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

from guardrails.text.columns import CharColumns, source_lines

# The newline spellings LibCST's position state splits tokens on.
_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=False)
class _OffsetCodegenState(CodegenState):
    offset: int = 0
    # Character offsets where lines 2, 3, ... start.
    line_starts: list[int] = field(default_factory=lambda: [0])
    spans: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        # Token by token, as PositionProvider counts lines: a `\r` and a `\n`
        # that arrive as two tokens are two line breaks, as there.
        if "\n" in value or "\r" in value:
            for match in _NEWLINE.finditer(value):
                self.line_starts.append(self.offset + match.end())
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        # A syntactic range recorded during code generation takes precedence.
        if node not in self.spans:
            self.spans[node] = (start, self.offset)

    # LibCST declares a generator-based context manager; it only enters it.
    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _SyntacticSpan:
        return _SyntacticSpan(self, node, start_node, end_node)


class _SyntacticSpan:
    """`record_syntactic_position`'s context: a plain class, since LibCST
    enters one for most nodes and a generator-based one costs several times
    as much."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _OffsetCodegenState,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc_info: object) -> None:
        spans = self.state.spans
        start = self.start if self.start_node is None else spans[self.start_node][0]
        end = self.state.offset if self.end_node is None else spans[self.end_node][1]
        spans[self.node] = (start, end)


class NodePositions(Mapping[cst.CSTNode, CodeRange]):
    """Node -> `CodeRange`, equal to what `PositionProvider` resolves."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
        )
        module._codegen(state)
        self._spans = state.spans
        self._line_starts = state.line_starts

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        start, end = self._spans[node]
        return CodeRange(
            _position(self._line_starts, start), _position(self._line_starts, end)
        )

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


_last: tuple[cst.Module, NodePositions] | None = None


def positions_of(module: cst.Module) -> NodePositions:
    """A drop-in for `MetadataWrapper(module, unsafe_skip_copy=True)
    .resolve(PositionProvider)`. The last module's positions are kept, so the
    engine and any rule asking about the same file share one computation."""
    global _last
    if _last is not None and _last[0] is module:
        return _last[1]
    positions = NodePositions(module)
    _last = (module, positions)
    return positions


def anchored_ranges(
    source: str, anchored: Mapping[cst.CSTNode, tuple[int, int]]
) -> dict[cst.CSTNode, CodeRange] | None:
    """The ranges of a few nodes, each placed by generating its code alone.

    `anchored` gives each node's start as CPython's tree has it (line, UTF-8
    byte column). The node's code must be found in `source` right there, or
    None is returned and `positions_of` has to place them: a fraction of its
    cost for a module with much code and few nodes to place. Sources with
    carriage returns are declined: LibCST may count their lines differently.
    """
    if "\r" in source:
        return None
    line_starts = [0, *(match.end() for match in re.finditer("\n", source))]
    columns = CharColumns(source.split("\n"))
    found: dict[cst.CSTNode, CodeRange] = {}
    for node, (line, byte_column) in anchored.items():
        if not 1 <= line <= len(line_starts):
            return None
        start = line_starts[line - 1]
        column = columns.column(line - 1, byte_column)
        if column is None:
            return None
        state = _OffsetCodegenState(default_indent="    ", default_newline="\n")
        node._codegen(state)
        code = "".join(state.tokens)
        offset = start + column
        if source[offset : offset + len(code)] != code:
            return None
        first, last = state.spans[node]
        found[node] = CodeRange(
            _position(line_starts, offset + first),
            _position(line_starts, offset + last),
        )
    return found


def syntax_ranges(source: str, nodes: Sequence[ast.AST]) -> list[CodeRange]:
    """Where CPython's tree has `nodes`, in LibCST's terms (characters where it
    counts UTF-8 bytes). A call, a name, an attribute or an import alias spans
    the same code in both trees; a parenthesised tuple or generator would not
    (CPython's span has the brackets)."""
    lines = source_lines(source)
    columns = CharColumns(lines)

    def position(line: int, byte_column: int) -> CodePosition:
        column = columns.column(line - 1, byte_column) if line <= len(lines) else None
        return CodePosition(line, byte_column if column is None else column)

    found = []
    for node in nodes:
        start = position(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = node.end_lineno or node.lineno  # type: ignore[attr-defined]
        end_column = node.end_col_offset  # type: ignore[attr-defined]
        end = position(end_line, start.column if end_column is None else end_column)
        found.append(CodeRange(start, end))
    return found


def _position(line_starts: Sequence[int], offset: int) -> CodePosition:
    line = bisect_right(line_starts, offset)
    return CodePosition(line, offset - line_starts[line - 1])
