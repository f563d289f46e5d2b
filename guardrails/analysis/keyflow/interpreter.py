"""Flow-sensitive PRNG key dataflow: where can one key be consumed twice?

A small abstract interpreter over LibCST statements. The abstract state of a
path is which variables may hold which keys (`Location`s: the call or parameter
a key came from, plus the indices taken from it) and which keys were already
consumed, with the first use. States are joined where paths meet (after an `if`,
at a loop head), loops run to a fixed point, and a path that returns or raises
stops contributing. A key consumed while an overlapping key is already marked
consumed on the same path is a reuse.

Sources of keys: `jax.random` producers (`PRNGKey`, `key`, `split`, `fold_in`,
`clone`, `wrap_key_data`) and parameters named by the `key-names` convention.
Consuming a key: passing it, positionally, by keyword or starred, to any call
except the few that only inspect it (`isinstance`, `len`, `jax.random.key_data`...),
a call in inference mode that ignores it (`path_conditions`), or what a callee's
body shows it leaves alone (`callee_effects`, from `callees`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.analysis.path_conditions import keys_ignored
from guardrails.analysis.prng import (
    DERIVING,
    KEY_PRODUCERS,
    NON_CONSUMING_CALLS,
    imports_jax,
    is_key_name,
)

# A loop body is re-run until the state at its head stops growing; real loops
# settle in two rounds, the cap only bounds pathological alias chains.
MAX_LOOP_ROUNDS = 4
# Paths are tracked separately (so `if` and `else` never see each other's uses)
# up to this many per program point, then merged.
MAX_PATHS = 16

# Builtins that hand their argument's elements through unchanged.
_PASS_THROUGH = frozenset({"iter", "reversed", "list", "tuple", "enumerate", "zip"})

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


# --- Where a key lives -------------------------------------------------------


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


Index = int | Slice | Symbolic | Element | Fold


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


def _indices_overlap(a: Index, b: Index, length: int | None) -> bool:
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
        return isinstance(other, Element | int | Slice)
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


# --- Abstract state ------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A branch test, as written (without `not`), and the names it reads."""

    text: str
    names: frozenset[str]


@lru_cache(maxsize=4096)
def condition_of(test: cst.BaseExpression) -> tuple[Condition, bool]:
    """`not x` is the condition `x` taken the other way."""
    truth = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, truth = test.expression, not truth
    bare = test.with_changes(lpar=(), rpar=()) if test.lpar else test
    return Condition(code_of(bare), frozenset(_names_in(test))), truth


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


# --- Findings --------------------------------------------------------------------


@dataclass(frozen=True)
class Reuse:
    """`second` consumes a key that `first` may already have consumed."""

    first: Use
    second: Use

    @property
    def in_loop(self) -> bool:
        """The same expression, on an earlier round of a loop."""
        return self.first.argument is self.second.argument


# What a call does to the keys it is given: for each argument (by `id`) the parts
# of it consumed, `()` meaning all of it, an argument left out consuming nothing;
# None when unknown, and then every key argument is consumed.
Effects = dict[int, frozenset[tuple[Index, ...]]]
CallEffects = Callable[[cst.Call, "KeyFlow"], Effects | None]

# --- The interpreter -----------------------------------------------------------


