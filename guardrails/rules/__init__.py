"""The rule registry: every `Rule` subclass with a code in this package's
modules, one rule a module, grouped by family (`bad_input`, `ir_only`, ...)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from guardrails.codes import selected_codes
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


def selected_rules(
    select: Sequence[str], ignore: Sequence[str], extend: Sequence[str] = ()
) -> tuple[type[Rule], ...]:
    """`--select`/`--ignore` semantics: codes or prefixes; the longer match wins.
    `extend` (`extend-select`) adds to `select`, or to the default rules."""
    chosen = set(
        selected_codes(
            [rule.code for rule in all_rules()],
            select,
            ignore,
            extend=extend,
            opt_in={rule.code for rule in all_rules() if rule.opt_in},
        )
    )
    return tuple(rule for rule in all_rules() if rule.code in chosen)
