"""What a folded expression can be: a string, a number, a glob, a dict, a list,
one of several values, or unknown; and how testcase names are read off them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.harness import WILDCARD


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def string_value(node: cst.SimpleString) -> str | bytes:
    """`node.evaluated_value`, which runs `ast.literal_eval` on every call
    (20,000 times on jax2onnx): a literal with no prefix, escape or carriage
    return is the text between its quotes."""
    text = node.value
    if text[0] in "'\"" and "\\" not in text and "\r" not in text:
        quote = 3 if text[:3] in ("'''", '"""') and len(text) >= 6 else 1
        return text[quote:-quote]
    return node.evaluated_value


@dataclass(frozen=True)
class Glob:
    """A string known only in part: unknown stretches are `*`."""

    pattern: str


@dataclass(frozen=True)
class DictValue:
    """A dict with string keys; each value keeps the node that set it."""

    entries: Mapping[str, tuple[Value, cst.CSTNode]]
    # True when a part could not be resolved (an unknown `**` spread).
    partial: bool = False


@dataclass(frozen=True)
class ListValue:
    items: tuple[Value, ...]
    partial: bool = False


@dataclass(frozen=True)
class Choice:
    """One of several values, e.g. both branches of `a if c else b`."""

    options: tuple[Value, ...]


Value = (
    str
    | int
    | float
    | bool
    | None
    | Glob
    | DictValue
    | ListValue
    | Choice
    | tuple["Value", ...]
    | _Unknown
)


def is_text(value: Value) -> bool:
    return isinstance(value, (str, Glob))


def concat(left: Value, right: Value) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return Glob(collapse(_pattern(left) + _pattern(right)))


def _pattern(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Glob):
        return value.pattern
    return WILDCARD


def collapse(pattern: str) -> str:
    while WILDCARD * 2 in pattern:
        pattern = pattern.replace(WILDCARD * 2, WILDCARD)
    return pattern


def choice(values: Sequence[Value]) -> Value:
    options: list[Value] = []
    for value in values:
        for option in value.options if isinstance(value, Choice) else (value,):
            if option not in options:
                options.append(option)
    return options[0] if len(options) == 1 else Choice(tuple(options))


def names_of(value: Value, missing: str) -> list[str]:
    """Every name a value may stand for: exact strings and globs."""
    if value is None:
        return [missing]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Glob):
        return [value.pattern]
    if isinstance(value, Choice):
        names: list[str] = []
        for option in value.options:
            for name in names_of(option, missing):
                if name not in names:
                    names.append(name)
        return names
    return [WILDCARD]


def testcase_dicts(value: Value) -> list[DictValue]:
    """The dicts a `testcases` value holds, in lists, tuples and choices."""
    if isinstance(value, DictValue):
        return [value]
    if isinstance(value, Choice):
        return [d for option in value.options for d in testcase_dicts(option)]
    if isinstance(value, (ListValue, tuple)):
        items = value.items if isinstance(value, ListValue) else value
        return [d for item in items for d in testcase_dicts(item)]
    return []


def is_set(value: Value) -> bool:
    """A flag counts unless it is known to be falsy (unknown errs towards set)."""
    if isinstance(value, Choice):
        return any(is_set(option) for option in value.options)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return bool(value)
    if isinstance(value, ListValue):
        return bool(value.items) or value.partial
    return True


def entry_value(metadata: DictValue, key: str) -> Value:
    """A key's value; None when surely absent, unknown when a merge may set it."""
    found = metadata.entries.get(key)
    if found is not None:
        return found[0]
    return UNKNOWN if metadata.partial else None