class KeyFlow:
    """Runs one scope (a function body or the module's top level)."""

    def __init__(
        self,
        imports: ImportMap,
        conditional_lines: frozenset[int] | None = None,
        key_names: tuple[str, ...] = (),
        callee_effects: CallEffects | None = None,
    ) -> None:
        self.imports = imports
        self.callee_effects = callee_effects
        # Keywords that pass a key (`key=`): what a call in inference mode ignores.
        self.key_names = key_names
        # `id`s of the statement lines holding a conditional expression, when the
        # caller already knows them (a walk of the whole tree); None: look.
        self.conditional_lines = conditional_lines
        self.jax_file = imports_jax(imports)
        self.lengths: dict[tuple[str, int | str], int | None] = {}
        self.reuses: dict[int, Reuse] = {}
        # Local functions of the scope being run -> the names they pass to calls
        # from the enclosing scope: calling one consumes what those hold then.
        self.closures: dict[str, frozenset[str]] = {}
        # Names the scope binds to a call (`step = jax.jit(train_step)`), so that
        # `callee_effects` can tell what calling them does.
        self.bound_calls: dict[str, cst.Call] = {}

    # Entry points

    def run_function(
        self, node: cst.FunctionDef | cst.Lambda, key_names: tuple[str, ...]
    ) -> None:
        """A function's body, or a lambda's expression, as its own scope."""
        state = State()
        for name in key_parameters(node, key_names, self.jax_file):
            state.env[name] = frozenset({Location(("param", name))})
        self.closures, self.bound_calls = {}, {}
        if isinstance(node, cst.Lambda):
            self.expr(node.body, state)
        else:
            self.block(node.body, [state])

    def run_module(self, node: cst.Module) -> None:
        self.closures, self.bound_calls = {}, {}
        self.block(node.body, [State()])

    # Statements

    def block(
        self, body: cst.BaseSuite | Sequence[cst.CSTNode], states: list[State]
    ) -> Flow:
        statements: Sequence[cst.CSTNode] = (
            body.body if isinstance(body, cst.BaseSuite) else body
        )
        flow = Flow(states)
        for statement in statements:
            if not flow.normal:
                break  # unreachable after return/raise/break/continue
            steps = [self.statement(statement, state) for state in flow.normal]
            flow.normal = distinct(path for step in steps for path in step.normal)
            flow.breaks += [path for step in steps for path in step.breaks]
            flow.continues += [path for step in steps for path in step.continues]
        return flow

    def statement(self, node: cst.CSTNode, state: State) -> Flow:
        if isinstance(node, cst.SimpleStatementLine):
            if (
                self.conditional_lines is not None
                and id(node) not in self.conditional_lines
            ):
                return self.block(node.body, [state])
            return self.block(node.body, _assume_conditions(node, state))
        handler = getattr(self, f"_stmt_{type(node).__name__}", None)
        if handler is not None:
            flow: Flow = handler(node, state)
            return flow
        # Anything else (pass, global, import, type alias...): evaluate what it holds.
        for child in _child_expressions(node):
            self.expr(child, state)
        if isinstance(node, cst.Import | cst.ImportFrom):
            for name in _imported_names(node):
                state.env.pop(name, None)
        return Flow([state])

    def _stmt_Expr(self, node: cst.Expr, state: State) -> Flow:
        self.expr(node.value, state)
        return Flow([state])

    def _stmt_Assign(self, node: cst.Assign, state: State) -> Flow:
        targets = [target.target for target in node.targets]
        if len(targets) == 1 and _same_arity(targets[0], node.value):
            # `a, b = b, a` and friends: bind element-wise.
            assert isinstance(node.value, cst.Tuple | cst.List)
            element_refs = [
                self.expr(_element_value(e), state) for e in node.value.elements
            ]
            target = targets[0]
            assert isinstance(target, cst.Tuple | cst.List)
            for element, refs in zip(target.elements, element_refs, strict=True):
                self.bind(element.value, refs, state)
            return Flow([state])
        refs = self.expr(node.value, state)
        for target in targets:
            self.bind(target, refs, state)
            if isinstance(target, cst.Name) and isinstance(node.value, cst.Lambda):
                captured = _captured_arguments(node.value.params, node.value.body)
                self.closures[target.value] = captured
            elif isinstance(target, cst.Name) and isinstance(node.value, cst.Call):
                self.bound_calls[target.value] = node.value
        return Flow([state])

    def _stmt_AnnAssign(self, node: cst.AnnAssign, state: State) -> Flow:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value, state), state)
        return Flow([state])

    def _stmt_AugAssign(self, node: cst.AugAssign, state: State) -> Flow:
        self.expr(node.value, state)
        self.bind(node.target, frozenset(), state)
        return Flow([state])

    def _stmt_Return(self, node: cst.Return, state: State) -> Flow:
        if node.value is not None:
            self.expr(node.value, state)
        return Flow([])

    def _stmt_Raise(self, node: cst.Raise, state: State) -> Flow:
        if node.exc is not None:
            self.expr(node.exc, state)
        return Flow([])

    def _stmt_Break(self, node: cst.Break, state: State) -> Flow:
        return Flow([], breaks=[state])

    def _stmt_Continue(self, node: cst.Continue, state: State) -> Flow:
        return Flow([], continues=[state])

    def _stmt_Del(self, node: cst.Del, state: State) -> Flow:
        self.bind(node.target, frozenset(), state)
        return Flow([state])

    def _stmt_Assert(self, node: cst.Assert, state: State) -> Flow:
        self.expr(node.test, state)
        if node.msg is not None:
            self.maybe(lambda branch: self.expr_none(node.msg, branch), state)
        return Flow([state])

    def _stmt_If(self, node: cst.If, state: State) -> Flow:
        self.expr(node.test, state)
        known = known_truth(node.test, state.facts)
        flows = []
        if known is not False:
            taken = state.copy()
            assume(node.test, True, taken.facts)
            flows.append(self.block(node.body, [taken]))
        if known is not True:
            skipped = state.copy()
            assume(node.test, False, skipped.facts)
            if isinstance(node.orelse, cst.If):
                flows.append(self.statement(node.orelse, skipped))
            elif isinstance(node.orelse, cst.Else):
                flows.append(self.block(node.orelse.body, [skipped]))
            else:
                flows.append(Flow([skipped]))
        return _join_flows(flows)

    def _stmt_For(self, node: cst.For, state: State) -> Flow:
        bind_targets = self.iteration(node.iter, node.target, id(node), state)

        def one_round(head: State) -> Flow:
            bind_targets(head)
            return self.block(node.body, [head])

        return self.loop(state, one_round, node.orelse)

    def _stmt_While(self, node: cst.While, state: State) -> Flow:
        def one_round(head: State) -> Flow:
            self.expr(node.test, head)
            return self.block(node.body, [head])

        forever = isinstance(node.test, cst.Name) and node.test.value == "True"
        return self.loop(state, one_round, node.orelse, node.test, exits=not forever)

    def loop(
        self,
        entry: State,
        one_round: Callable[[State], Flow],
        orelse: cst.Else | None,
        test: cst.BaseExpression | None = None,
        *,
        exits: bool = True,
    ) -> Flow:
        """Run a loop body until no new path reaches its head (a worklist over
        the head's paths). The loop is left from the head (after its `test`) or
        by a `break`; `exits=False` is `while True`, left only by a break."""
        heads = [entry]
        seen = {entry.signature()}
        frontier = [entry]
        breaks: list[State] = []
        for _ in range(MAX_LOOP_ROUNDS):
            arrivals: list[State] = []
            for head in frontier:
                flow = one_round(head.copy())
                breaks += flow.breaks
                arrivals += flow.normal + flow.continues
            frontier = []
            for state in distinct(arrivals):
                if state.signature() not in seen:
                    seen.add(state.signature())
                    frontier.append(state)
            if not frontier:
                break
            heads += frontier
        exits_from_head: list[State] = []
        if exits:
            for head in distinct(heads):
                leaving = head.copy()
                if test is not None:
                    self.expr(test, leaving)
                exits_from_head.append(leaving)
            if orelse is not None:
                exits_from_head = self.block(orelse.body, exits_from_head).normal
        return Flow(distinct(exits_from_head + breaks))

    def _stmt_Try(self, node: cst.Try | cst.TryStar, state: State) -> Flow:
        before = state.copy()
        body = self.block(node.body, [state])
        if node.orelse is not None and body.normal:
            orelse = self.block(node.orelse.body, body.normal)
            body = Flow(
                orelse.normal,
                body.breaks + orelse.breaks,
                body.continues + orelse.continues,
            )
        # A handler may start before anything in the body ran: giving it the
        # state before the body keeps `try: f(key) except E: g(key)` quiet.
        flows = [body]
        for handler in node.handlers:
            flows.append(self.block(handler.body, [before.copy()]))
        joined = _join_flows(flows)
        if node.finalbody is not None:
            if joined.normal:
                joined.normal = self.block(node.finalbody.body, joined.normal).normal
            else:
                self.block(node.finalbody.body, [before.copy()])
        return joined

    _stmt_TryStar = _stmt_Try

    def _stmt_With(self, node: cst.With, state: State) -> Flow:
        for item in node.items:
            self.expr(item.item, state)
            if item.asname is not None:
                self.bind(item.asname.name, frozenset(), state)
        return self.block(node.body, [state])

    def _stmt_Match(self, node: cst.Match, state: State) -> Flow:
        self.expr(node.subject, state)
        flows = [self.block(case.body, [state.copy()]) for case in node.cases]
        flows.append(Flow([state]))  # no case may match
        return _join_flows(flows)

    def _stmt_FunctionDef(self, node: cst.FunctionDef, state: State) -> Flow:
        # The body is its own scope; decorators and defaults run here.
        for decorator in node.decorators:
            self.expr(decorator.decorator, state)
        for param in _parameters(node.params):
            if param.default is not None:
                self.expr(param.default, state)
        self.bind(node.name, frozenset(), state)
        self.closures[node.name.value] = _captured_arguments(node.params, node.body)
        return Flow([state])

    def _stmt_ClassDef(self, node: cst.ClassDef, state: State) -> Flow:
        for decorator in node.decorators:
            self.expr(decorator.decorator, state)
        for argument in (*node.bases, *node.keywords):
            self.expr(argument.value, state)
        self.bind(node.name, frozenset(), state)
        return Flow([state])

    # Binding

    def bind(
        self, target: cst.BaseExpression, refs: frozenset[Location], state: State
    ) -> None:
        if isinstance(target, cst.Name):
            if refs:
                state.env[target.value] = refs
            else:  # an unbound name holds no key: keep states small
                state.env.pop(target.value, None)
            # Indices spelled with this name now mean something else.
            stale = [
                location
                for location in state.consumed
                if any(
                    isinstance(index, Symbolic) and target.value in index.names
                    for index in location.path
                )
            ]
            for location in stale:
                del state.consumed[location]
            for condition in [c for c in state.facts if target.value in c.names]:
                del state.facts[condition]
        elif isinstance(target, cst.Tuple | cst.List):
            elements = target.elements
            starred = next(
                (
                    n
                    for n, e in enumerate(elements)
                    if isinstance(e, cst.StarredElement)
                ),
                None,
            )
            for position, element in enumerate(elements):
                index: Index
                if starred is None or position < starred:
                    index = position
                elif position == starred:
                    after = len(elements) - position - 1
                    index = Slice(position, -after if after else None)
                else:
                    index = position - len(elements)
                self.bind(
                    element.value, frozenset(ref.child(index) for ref in refs), state
                )
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, refs, state)
        else:
            # `self.key = ...`, `d[k] = ...`: evaluate the parts, track nothing.
            for child in _child_expressions(target):
                self.expr(child, state)

    def iteration(
        self,
        iterable: cst.BaseExpression,
        target: cst.BaseExpression,
        loop: int,
        state: State,
    ) -> Callable[[State], None]:
        """Evaluate what a loop iterates over; return how to bind its target on
        each round. Elements of a key array are a fresh element every round."""
        parts: list[tuple[cst.BaseExpression, frozenset[Location]]] = []
        name = (
            self.imports.qualify_or_local(iterable.func)
            if isinstance(iterable, cst.Call)
            else None
        )
        if isinstance(iterable, cst.Call) and name in _PASS_THROUGH:
            values = [self.expr(arg.value, state) for arg in iterable.args]
            if (
                name == "enumerate"
                and isinstance(target, cst.Tuple)
                and len(target.elements) == 2
            ):
                parts = [
                    (target.elements[1].value, values[0] if values else frozenset())
                ]
            elif name == "zip" and isinstance(target, cst.Tuple):
                parts = [
                    (element.value, refs)
                    for element, refs in zip(target.elements, values, strict=False)
                ]
            elif name in {"iter", "reversed", "list", "tuple"}:
                parts = [(target, values[0] if values else frozenset())]
        else:
            parts = [(target, self.expr(iterable, state))]

        element = Element(loop)

        def bind_round(head: State) -> None:
            for location in [loc for loc in head.consumed if element in loc.path]:
                del head.consumed[location]
            bound: set[str] = set()
            for part_target, refs in parts:
                self.bind(
                    part_target, frozenset(ref.child(element) for ref in refs), head
                )
                bound |= _names_in(part_target)
            for other in _names_in(target) - bound:
                self.bind(cst.Name(other), frozenset(), head)

        return bind_round

    # Expressions

    def expr_none(self, node: cst.BaseExpression | None, state: State) -> None:
        if node is not None:
            self.expr(node, state)

    def maybe(self, run: Callable[[State], object], state: State) -> None:
        """A part that may or may not run (short-circuit, conditional)."""
        branch = state.copy()
        run(branch)
        state.merge(branch)

    def expr(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        """Evaluate for consumptions; return the keys the value may be."""
        if isinstance(node, cst.Name):
            return state.env.get(node.value, frozenset())
        if isinstance(node, cst.Call):
            return self.call(node, state)
        if isinstance(node, cst.Subscript):
            return self.subscript(node, state)
        if isinstance(node, cst.Tuple | cst.List):
            found: frozenset[Location] = frozenset()
            for element in node.elements:
                found |= self.expr(element.value, state)
            return found
        if isinstance(node, cst.Attribute):
            self.expr(node.value, state)
            return frozenset()
        if isinstance(node, cst.IfExp):
            self.expr(node.test, state)
            known = known_truth(node.test, state.facts)
            if known is not None:
                return self.expr(node.body if known else node.orelse, state)
            body, orelse = state.copy(), state.copy()
            found = self.expr(node.body, body) | self.expr(node.orelse, orelse)
            state.env, state.consumed = body.env, body.consumed
            state.merge(orelse)
            return found
        if isinstance(node, cst.BooleanOperation):
            left = self.expr(node.left, state)
            right: set[Location] = set()
            self.maybe(
                lambda branch: right.update(self.expr(node.right, branch)), state
            )
            return left | frozenset(right)
        if isinstance(node, cst.NamedExpr):
            refs = self.expr(node.value, state)
            self.bind(node.target, refs, state)
            return refs
        if isinstance(node, cst.Lambda):
            for param in _parameters(node.params):
                if param.default is not None:
                    self.expr(param.default, state)
            return frozenset()
        if isinstance(
            node, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp
        ):
            self.comprehension(node, state)
            return frozenset()
        for child in _child_expressions(node):
            self.expr(child, state)
        return frozenset()

    def call(self, node: cst.Call, state: State) -> frozenset[Location]:
        name = self.imports.qualify_or_local(node.func)
        if not isinstance(node.func, cst.Name):
            self.expr(node.func, state)
        arguments = [(arg, self.expr(arg.value, state)) for arg in node.args]
        if name in DERIVING:
            return self.derive(node, name, arguments, state)
        if isinstance(node.func, cst.Name) and node.func.value in self.closures:
            for captured in sorted(self.closures[node.func.value]):
                for location in state.env.get(captured, frozenset()):
                    self.consume(location, Use(node, node, captured), state)
        if (
            name not in NON_CONSUMING_CALLS
            and name not in _PASS_THROUGH
            and any(refs for _, refs in arguments)
        ):
            ignored = keys_ignored(
                node, lambda test: known_truth(test, state.facts), self.key_names
            )
            effects = (
                self.callee_effects(node, self)
                if self.callee_effects is not None
                else None
            )
            for arg, refs in arguments:
                if id(arg) in ignored:
                    continue  # e.g. dropout in inference mode never draws
                parts = {()} if effects is None else effects.get(id(arg), set())
                for location in refs:
                    for part in parts:
                        self.consume(location.child(*part), Use(arg.value, node), state)
        elif name in _PASS_THROUGH:
            return frozenset().union(*(refs for _, refs in arguments))
        if name not in KEY_PRODUCERS:
            return frozenset()
        origin = ("call", id(node))
        for location in [loc for loc in state.consumed if loc.origin == origin]:
            del state.consumed[location]  # a new key from this call: forget the old one
        if name == "jax.random.split":
            self.lengths[origin] = _split_count(node)
        return frozenset({Location(origin)})

    def derive(
        self,
        node: cst.Call,
        name: str,
        arguments: list[tuple[cst.Arg, frozenset[Location]]],
        state: State,
    ) -> frozenset[Location]:
        """`fold_in` / `clone`: a new key, the parent left unconsumed (as JAX's
        checker has it). Folding the same literal data twice gives the same key."""
        parents = arguments[0][1] if arguments else frozenset()
        data = arguments[1][0].value if len(arguments) > 1 else None
        literal = isinstance(data, cst.Integer | cst.SimpleString) or (
            data is not None and _literal_int(data) is not None
        )
        if name == "jax.random.fold_in" and parents and data is not None and literal:
            folded = Fold(code_of(data))
            return frozenset(parent.child(folded) for parent in parents)
        origin = ("call", id(node))
        for location in [loc for loc in state.consumed if loc.origin == origin]:
            del state.consumed[location]
        return frozenset({Location(origin)})

    def subscript(self, node: cst.Subscript, state: State) -> frozenset[Location]:
        refs = self.expr(node.value, state)
        for element in node.slice:
            for child in _child_expressions(element.slice):
                self.expr(child, state)
        if not refs:
            return frozenset()
        index = _index_of(node.slice)
        return frozenset(ref.child(index) for ref in refs)

    def comprehension(
        self,
        node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp,
        state: State,
    ) -> None:
        clauses: list[cst.CompFor] = []
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in

        def run(level: int, current: State) -> None:
            if level == len(clauses):
                if isinstance(node, cst.DictComp):
                    self.expr(node.key, current)
                    self.expr(node.value, current)
                else:
                    self.expr(node.elt, current)
                return
            clause = clauses[level]
            targets = self.iteration(clause.iter, clause.target, id(clause), current)

            def one_round(head: State) -> Flow:
                targets(head)
                for condition in clause.ifs:
                    self.expr(condition.test, head)
                run(level + 1, head)
                return Flow([head])

            after = self.loop(current, one_round, None).normal
            if after:
                joined = merged(after)
                current.env, current.consumed = joined.env, joined.consumed

        # Names bound by the comprehension do not leak into the enclosing scope.
        saved = dict(state.env)
        run(0, state)
        for name in set().union(*(_names_in(clause.target) for clause in clauses)):
            if name in saved:
                state.env[name] = saved[name]
            else:
                state.env.pop(name, None)

    def consume(self, location: Location, use: Use, state: State) -> None:
        length = self.lengths.get(location.origin)
        for earlier, first in state.consumed.items():
            if earlier.origin == location.origin and _paths_overlap(
                earlier.path, location.path, length
            ):
                self.reuses.setdefault(id(use.argument), Reuse(first, use))
                break
        state.consumed.setdefault(location, use)


def _paths_overlap(
    a: tuple[Index, ...], b: tuple[Index, ...], length: int | None
) -> bool:
    for depth, (first, second) in enumerate(zip(a, b, strict=False)):
        # Only the first index is into the split array whose length we know.
        if not _indices_overlap(first, second, length if depth == 0 else None):
            return False
    # A whole key overlaps its parts, but not the keys folded out of it.
    extra = a[len(b) :] or b[len(a) :]
    return not any(isinstance(index, Fold) for index in extra)


def _assume_conditions(line: cst.SimpleStatementLine, state: State) -> list[State]:
    """One path per way the statement's conditional expressions can go, so that
    `a = f(key) if c else None` and `b = g(key) if not c else None` on the next
    line never meet. Only the first two open conditions split."""
    if not state.env:
        return [state]
    paths = [state]
    open_tests = [
        test
        for test in _conditional_tests(line, state.env.keys())
        if known_truth(test, state.facts) is None
    ]
    for test in open_tests[:2]:
        split = []
        for path in paths:
            for truth in (True, False):
                assumed = path.copy()
                assume(test, truth, assumed.facts)
                split.append(assumed)
        paths = split
    return paths


def _conditional_tests(
    line: cst.SimpleStatementLine, keys: Iterable[str]
) -> Iterator[cst.BaseExpression]:
    """Tests of the conditional expressions in `line` whose branches mention one
    of the `keys` variables (the others cannot change what is consumed)."""
    names = set(keys)
    for test, mentioned in _conditionals_of(line):
        if names & mentioned:
            yield test


@lru_cache(maxsize=4096)
def _conditionals_of(
    line: cst.SimpleStatementLine,
) -> tuple[tuple[cst.BaseExpression, frozenset[str]], ...]:
    """Each conditional expression's test and the names its branches mention.
    A line is met once per path and loop round; nodes hash by identity, and the
    cache holds them, so an entry cannot outlive its node."""
    found = []
    stack: list[cst.CSTNode] = [line]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Lambda):
            continue
        if isinstance(current, cst.IfExp):
            mentioned = _names_in(current.body) | _names_in(current.orelse)
            found.append((current.test, frozenset(mentioned)))
        stack.extend(child_nodes(current))
    return tuple(found)


