"""Rule codes and prefixes: which codes `select`, `extend-select` and `ignore`
choose. Plain strings, so the configuration can check its codes without the rules."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from guardrails.types import UsageError

# Bad-input codes are reported whatever is selected, unless ignored by name.
ALWAYS_ON_PREFIX = "GR0"


def refuse_unknown_codes(known: Sequence[str], prefixes: Sequence[str]) -> None:
    """Each of `prefixes` must start some code in `known`; an empty one, which
    starts every code, is refused too."""
    for prefix in prefixes:
        if not prefix.strip():
            raise UsageError("empty rule code")
        if not any(code.startswith(prefix.upper()) for code in known):
            raise UsageError(f"unknown rule code or prefix: {prefix}")


def selected_codes(
    known: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    *,
    extend: Sequence[str] = (),
    opt_in: Collection[str] = (),
) -> tuple[str, ...]:
    """`selected_rules` over rule codes alone (the engine's rule catalogue).
    An empty `select` means every rule but the `opt_in` ones."""
    refuse_unknown_codes(known, (*select, *extend, *ignore))

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
