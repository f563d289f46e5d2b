"""The abstract state of one path: which keys each variable may hold, which
were consumed (and where first), and which branch conditions the path took."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst

from guardrails.analysis.keyflow.locations import Location
from guardrails.analysis.keyflow.syntax import code_of, names_in

# Paths are tracked separately (so `if` and `else` never see each other's uses)
# up to this many per program point, then merged.
MAX_PATHS = 16


@dataclass(frozen=True)
class Condition:
    """A branch test, as written (without `not`), and the names it reads.
    `subject == literal` also keeps the pair, so that a path which took
    `mode == "train"` knows `mode == "sample"` is false."""

    text: str
    names: frozenset[str]
    equality: tuple[str, object] | None = None


@lru_cache(maxsize=4096)
def condition_of(test: cst.BaseExpression) -> tuple[Condition, bool]:
    """`not x` is the condition `x` taken the other way; so is `a != b` of
    `a == b` and `a is not b` of `a is b`."""
    truth = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, truth = test.expression, not truth
    bare = test.with_changes(lpar=(), rpar=()) if test.lpar else test
    if isinstance(bare, cst.Comparison) and len(bare.comparisons) == 1:
        (target,) = bare.comparisons
        negated = _NEGATED.get(type(target.operator))
        if negated is not None:
            bare = bare.with_changes(
                comparisons=[target.with_changes(operator=negated())]
            )
            truth = not truth
        subject, literal = code_of(bare.left), literal_value(target.comparator)
        if isinstance(bare.comparisons[0].operator, cst.Equal | cst.Is) and (
            literal is not NO_LITERAL
        ):
            return Condition(
                code_of(bare), frozenset(names_in(test)), (subject, literal)
            ), truth
    return Condition(code_of(bare), frozenset(names_in(test))), truth


_NEGATED: dict[type[cst.BaseCompOp], type[cst.BaseCompOp]] = {
    cst.NotEqual: cst.Equal,
    cst.IsNot: cst.Is,
}
NO_LITERAL = object()
_CONSTANTS = {"True": True, "False": False, "None": None}


def literal_value(node: cst.BaseExpression) -> object:
    """A literal's value (`"train"`, `3`, `True`, `None`), else `NO_LITERAL`."""
    if isinstance(node, cst.Name):
        return _CONSTANTS.get(node.value, NO_LITERAL)
    if isinstance(node, cst.SimpleString | cst.Integer | cst.Float):
        return node.evaluated_value
    return NO_LITERAL


def literal_facts(name: str, value: object, facts: dict[Condition, bool]) -> None:
    """What a variable holding a literal settles: its truth (`if train:`) and
    its equalities (`if mode == "train":`, `if rngs is None:`)."""
    names = frozenset({name})
    facts[Condition(name, names)] = bool(value)
    facts[Condition(f"{name} == {value!r}", names, (name, value))] = True


def _equality_truth(condition: Condition, facts: dict[Condition, bool]) -> bool | None:
    """`x == a` is known when the path took `x == b`: true if a is b, else
    false; or when it took `x == a` to be false (then so is it here)."""
    if condition.equality is None:
        return None
    subject, value = condition.equality
    for fact, truth in facts.items():
        if fact.equality is None or fact.equality[0] != subject:
            continue
        same = fact.equality[1] == value and type(fact.equality[1]) is type(value)
        if truth:
            return same
        if same:
            return False
    return None


def _conjuncts(
    test: cst.BaseExpression, operator: type[cst.And] | type[cst.Or]
) -> list[cst.BaseExpression] | None:
    """`a and (b and c)` -> [a, b, c] for `cst.And`; None if `test` is no such chain."""
    if not isinstance(test, cst.BooleanOperation) or not isinstance(
        test.operator, operator
    ):
        return None
    parts: list[cst.BaseExpression] = []
    for side in (test.left, test.right):
        parts += _conjuncts(side, operator) or [side]
    return parts