def _captured_arguments(params: cst.Parameters, body: cst.CSTNode) -> frozenset[str]:
    """Names a local function passes to calls without binding them itself."""
    passed: set[str] = set()
    local = {param.name.value for param in _parameters(params)}
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Arg) and isinstance(current.value, cst.Name):
            passed.add(current.value.value)
        elif isinstance(current, cst.AssignTarget | cst.CompFor | cst.For):
            local |= _names_in(current.target)
        stack.extend(child_nodes(current))
    return frozenset(passed - local)


def _join_flows(flows: Sequence[Flow]) -> Flow:
    return Flow(
        distinct(state for flow in flows for state in flow.normal),
        [state for flow in flows for state in flow.breaks],
        [state for flow in flows for state in flow.continues],
    )


def _split_count(node: cst.Call) -> int | None:
    arguments = [arg for arg in node.args if arg.keyword is None]
    count: cst.BaseExpression | None = (
        arguments[1].value if len(arguments) > 1 else None
    )
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "num":
            count = arg.value
    if count is None:
        return 2
    return int(count.value) if isinstance(count, cst.Integer) else None


def _literal_int(node: cst.BaseExpression) -> int | None:
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


def _index_of(elements: Sequence[cst.SubscriptElement]) -> Index:
    if len(elements) == 1:
        inner = elements[0].slice
        if isinstance(inner, cst.Index):
            value = _literal_int(inner.value)
            if value is not None:
                return value
        elif isinstance(inner, cst.Slice) and inner.step is None:
            bounds = [
                None if bound is None else _literal_int(bound)
                for bound in (inner.lower, inner.upper)
            ]
            literal = all(
                bound is None or value is not None
                for bound, value in zip((inner.lower, inner.upper), bounds, strict=True)
            )
            if literal:
                return Slice(bounds[0], bounds[1])
    text = ", ".join(code_of(element) for element in elements)
    names = frozenset(name for element in elements for name in _names_in(element.slice))
    return Symbolic(text, names)


