"""Keys the local view misses within one function: equal by value, handed out
by generators and RNG streams, or run by control flow closures.

- Keys equal by value: `PRNGKey(seed)` twice with the same seed (a literal, or
  a name not rebound in between) is one key; so is a key rebuilt from its raw
  data (`wrap_key_data(key_data(key))`). JAX's runtime checker cannot see
  these: the numbers are simply the same.
- `yield key` hands the key to the loop that iterates: yielding it twice (or
  on every round) hands out one key twice.
- Flax NNX's streams, `rngs()`, `rngs.params()`, `self.rngs.dropout()`, give a
  new key on every call; the key a call returns is an ordinary key.
- One `lax.cond` / `lax.switch` branch runs: branches given as lambdas or local
  functions run here as alternative paths, on the operands. `lax.while_loop`
  runs its condition and body again and again: a key they close over is drawn
  from on every round.
- `finally` also runs on the paths that return from the body.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from guardrails.analysis.keyflow.callbacks import CallbackFlow
from guardrails.analysis.keyflow.expressions import FlowInputs
from guardrails.analysis.keyflow.locations import Fold, Location
from guardrails.analysis.keyflow.objects import (
    FRESH_KEY_METHODS,
    is_stream_name,
    slot_of,
)
from guardrails.analysis.keyflow.state import Flow, State, Use, merged
from guardrails.analysis.keyflow.syntax import code_of, names_in, parameters_of

# Methods of an `nnx.Rngs` (or a stream) that are no key.
_STREAM_METHODS_NOT_KEYS = frozenset(
    {"fork", "split", "items", "keys", "values", "copy", "replace", "get", "pop"}
)
_SEEDED = frozenset({"jax.random.PRNGKey", "jax.random.key"})
# A key's raw data (`key_data(key)`): no key, but `wrap_key_data` makes it the
# same key again. A fold, so that it never overlaps the key it came from.
_RAW = Fold("jax.random.key_data")
_ONE_OF = frozenset({"jax.lax.cond", "jax.lax.switch"})

# A way out of a function: the path's state, the `return` (None: its end) and
# the keys the returned value may be.
Exit = tuple[State, cst.Return | None, frozenset[Location]]


class ValueFlow(CallbackFlow):
    """`KeyFlow` with value-equal keys, generators, streams and control flow
    closures (see the module's docstring)."""

    def __init__(self, inputs: FlowInputs) -> None:
        super().__init__(inputs)
        # The ways out of the last function run.
        self.exits: list[Exit] = []
        # Per scope being run: the returns of the function (or inline body, or
        # `try`) being run, innermost last; local functions and literal lists.
        self._exits: list[list[Exit]] = []
        self._functions: dict[str, cst.FunctionDef] = {}
        self._lists: dict[str, cst.List | cst.Tuple] = {}
        # A seed's text -> the names (and `N.X` slots) it reads.
        self._seed_names: dict[str, frozenset[str]] = {}
        self._yields: dict[int, cst.Call] = {}

    def run_function(
        self,
        node: cst.FunctionDef | cst.Lambda,
        key_names: tuple[str, ...],
        extra: frozenset[str] = frozenset(),
    ) -> Flow:
        self._functions, self._lists = {}, {}
        self._exits = [[]]
        flow = super().run_function(node, key_names, extra)
        ends: list[Exit] = [(state, None, frozenset()) for state in flow.normal]
        self.exits = ends + self._exits.pop()
        return flow

    def _stmt_Return(self, node: cst.Return, state: State) -> Flow:
        if self.returns is not None:  # a function argument's body (callbacks)
            return super()._stmt_Return(node, state)
        refs = self.expr(node.value, state) if node.value is not None else frozenset()
        if self._exits:
            self._exits[-1].append((state, node, refs))
        return Flow([])

    def _stmt_FunctionDef(self, node: cst.FunctionDef, state: State) -> Flow:
        self._functions[node.name.value] = node
        return super()._stmt_FunctionDef(node, state)

    def _stmt_Try(self, node: cst.Try | cst.TryStar, state: State) -> Flow:
        """`finally` runs on the paths that return from the body too."""
        if node.finalbody is None or not self._exits:
            return super()._stmt_Try(node, state)
        self._exits.append([])
        flow = super()._stmt_Try(node, state)
        returned = self._exits.pop()
        if returned:
            self.block(node.finalbody.body, [s.copy() for s, _, _ in returned])
            self._exits[-1].extend(returned)
        return flow

    def _stmt_Assign(self, node: cst.Assign, state: State) -> Flow:
        flow = super()._stmt_Assign(node, state)
        target = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(target, cst.Name) and isinstance(
            node.value, cst.List | cst.Tuple
        ):
            self._lists[target.value] = node.value
        return flow

    def bind(
        self, target: cst.BaseExpression, refs: frozenset[Location], state: State
    ) -> None:
        super().bind(target, refs, state)
        if isinstance(target, cst.Name):
            self._forget_seeds(target.value, state)

    def _forget_seeds(self, name: str, state: State) -> None:
        """`name` changed: a seed that reads it may be another seed now."""
        stale = [
            location
            for location in state.consumed
            if location.origin[0] == "seed"
            and name in self._seed_names.get(str(location.origin[1]), frozenset())
        ]
        for location in stale:
            del state.consumed[location]

    def expr(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        if isinstance(node, cst.Yield):
            self._yield(node, state)
            return frozenset()
        return super().expr(node, state)

    def _yield(self, node: cst.Yield, state: State) -> None:
        """`yield key` hands the key to the loop that iterates."""
        if node.value is None or isinstance(node.value, cst.From):
            if isinstance(node.value, cst.From):
                self.expr(node.value.item, state)
            return
        call = self._yields.setdefault(id(node), cst.Call(func=cst.Name("yield")))
        parts: Sequence[cst.BaseExpression] = (
            [e.value for e in node.value.elements]
            if isinstance(node.value, cst.Tuple)
            else [node.value]
        )
        for part in parts:
            for location in self.expr(part, state):
                self.consume(location, Use(part, call), state)

    def consume(self, location: Location, use: Use, state: State) -> None:
        if _RAW in location.path:
            return  # a key's raw data is no key
        super().consume(location, use, state)

    def peek(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        """The keys a name holds, without evaluating anything."""
        if isinstance(node, cst.Name):
            return state.env.get(node.value, frozenset())
        return frozenset()

    def call(self, node: cst.Call, state: State) -> frozenset[Location]:
        name = self.imports.qualify_or_local(node.func)
        if name in _ONE_OF and self._branches(node, name, state):
            return frozenset()
        if _is_stream_call(node):
            super().call(node, state)
            origin = ("call", id(node))
            for location in [loc for loc in state.consumed if loc.origin == origin]:
                del state.consumed[location]
            return frozenset({Location(origin)})
        raw = (
            self.peek(node.args[0].value, state)
            if name == "jax.random.wrap_key_data" and node.args
            else frozenset()
        )
        if name in _SEEDED:  # a seed is no key: nothing is consumed
            for arg in node.args:
                self.expr(arg.value, state)
            origin = ("call", id(node))
            for location in [loc for loc in state.consumed if loc.origin == origin]:
                del state.consumed[location]  # a new key from this call
            return self._seeded_key(node, frozenset({Location(origin)}))
        result = super().call(node, state)
        if name == "jax.random.key_data" and node.args:
            return frozenset(
                location.child(_RAW)
                for location in self.peek(node.args[0].value, state)
            )
        elif raw and all(location.path[-1:] == (_RAW,) for location in raw):
            return frozenset(
                Location(location.origin, location.path[:-1]) for location in raw
            )
        return result

    def _seeded_key(
        self, node: cst.Call, made: frozenset[Location]
    ) -> frozenset[Location]:
        """`PRNGKey(seed)` with the same seed twice is the same key."""
        seeds = [
            arg.value
            for arg in node.args
            if arg.keyword is None or (arg.keyword.value == "seed" and not arg.star)
        ]
        seed = seeds[0] if seeds else None
        if seed is None or not (
            isinstance(seed, cst.Integer | cst.Name) or slot_of(seed) is not None
        ):
            return made
        text = code_of(seed)
        names = set(names_in(seed))
        slot = slot_of(seed)
        if slot is not None:
            names.add(slot)
        self._seed_names[text] = frozenset(names)
        return frozenset({Location(("seed", text))})

    def _branches(self, node: cst.Call, name: str, state: State) -> bool:
        """`lax.cond(pred, true_fun, false_fun, *operands)` and `lax.switch(
        index, branches, *operands)`: one branch runs, on the operands. False
        when a branch is not a lambda or local function (then it is a call)."""
        positional = [arg.value for arg in node.args if arg.keyword is None]
        if len(positional) != len(node.args) or len(positional) < 2:
            return False
        if name == "jax.lax.cond":
            if len(positional) < 3:
                return False
            functions: list[cst.BaseExpression] = positional[1:3]
            operands = positional[3:]
        else:
            listed = positional[1]
            if isinstance(listed, cst.Name):
                found = self._lists.get(listed.value)
                if found is None:
                    return False
                listed = found
            if not isinstance(listed, cst.List | cst.Tuple):
                return False
            functions = [element.value for element in listed.elements]
            operands = positional[2:]
        bodies = [self._local_function(function) for function in functions]
        if any(body is None for body in bodies):
            return False
        self.expr(positional[0], state)
        values = [self.expr(operand, state) for operand in operands]
        outcomes = []
        for body in bodies:
            assert body is not None
            branch = state.copy()
            outcomes += self._run_inline(body, values, branch)[0]
        if outcomes:
            joined = merged(outcomes)
            state.env, state.consumed = dict(state.env), joined.consumed
        return True

    def _local_function(
        self, node: cst.BaseExpression
    ) -> cst.Lambda | cst.FunctionDef | None:
        if isinstance(node, cst.Lambda):
            return node
        if isinstance(node, cst.Name):
            return self._functions.get(node.value)
        return None

    def _run_inline(
        self,
        function: cst.Lambda | cst.FunctionDef,
        arguments: Sequence[frozenset[Location]],
        state: State,
    ) -> tuple[list[State], frozenset[Location]]:
        """A local function's body run here, its parameters holding `arguments`:
        the paths that leave it (what it consumed), and the keys it returns."""
        for position, param in enumerate(parameters_of(function.params)):
            given = arguments[position] if position < len(arguments) else frozenset()
            super().bind(param.name, given, state)
        if isinstance(function, cst.Lambda):
            return [state], self.expr(function.body, state)
        self._exits.append([])
        flow = self.block(function.body, [state])
        returned = self._exits.pop()
        keys: frozenset[Location] = frozenset().union(*(r for _, _, r in returned))
        return flow.normal + [s for s, _, _ in returned], keys


def _is_stream_call(node: cst.Call) -> bool:
    """`rngs()`, `rngs.params()`, `self.rngs.dropout()`: Flax NNX's streams
    give a new key on every call; so do Flax linen's `self.make_rng(...)` and
    Haiku's `hk.next_rng_key()`."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in FRESH_KEY_METHODS:
        return True
    if isinstance(func, cst.Attribute) and _is_stream(func.value):
        return func.attr.value not in _STREAM_METHODS_NOT_KEYS
    return _is_stream(func)


def _is_stream(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return is_stream_name(node.value)
    if isinstance(node, cst.Attribute):
        return is_stream_name(node.attr.value)
    return False
