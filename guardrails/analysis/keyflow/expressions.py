"""What evaluating an expression does to keys: which it consumes, and which
keys its value may be. The statements (`interpreter.KeyFlow`) build on this."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.analysis.keyflow.containers import (
    LoopCounter,
    container_call,
    counter_index,
    dictionary,
    element,
    entries,
    next_round,
    range_counter,
    repeated,
)
from guardrails.analysis.keyflow.locations import (
    Element,
    Fold,
    Index,
    Location,
    Slice,
    Symbolic,
    index_of,
    paths_overlap,
    split_count,
    split_count_text,
)
from guardrails.analysis.keyflow.state import (
    Flow,
    Reuse,
    State,
    Use,
    distinct,
    known_truth,
    merged,
)
from guardrails.analysis.keyflow.syntax import (
    child_expressions,
    code_of,
    literal_int,
    names_in,
    parameters_of,
)
from guardrails.analysis.path_conditions import keys_ignored
from guardrails.analysis.prng import (
    DERIVING,
    KEY_PRODUCERS,
    NON_CONSUMING_CALLS,
    imports_jax,
)

# A loop body is re-run until the state at its head stops growing; real loops
# settle in two rounds, the cap only bounds pathological alias chains.
MAX_LOOP_ROUNDS = 4

# Builtins that hand their argument's elements through unchanged.
_PASS_THROUGH = frozenset({"iter", "reversed", "list", "tuple", "enumerate", "zip"})

# What a call does to the keys it is given: for each argument (by `id`) the parts
# of it consumed, `()` meaning all of it, an argument left out consuming nothing;
# None when unknown, and then every key argument is consumed.
Effects = dict[int, frozenset[tuple[Index, ...]]]
CallEffects = Callable[[cst.Call, "ExpressionFlow"], Effects | None]


@dataclass(frozen=True)
class FlowInputs:
    """What a flow knows of its file, given once to every layer of the flow."""

    imports: ImportMap
    # `id`s of statement lines with a conditional expression, if known; None: look.
    conditional_lines: frozenset[int] | None = None
    key_names: tuple[str, ...] = ()  # keywords that pass a key (`key=`)
    callee_effects: CallEffects | None = None
    instances: frozenset[str] = frozenset()  # names of built modules (`DROP`)
    top_level: Mapping[str, cst.FunctionDef] = field(default_factory=dict)


class ExpressionFlow:
    """Evaluates expressions of one scope against a path's `State`."""

    def __init__(self, inputs: FlowInputs) -> None:
        self.imports = inputs.imports
        self.callee_effects = inputs.callee_effects
        self.instances = inputs.instances
        self.key_names = inputs.key_names
        self.conditional_lines = inputs.conditional_lines
        self.jax_file = imports_jax(inputs.imports)
        self.lengths: dict[tuple[str, int | str], int | None] = {}
        self.count_texts: dict[tuple[str, int | str], str] = {}
        # Names counting a `for i in range(n)` loop of the scope being run.
        self.counters: dict[str, LoopCounter] = {}
        self.reuses: dict[int, Reuse] = {}
        # Local functions of the scope being run -> the names they pass to calls
        # from the enclosing scope: calling one consumes what those hold then.
        self.closures: dict[str, frozenset[str]] = {}
        # Names the scope binds to a call (`step = jax.jit(train_step)`), so that
        # `callee_effects` can tell what calling them does.
        self.bound_calls: dict[str, cst.Call] = {}

    def bind(
        self, target: cst.BaseExpression, refs: frozenset[Location], state: State
    ) -> None:
        if isinstance(target, cst.Name):
            self.counters.pop(target.value, None)
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
            for position, item in enumerate(elements):
                index: Index
                if starred is None or position < starred:
                    index = position
                elif position == starred:
                    after = len(elements) - position - 1
                    index = Slice(position, -after if after else None)
                else:
                    index = position - len(elements)
                found = (element(ref, index, _literal(index)) for ref in refs)
                self.bind(
                    item.value,
                    frozenset(ref for ref in found if ref is not None),
                    state,
                )
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, refs, state)
        else:
            # `self.key = ...`, `d[k] = ...`: evaluate the parts, track nothing.
            for child in child_expressions(target):
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
        counter = range_counter(iterable, loop)
        if not isinstance(target, cst.Name):
            counter = None

        each = Element(loop)

        def bind_round(head: State) -> None:
            for location in [loc for loc in head.consumed if each in loc.path]:
                del head.consumed[location]
            if counter is not None:
                _next_round(head, loop)
            bound: set[str] = set()
            for part_target, refs in parts:
                elements = (element(ref, each) for ref in refs)
                self.bind(
                    part_target,
                    frozenset(found for found in elements if found is not None),
                    head,
                )
                bound |= names_in(part_target)
            for other in names_in(target) - bound:
                self.bind(cst.Name(other), frozenset(), head)
            if counter is not None and isinstance(target, cst.Name):
                self.counters[target.value] = counter

        return bind_round

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
            # `(x, key)`: each key at its position, until a starred element.
            found: frozenset[Location] = frozenset()
            starred = False
            for position, item in enumerate(node.elements):
                refs = self.expr(item.value, state)
                starred = starred or isinstance(item, cst.StarredElement)
                found |= refs if starred else entries(refs, position)
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
        if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, cst.Multiply
        ):
            found = self.expr(node.left, state) | self.expr(node.right, state)
            literal = (node.left, node.right)
            if any(isinstance(side, cst.List | cst.Tuple) for side in literal):
                return repeated(found)  # `[key] * n`: n times the same key
            return frozenset()
        if isinstance(node, cst.Dict):
            return dictionary(node, lambda part: self.expr(part, state))
        if isinstance(node, cst.NamedExpr):
            refs = self.expr(node.value, state)
            self.bind(node.target, refs, state)
            return refs
        if isinstance(node, cst.Lambda):
            # A key given as a default (`lambda s, k=key: ...`) is held by the
            # lambda: each call consumes it.
            held: frozenset[Location] = frozenset()
            for param in parameters_of(node.params):
                if param.default is not None:
                    held |= self.expr(param.default, state)
            return held
        if isinstance(
            node, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp
        ):
            self.comprehension(node, state)
            return frozenset()
        for child in child_expressions(node):
            self.expr(child, state)
        return frozenset()

    def call(self, node: cst.Call, state: State) -> frozenset[Location]:
        name = self.imports.qualify_or_local(node.func)
        if not isinstance(node.func, cst.Name):
            self.expr(node.func, state)
        arguments = [(arg, self.expr(arg.value, state)) for arg in node.args]
        if name in DERIVING:
            return self.derive(node, name, arguments, state)
        held = container_call(node, name, arguments, state, self.lengths)
        if held is not None:
            return held
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
                node,
                lambda test: known_truth(test, state.facts),
                self.key_names,
                self.instances,
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
            self.lengths[origin] = split_count(node)
            self.count_texts[origin] = split_count_text(node)
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
            data is not None and literal_int(data) is not None
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
        for subscript_element in node.slice:
            for child in child_expressions(subscript_element.slice):
                self.expr(child, state)
        if not refs:
            return frozenset()
        index = index_of(node.slice)
        literal: str | int | None = None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            inner = node.slice[0].slice.value
            counter = counter_index(inner, self.counters)
            if counter is not None:
                index = counter
            elif isinstance(inner, cst.SimpleString):
                literal = str(inner.evaluated_value)
            elif isinstance(index, int):
                literal = index
        elements = (element(ref, index, literal) for ref in refs)
        return frozenset(found for found in elements if found is not None)

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

            after = distinct(self.loop(current, one_round).normal)
            if after:
                joined = merged(after)
                current.env, current.consumed = joined.env, joined.consumed

        # Names bound by the comprehension do not leak into the enclosing scope.
        saved = dict(state.env)
        run(0, state)
        for name in set().union(*(names_in(clause.target) for clause in clauses)):
            if name in saved:
                state.env[name] = saved[name]
            else:
                state.env.pop(name, None)

    def consume(self, location: Location, use: Use, state: State) -> None:
        length = self.lengths.get(location.origin)
        count_text = self.count_texts.get(location.origin)
        for earlier, first in state.consumed.items():
            if earlier.origin == location.origin and paths_overlap(
                earlier.path, location.path, length, count_text
            ):
                self.reuses.setdefault(id(use.argument), Reuse(first, use))
                break
        state.consumed.setdefault(location, use)

    def loop(
        self,
        entry: State,
        one_round: Callable[[State], Flow],
        test: cst.BaseExpression | None = None,
        *,
        exits: bool = True,
    ) -> Flow:
        """Run a loop body until no new path reaches its head (a worklist over
        the head's paths). The loop is left from the head (after its `test`):
        those paths are `normal`; or by a `break`: `breaks`. `exits=False` is
        `while True`, left only by a break."""
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
        return Flow(exits_from_head, breaks=breaks)


def _next_round(state: State, loop: int) -> None:
    """A new round of a counted loop: `keys[i + 1]` consumed last round is
    `keys[i]` now."""
    consumed: dict[Location, Use] = {}
    for location, use in state.consumed.items():
        moved = next_round(location, loop)
        if moved is not None:
            consumed.setdefault(moved, use)
    state.consumed = consumed


def _literal(index: Index) -> int | None:
    """A position counted from the front, which a tuple's entries are."""
    return index if isinstance(index, int) and index >= 0 else None
