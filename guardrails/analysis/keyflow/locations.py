"""Where a key lives: its origin and the indices taken from it, and when two
such places may be the same key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.keyflow.syntax import code_of, literal_int, names_in


@dataclass(frozen=True)
class Slice:
    start: int | None
    stop: int | None


@dataclass(frozen=True)
class Symbolic:
    """An index we cannot evaluate: equal only to the same expression."""

    text: str
    names: frozenset[str]


@dataclass(frozen=True)
class Element:
    """The element a `for` loop is at: a different one on every iteration."""

    loop: int  # id of the loop node


@dataclass(frozen=True)
class Fold:
    """`fold_in(key, data)` with literal data: the same data gives the same key."""

    data: str


@dataclass(frozen=True)
class Counter:
    """`keys[i + offset]` where `i` counts a `for i in range(bound)` loop. At
    each new round the offsets of what was consumed move down by one, so
    `keys[i + 1]` now meets `keys[i]` next round. `bound` is the range's text:
    the counter has met every element when it is the split's count."""

    loop: int
    offset: int
    bound: str


@dataclass(frozen=True)
class Repeated:
    """A container whose every element is this one key: `[key] * n`."""


@dataclass(frozen=True)
class Entry:
    """The value a container holds under a literal key or position:
    `{"user": k}`, `dict(key=k)`, `(x, k)`."""

    name: str | int


@dataclass(frozen=True)
class Cursor:
    """An iterator over a key array, `position` elements in: `iter(keys)`
    hands out element `position` next, `itertools.cycle(keys)` wraps round."""

    position: int
    wraps: bool


Index = int | Slice | Symbolic | Element | Fold | Counter | Repeated | Entry | Cursor


@dataclass(frozen=True)
class Location:
    """A key, or part of a key array: its origin (a parameter, or the producing
    call) and the indices taken from it."""

    origin: tuple[str, int | str]
    path: tuple[Index, ...] = ()

    def child(self, *indices: Index) -> Location:
        return Location(self.origin, (*self.path, *indices))


def _normalise(index: int, length: int | None) -> int | None:
    if index >= 0:
        return index
    return length + index if length is not None else None


def _indices_overlap(
    a: Index, b: Index, length: int | None, count_text: str | None = None
) -> bool:
    """Whether two indices may name the same element. Unknown means no: the rule
    reports only what it can show."""
    if isinstance(a, Slice) and not isinstance(b, Slice):
        a, b = b, a
    if isinstance(a, int) and isinstance(b, int):
        first, second = _normalise(a, length), _normalise(b, length)
        return first is not None and first == second
    if isinstance(a, int) and isinstance(b, Slice):
        index = _normalise(a, length)
        span = _slice_span(b, length)
        return index is not None and span is not None and span[0] <= index < span[1]
    if isinstance(a, Slice) and isinstance(b, Slice):
        first_span, second_span = _slice_span(a, length), _slice_span(b, length)
        if first_span is None or second_span is None:
            return False
        return max(first_span[0], second_span[0]) < min(first_span[1], second_span[1])
    if isinstance(a, Element) or isinstance(b, Element):
        # A loop over an array meets every element: the same loop's element is
        # forgotten at the start of each round, so this is another use.
        other = b if isinstance(a, Element) else a
        return isinstance(other, Element | int | Slice | Counter)
    if isinstance(a, Counter) and isinstance(b, Counter):
        return a.loop == b.loop and a.offset == b.offset
    if isinstance(a, Counter) or isinstance(b, Counter):
        # A counter over the whole array has met every element.
        counter, other = (a, b) if isinstance(a, Counter) else (b, a)
        return (
            isinstance(counter, Counter)
            and isinstance(other, int | Slice)
            and counter.bound == count_text
        )
    return a == b


def _slice_span(index: Slice, length: int | None) -> tuple[int, float] | None:
    start = 0 if index.start is None else _normalise(index.start, length)
    stop: float | None
    if index.stop is None:
        stop = float(length) if length is not None else float("inf")
    else:
        stop = _normalise(index.stop, length)
    if start is None or stop is None:
        return None
    return start, stop


def paths_overlap(
    a: tuple[Index, ...],
    b: tuple[Index, ...],
    length: int | None,
    count_text: str | None = None,
) -> bool:
    """Whether two index paths into keys of one origin may name the same key;
    `length` is the origin's, when it is a split array of known length, and
    `count_text` how its count is written."""
    for depth, (first, second) in enumerate(zip(a, b, strict=False)):
        # Only the first index is into the split array whose length we know.
        if depth == 0:
            overlap = _indices_overlap(first, second, length, count_text)
        else:
            overlap = _indices_overlap(first, second, None)
        if not overlap:
            return False
    # A whole key overlaps its parts, but not the keys folded out of it.
    extra = a[len(b) :] or b[len(a) :]
    return not any(isinstance(index, Fold) for index in extra)


def index_of(elements: Sequence[cst.SubscriptElement]) -> Index:
    """The index a subscript takes: a literal integer or slice, else symbolic."""
    if len(elements) == 1:
        inner = elements[0].slice
        if isinstance(inner, cst.Index):
            value = literal_int(inner.value)
            if value is not None:
                return value
        elif isinstance(inner, cst.Slice) and inner.step is None:
            bounds = [
                None if bound is None else literal_int(bound)
                for bound in (inner.lower, inner.upper)
            ]
            literal = all(
                bound is None or value is not None
                for bound, value in zip((inner.lower, inner.upper), bounds, strict=True)
            )
            if literal:
                return Slice(bounds[0], bounds[1])
    text = ", ".join(code_of(element) for element in elements)
    names = frozenset(name for element in elements for name in names_in(element.slice))
    return Symbolic(text, names)


def split_count(node: cst.Call) -> int | None:
    """How many keys a `jax.random.split` call makes; None when not literal."""
    count = _count_argument(node)
    if count is None:
        return 2
    return int(count.value) if isinstance(count, cst.Integer) else None


def split_count_text(node: cst.Call) -> str:
    """How a `jax.random.split` call's count is written (`n_steps`)."""
    count = _count_argument(node)
    return "2" if count is None else code_of(count)


def _count_argument(node: cst.Call) -> cst.BaseExpression | None:
    arguments = [arg for arg in node.args if arg.keyword is None]
    count: cst.BaseExpression | None = (
        arguments[1].value if len(arguments) > 1 else None
    )
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "num":
            count = arg.value
    return count
