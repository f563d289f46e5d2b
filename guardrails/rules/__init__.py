"""The rule registry: every `Rule` subclass with a code in this package's
modules, one rule a module, grouped by family (`bad_input`, `ir_only`, ...)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Collection, Sequence
from functools import cache
from typing import TYPE_CHECKING

from guardrails.types import UsageError

if TYPE_CHECKING:
    from guardrails.rules.base import Rule


@cache
def all_rules() -> tuple[type[Rule], ...]:
    # Imported here: the rules (and LibCST) load only when a file is parsed.
    from guardrails.rules.base import Rule

    found: dict[str, type[Rule]] = {}
    # One rule per module, in family packages (`ir_only/`, `randomness/`...).
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        if info.ispkg or info.name == f"{__name__}.base":
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                # A second rule with a code would silently replace the first.
                if value.code in found:
                    first = found[value.code]
                    raise UsageError(
                        f"two rules have the code {value.code}: "
                        f"{first.__module__}.{first.__qualname__} and "
                        f"{value.__module__}.{value.__qualname__}"
                    )
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)


# Bad-input codes are reported whatever is selected, unless ignored by name.
ALWAYS_ON_PREFIX = "GR0"


def select_rules(
    select: Sequence[str], ignore: Sequence[str], extend: Sequence[str] = ()
) -> tuple[type[Rule], ...]:
    """`--select`/`--ignore` semantics: codes or prefixes; the longer match wins.
    `extend` (`extend-select`) adds to `select`, or to the default rules."""
    chosen = set(
        select_codes(
            [rule.code for rule in all_rules()],
            select,
            ignore,
            extend=extend,
            opt_in={rule.code for rule in all_rules() if rule.opt_in},
        )
    )
    return tuple(rule for rule in all_rules() if rule.code in chosen)


def check_codes(known: Sequence[str], prefixes: Sequence[str]) -> None:
    """Each of `prefixes` must start some code in `known`; an empty one, which
    starts every code, is refused too."""
    for prefix in prefixes:
        if not prefix.strip():
            raise UsageError("empty rule code")
        if not any(code.startswith(prefix.upper()) for code in known):
            raise UsageError(f"unknown rule code or prefix: {prefix}")


def select_codes(
    known: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    *,
    extend: Sequence[str] = (),
    opt_in: Collection[str] = (),
) -> tuple[str, ...]:
    """`select_rules` over rule codes alone (the engine's rule catalogue).
    An empty `select` means every rule but the `opt_in` ones."""
    check_codes(known, (*select, *extend, *ignore))

    def longest(code: str, prefixes: Sequence[str]) -> int:
        return max((len(p) for p in prefixes if code.startswith(p.upper())), default=-1)

    chosen = []
    for code in known:
        by_default = -1 if code in opt_in else 1
        selected = longest(code, select) if select else by_default
        selected = max(selected, longest(code, extend))
        if code.startswith(ALWAYS_ON_PREFIX):
            selected = max(selected, 1)
        ignored = longest(code, ignore)
        # The more specific prefix wins; on a tie, ignore wins.
        if selected >= 0 and ignored < selected:
            chosen.append(code)
    return tuple(chosen)