def _names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(child_nodes(current))
    return found


def _child_expressions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The nearest expressions under `node`, looking through the non-expression
    wrappers (arguments, elements, comparison targets...)."""
    for child in child_nodes(node):
        if isinstance(child, cst.BaseExpression):
            yield child
        elif isinstance(child, cst.BaseSuite | cst.BaseStatement):
            continue
        else:
            yield from _child_expressions(child)


def key_parameters(
    node: cst.FunctionDef | cst.Lambda, key_names: tuple[str, ...], jax_file: bool
) -> list[str]:
    """Parameters that hold PRNG keys by the naming convention (`key-names`).

    The name alone would take every dictionary's `key` for a PRNG key, so an
    annotation decides when there is one (`key: PRNGKeyArray` yes, `key: str`
    no), and an unannotated parameter counts only in a file that imports the JAX
    ecosystem (`jax_file`)."""
    return [
        param.name.value
        for param in _parameters(node.params)
        if is_key_name(param.name.value, key_names)
        and (
            jax_file
            if param.annotation is None
            else _is_key_annotation(code_of(param.annotation.annotation))
        )
    ]


def _parameters(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


# `PRNGKeyArray`, `jax.Array`, `KeyArray`, `ArrayLike`, `chex.PRNGKey`...
_KEY_ANNOTATION = re.compile(r"key|prng|rng|array|jax", re.IGNORECASE)
# ... but not the stateful generators, which hand out a new key per call and are
# meant to be shared: `nnx.Rngs`, `nnx.RngStream`, NumPy's generators.
_STATEFUL_GENERATOR = re.compile(r"Rngs\b|RngStream|Generator|RandomState")


def _is_key_annotation(annotation: str) -> bool:
    return (
        _KEY_ANNOTATION.search(annotation) is not None
        and _STATEFUL_GENERATOR.search(annotation) is None
    )


def _same_arity(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    return (
        isinstance(target, cst.Tuple | cst.List)
        and isinstance(value, cst.Tuple | cst.List)
        and len(target.elements) == len(value.elements)
        and not any(isinstance(e, cst.StarredElement) for e in target.elements)
        and not any(isinstance(e, cst.StarredElement) for e in value.elements)
    )


def _element_value(element: cst.BaseElement) -> cst.BaseExpression:
    return element.value


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []
    names = []
    for alias in node.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            names.append(alias.asname.name.value)
        else:
            dotted = code_of(alias.name)
            names.append(dotted.split(".", 1)[0])
    return names
