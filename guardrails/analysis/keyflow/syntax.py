"""LibCST helpers the key flow reads nodes with: children, names, text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

_EMPTY_CODE = cst.Module(body=[])

# Fields that hold only punctuation and whitespace, never an expression.
_PUNCTUATION_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "dot",
        "header",
        "footer",
        "leading_lines",
        "lines_after_decorators",
        "trailing_whitespace",
    }
)
_NODE_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node's children in source order, without punctuation. LibCST's own
    `children` re-visits the node to collect them, several times slower; this
    reads the dataclass fields directly."""
    names = _NODE_FIELDS.get(type(node))
    if names is None:
        names = tuple(
            field.name
            for field in dataclasses.fields(node)
            if field.name not in _PUNCTUATION_FIELDS
            and not field.name.startswith("whitespace")
        )
        _NODE_FIELDS[type(node)] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def code_of(node: cst.CSTNode) -> str:
    return _EMPTY_CODE.code_for_node(node)


def names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(child_nodes(current))
    return found


def child_expressions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The nearest expressions under `node`, looking through the non-expression
    wrappers (arguments, elements, comparison targets...)."""
    for child in child_nodes(node):
        if isinstance(child, cst.BaseExpression):
            yield child
        elif isinstance(child, cst.BaseSuite | cst.BaseStatement):
            continue
        else:
            yield from child_expressions(child)


def parameters_of(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def literal_int(node: cst.BaseExpression) -> int | None:
    """An integer literal's value (`3`, `-1`), else None."""
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -int(node.expression.value, 0)
    return None
