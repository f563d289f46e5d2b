"""Keys held in containers and iterators: which key an element, an entry or
`next(...)` gives back.

A split array's elements are keys of their own; so are a dictionary's entries
(`{"user": k1, "item": k2}`, `dict(key=k)`), an iterator's successive values
(`iter(split(key, 3))`: a fresh key each `next`; `itertools.cycle` over fewer
keys than draws: the first again) and the elements of `[key] * n` (all the
same key). A loop counter indexing an array (`keys[i]`, `keys[i + 1]`) names a
different element every round, and the element `keys[i + 1]` of one round is
`keys[i]` of the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.keyflow.locations import (
    Counter,
    Cursor,
    Entry,
    Index,
    Location,
    Repeated,
)
from guardrails.analysis.keyflow.state import State
from guardrails.analysis.keyflow.syntax import code_of, literal_int

Origin = tuple[str, int | str]


def element(
    ref: Location, index: Index, literal: str | int | None = None
) -> Location | None:
    """The key at `index` of the container `ref` holds; None when a
    dictionary's entry or a tuple's element is another one (`literal`: the
    subscript's string or integer)."""
    tail = ref.path[-1] if ref.path else None
    base = Location(ref.origin, ref.path[:-1])
    if isinstance(tail, Repeated):
        return base
    if isinstance(tail, Cursor):
        return base.child(index)
    if isinstance(tail, Entry) and literal is not None:
        return base if tail.name == literal else None
    return ref.child(index)


def entries(refs: frozenset[Location], name: str | int) -> frozenset[Location]:
    return frozenset(ref.child(Entry(name)) for ref in refs)


def repeated(refs: frozenset[Location]) -> frozenset[Location]:
    return frozenset(ref.child(Repeated()) for ref in refs)


def iterator(refs: frozenset[Location], wraps: bool) -> frozenset[Location]:
    return frozenset(ref.child(Cursor(0, wraps)) for ref in refs)


def advance(
    refs: frozenset[Location], lengths: dict[Origin, int | None]
) -> tuple[frozenset[Location], frozenset[Location]] | None:
    """`next(it)`: the keys it hands out, and what `it` holds after; None
    when `it` is no iterator over keys the flow follows."""
    handed, after = set(), set()
    for ref in refs:
        tail = ref.path[-1] if ref.path else None
        if not isinstance(tail, Cursor):
            return None
        base = Location(ref.origin, ref.path[:-1])
        length = lengths.get(ref.origin) if not base.path else None
        position = tail.position
        if tail.wraps and length:
            position %= length
        handed.add(base.child(position))
        after.add(base.child(Cursor(tail.position + 1, tail.wraps)))
    return frozenset(handed), frozenset(after)


@dataclass(frozen=True)
class LoopCounter:
    """A name counting a `for NAME in range(bound)` loop."""

    loop: int
    bound: str


def range_counter(iterable: cst.BaseExpression, loop: int) -> LoopCounter | None:
    """`range(n)` or `range(0, n)`: the counter it makes, with its bound."""
    if not isinstance(iterable, cst.Call) or not (
        isinstance(iterable.func, cst.Name) and iterable.func.value == "range"
    ):
        return None
    args = iterable.args
    if any(arg.keyword or arg.star for arg in args):
        return None
    if len(args) == 1:
        return LoopCounter(loop, code_of(args[0].value))
    if len(args) == 2 and literal_int(args[0].value) == 0:
        return LoopCounter(loop, code_of(args[1].value))
    return None


def counter_index(
    node: cst.BaseExpression, counters: dict[str, LoopCounter]
) -> Counter | None:
    """`i`, `i + 1`, `i - 1` for a loop counter `i`."""
    offset = 0
    if isinstance(node, cst.BinaryOperation) and isinstance(
        node.operator, cst.Add | cst.Subtract
    ):
        step = literal_int(node.right)
        if step is None:
            return None
        offset = step if isinstance(node.operator, cst.Add) else -step
        node = node.left
    if not isinstance(node, cst.Name) or node.value not in counters:
        return None
    counter = counters[node.value]
    return Counter(counter.loop, offset, counter.bound)


# Offsets below this are rounds long gone: forgotten, so the loop settles.
_OLDEST_OFFSET = -2


def next_round(location: Location, loop: int) -> Location | None:
    """What a consumed location of a counter-indexed array is called one round
    later (`keys[i + 1]` becomes `keys[i]`); None when forgotten."""
    path: list[Index] = []
    for index in location.path:
        if isinstance(index, Counter) and index.loop == loop:
            if index.offset - 1 < _OLDEST_OFFSET:
                return None
            index = Counter(loop, index.offset - 1, index.bound)
        path.append(index)
    return Location(location.origin, tuple(path))


def container_call(
    node: cst.Call,
    name: str | None,
    arguments: list[tuple[cst.Arg, frozenset[Location]]],
    state: State,
    lengths: dict[Origin, int | None],
) -> frozenset[Location] | None:
    """`dict(...)`, `iter(...)`, `itertools.cycle(...)` and `next(...)` hold or
    hand out keys without consuming them; None for any other call."""
    if name == "dict":
        found: frozenset[Location] = frozenset()
        for arg, refs in arguments:
            keyword = arg.keyword.value if arg.keyword is not None else None
            found |= entries(refs, keyword) if keyword is not None else refs
        return found
    if name in {"iter", "itertools.cycle"} and len(arguments) == 1:
        return iterator(arguments[0][1], wraps=name == "itertools.cycle")
    if name == "next" and arguments and isinstance(node.args[0].value, cst.Name):
        moved = advance(arguments[0][1], lengths)
        if moved is not None:
            handed, after = moved
            state.env[node.args[0].value.value] = after
            return handed
    return None


def dictionary(
    node: cst.Dict, evaluate: Callable[[cst.BaseExpression], frozenset[Location]]
) -> frozenset[Location]:
    """`{"user": k1, **more}`: each value under its literal key."""
    found: frozenset[Location] = frozenset()
    for item in node.elements:
        if isinstance(item, cst.DictElement):
            evaluate(item.key)
            refs = evaluate(item.value)
            if isinstance(item.key, cst.SimpleString):
                refs = entries(refs, str(item.key.evaluated_value))
            found |= refs
        else:
            found |= evaluate(item.value)
    return found
