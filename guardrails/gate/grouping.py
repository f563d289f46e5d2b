"""Repeated functions that changed alike are shown once, with their numbers.

jax2onnx numbers each call of a function (`custom.DinoMlp.1` … `custom.DinoMlp.12`
in a 12-block ViT), so one lowering change shows in every copy. Sections whose
titles differ only in that number and whose change lines are identical become one
entry, titled with the number range (`function custom.DinoMlp.1` en dash `12:DinoMlp
(12 alike):`), and the lines once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# `function <domain>.<name>.<number>:<name>`: the number is the call's.
EN_DASH = "\u2013"
_NUMBERED = re.compile(r"^(?P<head>.+?)\.(?P<number>\d+)(?P<tail>:.*)$")


def number_ranges(numbers: Sequence[int]) -> str:
    """1 to 12 as a range with an en dash; `1, 3` dash `5` where one is missing."""
    ordered = sorted(set(numbers))
    parts: list[str] = []
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}{EN_DASH}{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)


def grouped_sections(
    changes: Sequence[tuple[str, list[str]]],
) -> list[tuple[str, list[str]]]:
    """`(title, change lines)` per changed section, alike numbered ones merged.

    A group keeps the place of its first member; a section without a number, or
    alone in its group, keeps its own title.
    """
    groups: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
    order: list[tuple[str, str, tuple[str, ...]] | str] = []
    for title, lines in changes:
        match = _NUMBERED.match(title)
        if match is None:
            order.append(title)
            continue
        key = (match["head"], match["tail"], tuple(lines))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(int(match["number"]))
    by_title = dict(changes)
    merged: list[tuple[str, list[str]]] = []
    for entry in order:
        if isinstance(entry, str):
            merged.append((entry, by_title[entry]))
            continue
        head, tail, alike = entry
        numbers = groups[entry]
        if len(numbers) == 1:
            merged.append((f"{head}.{numbers[0]}{tail}", list(alike)))
            continue
        title = f"{head}.{number_ranges(numbers)}{tail} ({len(numbers)} alike)"
        merged.append((title, list(alike)))
    return merged