def known_truth(test: cst.BaseExpression, facts: dict[Condition, bool]) -> bool | None:
    """What the path's facts say about `test`: `a and b` is false once either is."""
    for operator, absorbing in ((cst.And, False), (cst.Or, True)):
        parts = _conjuncts(test, operator)
        if parts is not None:
            truths = [known_truth(part, facts) for part in parts]
            if absorbing in truths:
                return absorbing
            if all(truth is not None for truth in truths):
                return not absorbing
    condition, polarity = condition_of(test)
    known = facts.get(condition)
    if known is None:
        known = _equality_truth(condition, facts)
    return None if known is None else known == polarity


def assume(test: cst.BaseExpression, truth: bool, facts: dict[Condition, bool]) -> None:
    """Record that the path took `test` as `truth` (`a and b` true: both are)."""
    for operator, absorbing in ((cst.And, False), (cst.Or, True)):
        parts = _conjuncts(test, operator)
        if parts is not None:
            if truth != absorbing:
                for part in parts:
                    assume(part, truth, facts)
            else:
                open_parts = [p for p in parts if known_truth(p, facts) is None]
                if len(open_parts) == 1:  # the others went the other way
                    assume(open_parts[0], truth, facts)
            return
    condition, polarity = condition_of(test)
    facts[condition] = truth == polarity


@dataclass(frozen=True)
class Use:
    """Where a key was consumed: the argument, and the call it went to."""

    argument: cst.CSTNode
    call: cst.Call
    captured: str | None = None  # the key a local function reads from this scope


@dataclass
class State:
    """One path's knowledge: which keys each variable may hold, which keys were
    consumed (and where first)."""

    env: dict[str, frozenset[Location]] = field(default_factory=dict)
    consumed: dict[Location, Use] = field(default_factory=dict)
    # Conditions this path took (`self.fused` -> True), so a later test of the
    # same condition follows the same way.
    facts: dict[Condition, bool] = field(default_factory=dict)

    def copy(self) -> State:
        return State(dict(self.env), dict(self.consumed), dict(self.facts))

    def merge(self, other: State) -> None:
        for name, refs in other.env.items():
            self.env[name] = self.env.get(name, frozenset()) | refs
        for location, use in other.consumed.items():
            self.consumed.setdefault(location, use)
        self.facts = {
            condition: truth
            for condition, truth in self.facts.items()
            if other.facts.get(condition) == truth
        }

    def signature(self) -> Signature:
        """The key state, facts aside: paths that agree on it are one path."""
        return frozenset(self.env.items()), frozenset(self.consumed)


Signature = tuple[frozenset[tuple[str, frozenset[Location]]], frozenset[Location]]


def merged(states: Sequence[State]) -> State:
    joined = states[0].copy()
    for state in states[1:]:
        joined.merge(state)
    return joined


def distinct(states: Iterable[State]) -> list[State]:
    """The paths, one per distinct key state. Paths with the same key state are
    merged, keeping the facts they share: what they consumed is the same, so
    telling them apart cannot change a finding (and keeps the count of paths to
    the count of key states). Past `MAX_PATHS` all are merged into one, a
    may-state over-approximating every path it stands for."""
    kept: dict[Signature, State] = {}
    for state in states:
        signature = state.signature()
        same = kept.get(signature)
        if same is None:
            kept[signature] = state
        elif same.facts != state.facts:
            joined = same.copy()
            joined.facts = {
                condition: truth
                for condition, truth in same.facts.items()
                if state.facts.get(condition) == truth
            }
            kept[signature] = joined
    paths = list(kept.values())
    return [merged(paths)] if len(paths) > MAX_PATHS else paths


@dataclass
class Flow:
    """How a block can end, one state per path: falling through, `break` or
    `continue`. Paths that return or raise end here and are not carried on."""

    normal: list[State]
    breaks: list[State] = field(default_factory=list)
    continues: list[State] = field(default_factory=list)


@dataclass(frozen=True)
class Reuse:
    """`second` consumes a key that `first` may already have consumed."""

    first: Use
    second: Use

    @property
    def in_loop(self) -> bool:
        """The same expression, on an earlier round of a loop."""
        return self.first.argument is self.second.argument
