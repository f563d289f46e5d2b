"""`libcst.visit_batched`, the same calls in the same order, at a fraction of the cost.

LibCST walks a tree by rebuilding it: every node's `_visit_and_replace_children`
constructs (and validates) a copy of the node from its visited children, even
for read-only visitors, and every visitor's methods are looked up again with
`inspect.getmembers` on each call. On jax2onnx that machinery costs more than
parsing. This walk reads the children in place instead.

The order of a node's children is LibCST's own: the first time a node type is
met, its `_visit_and_replace_children` runs once with a recorder that notes the
fields it visits, in order, without descending. LibCST skips a field there only
when it holds nothing to visit (an f-string's absent format spec); a later node
of that type that does hold something there is recorded afresh, so the order
grows to include it. A visitor's methods are what its `get_visitors` returns, as
for LibCST (looked up once per class unless the visitor overrides it); visitors
with visit methods set on the instance are handed to LibCST's own walk. Nodes of
a type some visitor has attribute hooks for (`visit_FunctionDef_body`) have
their fields recorded one by one, so the hooks fire exactly as LibCST fires them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cache

import libcst as cst

from guardrails.analysis.visitors import VisitorMethod, bound_methods

# Node type -> the fields LibCST visits, in its order; and the other fields.
_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_UNVISITED: dict[type[cst.CSTNode], tuple[str, ...]] = {}
# Field types that can never hold a node (a `Name`'s value, a `Newline`'s...).
_SCALAR_TYPES = frozenset({str, bool, int, float, "str", "bool", "int", "float"})


class _FieldRecorder(cst.CSTVisitor):
    def __init__(self, parent: cst.CSTNode) -> None:
        super().__init__()
        self.parent = parent
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False  # one level only: the children themselves are not walked

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.parent and attribute not in self.fields:
            self.fields.append(attribute)


def _holds_nodes(value: object) -> bool:
    if isinstance(value, cst.CSTNode):
        return True
    return isinstance(value, tuple | list) and any(
        isinstance(item, cst.CSTNode) for item in value
    )


def _record(node: cst.CSTNode) -> tuple[str, ...]:
    recorder = _FieldRecorder(node)
    node._visit_and_replace_children(recorder)
    kind = type(node)
    known = _ORDER.get(kind, ())
    fields = tuple(recorder.fields)
    if not set(known) <= set(fields):
        # Never expected: each recording is a superset of a leaner one.
        raise AssertionError(f"unstable child order for {kind.__name__}")
    _ORDER[kind] = fields
    _UNVISITED[kind] = tuple(
        field.name
        for field in dataclasses.fields(node)
        if field.name not in fields and field.type not in _SCALAR_TYPES
    )
    return fields


def _visited_fields(node: cst.CSTNode) -> list[str]:
    """The fields LibCST visits for this very node (not cached: attribute hooks
    must not fire for a field LibCST skips on this node)."""
    recorder = _FieldRecorder(node)
    node._visit_and_replace_children(recorder)
    return recorder.fields


def _children_order(node: cst.CSTNode) -> tuple[str, ...]:
    kind = type(node)
    order = _ORDER.get(kind)
    if order is None:
        return _record(node)
    for name in _UNVISITED[kind]:
        if _holds_nodes(getattr(node, name)):
            return _record(node)
    return order


# Tokens and whitespace: nodes whose fields hold only more of the same. When no
# visitor has a method for any of them, the walk does not enter them at all
# (about half of a module's nodes); no visitor could tell.
_TRIVIA: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Comment,
    cst.Newline,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.Semicolon,
    cst.Colon,
    cst.AssignEqual,
    cst.ImportStar,
    cst.BaseBinaryOp,
    cst.BaseUnaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseAugOp,
)


@cache
def _is_trivia(kind: type[cst.CSTNode]) -> bool:
    return issubclass(kind, _TRIVIA)


_Plan = tuple[Sequence[VisitorMethod], Sequence[VisitorMethod], bool]
# What a field's value is to the walk, by its type: checked once per type, since
# `isinstance` against LibCST's abstract node class costs more than the walk.
_NODE, _SEQUENCE, _OTHER = "node", "sequence", "other"
_SHAPES: dict[type, str] = {}


def _shape(kind: type) -> str:
    shape = _SHAPES.get(kind)
    if shape is None:
        if issubclass(kind, cst.CSTNode):
            shape = _NODE
        elif issubclass(kind, tuple | list):
            shape = _SEQUENCE
        else:
            shape = _OTHER
        _SHAPES[kind] = shape
    return shape


def _is_attribute_hook(name: str) -> bool:
    # `visit_Call_func`: node class names never hold an underscore.
    return "_" in name.split("_", 1)[1]


def visit_batched(
    module: cst.Module, visitors: Sequence[cst.BatchableCSTVisitor]
) -> None:
    """Walk `module` once, calling every visitor's visit_/leave_ methods."""
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        if type(visitor).get_visitors is not cst.BatchableCSTVisitor.get_visitors:
            # A visitor that composes its methods itself (delegating to a helper
            # visitor, say): what it returns is what LibCST would call.
            found = list(visitor.get_visitors().items())
        elif any(name.startswith(("visit_", "leave_")) for name in vars(visitor)):
            cst.visit_batched(module, visitors)
            return
        else:
            found = list(bound_methods(visitor).items())
        for name, method in found:
            methods.setdefault(name, []).append(method)
    # Attribute hooks (`visit_FunctionDef_body`): node type name -> hooked fields.
    hooked: dict[str, set[str]] = {}
    for name in methods:
        if _is_attribute_hook(name):
            type_name, field_name = name.split("_", 1)[1].split("_", 1)
            hooked.setdefault(type_name, set()).add(field_name)

    no_calls: list[VisitorMethod] = []
    # Whether trivia is walked: only if some visitor has a method for some.
    trivia_watched = any(
        _is_trivia(kind)
        for name in methods
        if (kind := getattr(cst, name.split("_", 2)[1], None)) is not None
        and isinstance(kind, type)
        and issubclass(kind, cst.CSTNode)
    )
    # Per node type: its visit and leave calls and whether it has attribute
    # hooks; None for trivia nobody watches, which is not entered.
    plans: dict[type[cst.CSTNode], _Plan | None] = {}

    def plan_of(kind: type[cst.CSTNode]) -> _Plan | None:
        if not trivia_watched and _is_trivia(kind):
            return None
        return (
            methods.get(f"visit_{kind.__name__}", no_calls),
            methods.get(f"leave_{kind.__name__}", no_calls),
            kind.__name__ in hooked,
        )

    def walk_value(value: object) -> None:
        shape = _shape(type(value))
        if shape is _NODE:
            walk(value)  # type: ignore[arg-type]
        elif shape is _SEQUENCE:
            for child in value:  # type: ignore[attr-defined]
                walk(child)

    def walk(node: cst.CSTNode) -> None:
        kind = type(node)
        try:
            plan = plans[kind]
        except KeyError:
            plan = plans[kind] = plan_of(kind)
        if plan is None:
            return
        calls, leave_calls, has_hooks = plan
        for call in calls:
            call(node)
        if has_hooks:
            # Rare: these node's own fields, exactly as LibCST visits this one.
            for name in _visited_fields(node):
                hook = f"{kind.__name__}_{name}"
                for call in methods.get(f"visit_{hook}", no_calls):
                    call(node)
                walk_value(getattr(node, name))
                for call in methods.get(f"leave_{hook}", no_calls):
                    call(node)
        else:
            for name in _children_order(node):
                walk_value(getattr(node, name))
        for call in leave_calls:
            call(node)

    walk(module)
