"""Key-ness from use: a parameter named like a key that its body uses as
something else (a dictionary key, a string, an `nnx.Rngs` stream) is no key.

Without an annotation a parameter's name is the only hint, and `key` names a
dictionary key as often as a PRNG key. What the body does with it settles it:
a PRNG key is never looked up in a mapping, formatted into a string, compared
with a string, or asked for a stream (`rngs.dropout()`, `rng()`). Any one
such use makes the name no key for the whole body.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from guardrails.analysis.keyflow.syntax import child_nodes

# Mapping and string methods that take a key to look up or text to work on.
_LOOKUPS = frozenset(
    {"get", "pop", "setdefault", "index", "count", "startswith", "endswith"}
)
# Methods of a key array: calling one does not make the value something else.
_ARRAY_METHODS = frozenset(
    {"reshape", "astype", "squeeze", "ravel", "flatten", "transpose", "copy"}
)
_STRING_BUILTINS = frozenset({"getattr", "hasattr", "setattr", "KeyError"})


def _is(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _non_key_use(node: cst.CSTNode, name: str) -> bool:
    """Whether `node` itself uses `name` as no key could be used."""
    if isinstance(node, cst.SubscriptElement):
        inner = node.slice
        return isinstance(inner, cst.Index) and _is(inner.value, name)
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        target = node.comparisons[0]
        if isinstance(target.operator, cst.In | cst.NotIn):
            return _is(node.left, name)
        other = (
            target.comparator
            if _is(node.left, name)
            else node.left
            if _is(target.comparator, name)
            else None
        )
        return isinstance(other, cst.SimpleString | cst.FormattedString)
    if isinstance(node, cst.FormattedStringExpression):
        return _is(node.expression, name)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return isinstance(node.left, cst.SimpleString) and _mentions(node.right, name)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and _is(func.value, name):
            return func.attr.value not in _ARRAY_METHODS
        if _is(func, name):
            return True  # `rngs()`: a stream hands out keys, a key is not called
        looked_up = (
            func.attr.value in _LOOKUPS
            if isinstance(func, cst.Attribute)
            else isinstance(func, cst.Name) and func.value in _STRING_BUILTINS
        )
        for arg in node.args:
            if not _is(arg.value, name):
                continue
            if looked_up and arg.keyword is None:
                return True
        if (
            isinstance(func, cst.Name)
            and func.value == "isinstance"
            and len(node.args) == 2
            and _is(node.args[0].value, name)
        ):
            return isinstance(node.args[1].value, cst.Name) and node.args[
                1
            ].value.value in {"str", "int", "bytes"}
    return False


def _mentions(node: cst.CSTNode, name: str) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if _is(current, name):
            return True
        stack.extend(child_nodes(current))
    return False


@lru_cache(maxsize=4096)
def used_as_non_key(body: cst.CSTNode, name: str) -> bool:
    """Whether `body` uses `name` as a mapping key, text or RNG stream.
    Nodes hash by identity; the cache holds them, so no entry outlives its node."""
    stack = [body]
    while stack:
        current = stack.pop()
        if _non_key_use(current, name):
            return True
        stack.extend(child_nodes(current))
    return False
