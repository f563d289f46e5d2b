"""Functions that run more than once, and functions handed keys by a call.

A function given to `jax.tree.map`, `map`, `jax.lax.map`, `jax.lax.scan`,
`jax.lax.fori_loop` or `jax.lax.while_loop` runs once per leaf, element or
step. Its body is followed in the calling scope as a loop body: a key it
captures from that scope and consumes is consumed again on the next run
(`jax.tree.map(lambda p: p + normal(key, p.shape), params)`), and a loop carry
is what the body hands back, so a body returning the key it just consumed
instead of the new one is reused on the next step. `functools.partial(f, key)`
holds `key`: each call of the partial consumes it.

A function of the same file called with a key, directly or through `jax.vmap`,
`jax.jit` or `jax.pmap`, holds a key in that parameter whatever its name
(`jax.vmap(encode)(keys, x)` with `def encode(r, x)`): `key_receivers` lists
them, and the rule follows each with those parameters as keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.keyflow.containers import element
from guardrails.analysis.keyflow.expressions import FlowInputs
from guardrails.analysis.keyflow.interpreter import KeyFlow
from guardrails.analysis.keyflow.locations import (
    Cursor,
    Element,
    Entry,
    Location,
    Repeated,
)
from guardrails.analysis.keyflow.parameters import is_key_annotation
from guardrails.analysis.keyflow.state import Flow, State, Use, distinct
from guardrails.analysis.keyflow.syntax import code_of, parameters_of

Function = cst.FunctionDef | cst.Lambda


@dataclass(frozen=True)
class _Repeats:
    """How a higher-order function runs its function argument: where that is,
    the argument holding the initial carry (None: no carry), the arguments
    whose elements the other parameters receive, and whether the carry comes
    back as the first element of a pair (`scan`'s `(carry, y)`)."""

    function: int
    carry: int | None
    elements: tuple[int, ...]
    pair: bool = False


_REPEATING: dict[str, _Repeats] = {
    "jax.tree.map": _Repeats(0, None, (1, 2, 3, 4)),
    "jax.tree_util.tree_map": _Repeats(0, None, (1, 2, 3, 4)),
    "jax.tree_map": _Repeats(0, None, (1, 2, 3, 4)),
    "jax.tree.map_with_path": _Repeats(0, None, (-1, 1, 2, 3)),
    "jax.tree_util.tree_map_with_path": _Repeats(0, None, (-1, 1, 2, 3)),
    "map": _Repeats(0, None, (1, 2, 3, 4)),
    "jax.lax.map": _Repeats(0, None, (1,)),
    "jax.lax.scan": _Repeats(0, 1, (2,), pair=True),
    "jax.lax.fori_loop": _Repeats(2, 3, ()),
    "jax.lax.while_loop": _Repeats(1, 2, ()),
}
# Wrappers that run the function they wrap once per call.
_ONCE = frozenset(
    {
        "jax.vmap",
        "jax.jit",
        "jax.pmap",
        "jax.checkpoint",
        "jax.remat",
        "equinox.filter_vmap",
        "equinox.filter_jit",
    }
)
# ... and those that differentiate it or filter its arguments: calling the
# result runs the function, which consumes the keys it captures.
_TRANSFORMS = _ONCE | frozenset(
    {
        "jax.grad",
        "jax.value_and_grad",
        "jax.hessian",
        "jax.jacfwd",
        "jax.jacrev",
        "equinox.filter_jit",
        "equinox.filter_grad",
        "equinox.filter_value_and_grad",
        "equinox.filter_vmap",
        "functools.partial",
    }
)
_PARTIAL = "functools.partial"
# Where a round's carry waits in the state for the next round (no name
# Python code can spell).
_CARRY = "<carry>"


class CallbackFlow(KeyFlow):
    """The key flow, with functions run by higher-order calls followed."""

    def __init__(self, inputs: FlowInputs) -> None:
        super().__init__(inputs)
        self.top_level = inputs.top_level
        # Functions defined in the scope being run, by name.
        self.local_functions: dict[str, cst.FunctionDef] = {}
        # Functions of the file handed a key, and the parameters that get it.
        self.key_receivers: dict[int, tuple[Function, frozenset[str]]] = {}
        # While a function argument's body runs: its returns, with the carry.
        self.returns: list[tuple[State, frozenset[Location]]] | None = None
        self.carry_pair = False
        # Reuses found on a later run of a function argument: the argument's
        # `id` -> the higher-order function that runs it (for the message).
        self.repeated_by: dict[int, str] = {}

    def run_function(
        self,
        node: Function,
        key_names: tuple[str, ...],
        extra: frozenset[str] = frozenset(),
    ) -> Flow:
        self.local_functions = {}
        return super().run_function(node, key_names, extra)

    def _stmt_FunctionDef(self, node: cst.FunctionDef, state: State) -> Flow:
        self.local_functions[node.name.value] = node
        return super()._stmt_FunctionDef(node, state)

    def _stmt_Return(self, node: cst.Return, state: State) -> Flow:
        if self.returns is None:
            return super()._stmt_Return(node, state)
        self.returns.append((state, self._returned_carry(node.value, state)))
        return Flow([])

    def _returned_carry(
        self, value: cst.BaseExpression | None, state: State
    ) -> frozenset[Location]:
        if value is None:
            return frozenset()
        if self.carry_pair and isinstance(value, cst.Tuple) and value.elements:
            parts = [self.expr(element.value, state) for element in value.elements]
            return parts[0]
        refs = self.expr(value, state)
        return frozenset(ref.child(0) for ref in refs) if self.carry_pair else refs

    def call(self, node: cst.Call, state: State) -> frozenset[Location]:
        name = self.imports.qualify_or_local(node.func)
        repeats = _REPEATING.get(name or "")
        if repeats is not None:
            function = self._function_argument(node, repeats.function)
            if function is not None:
                before = set(self.reuses)
                result = self._run_repeatedly(node, function, repeats, state)
                for argument in set(self.reuses) - before:
                    if self.reuses[argument].in_loop:
                        self.repeated_by.setdefault(argument, name or "")
                return result
        if name == _PARTIAL and node.args and not node.args[0].star:
            # The partial holds its arguments' keys until it is called.
            self.expr(node.args[0].value, state)
            found: frozenset[Location] = frozenset()
            for arg in node.args[1:]:
                found |= self.expr(arg.value, state)
            return found
        if isinstance(node.func, cst.Name):
            held = state.env.get(node.func.value, frozenset())
            for location in held:
                self.consume(location, Use(node.func, node), state)
        self._run_transformed_closure(node, state)
        self._note_receivers(node, state)
        return super().call(node, state)

    def _run_transformed_closure(self, node: cst.Call, state: State) -> None:
        """`jax.grad(loss_fn)(params)`, or `step(...)` after `step =
        jax.jit(loss_fn)`: the local function runs, consuming what it captures."""
        wrapper = node.func
        if isinstance(wrapper, cst.Name) and wrapper.value in self.bound_calls:
            wrapper = self.bound_calls[wrapper.value]
        if not isinstance(wrapper, cst.Call) or not wrapper.args:
            return
        if self.imports.qualify(wrapper.func) not in _TRANSFORMS:
            return
        wrapped = wrapper.args[0].value
        if not isinstance(wrapped, cst.Name) or wrapped.value not in self.closures:
            return
        for captured in sorted(self.closures[wrapped.value]):
            for location in state.env.get(captured, frozenset()):
                self.consume(location, Use(node, node, captured), state)

    def _function_argument(self, node: cst.Call, at: int) -> Function | None:
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if at >= len(positional):
            return None
        return self._function_of(positional[at].value)

    def _function_of(self, value: cst.BaseExpression) -> Function | None:
        if isinstance(value, cst.Lambda):
            return value
        if isinstance(value, cst.Name):
            return self.local_functions.get(value.value) or self.top_level.get(
                value.value
            )
        return None

    def _run_repeatedly(
        self, node: cst.Call, function: Function, repeats: _Repeats, state: State
    ) -> frozenset[Location]:
        """Follow `function`'s body as a loop body in the calling scope."""
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        values = [self.expr(arg.value, state) for arg in positional]
        for arg in node.args:
            if arg.keyword is not None or arg.star:
                self.expr(arg.value, state)
        params = [param.name.value for param in parameters_of(function.params)]
        each = Element(id(node))
        entry = state.copy()
        for name in params:
            entry.env.pop(name, None)  # the parameters shadow the scope's names
        if repeats.carry is not None and repeats.carry < len(values):
            entry.env[_CARRY] = values[repeats.carry]
        carried = repeats.carry is not None
        # One element of each mapped or scanned argument per run.
        elements = [
            frozenset(
                found
                for found in (element(ref, each) for ref in values[at])
                if found is not None
            )
            if 0 <= at < len(values)
            else frozenset()  # out of range, or the path `map_with_path` adds
            for at in repeats.elements
        ]
        saved_returns, saved_pair = self.returns, self.carry_pair

        def one_round(head: State) -> Flow:
            for location in [loc for loc in head.consumed if each in loc.path]:
                del head.consumed[location]  # last run's element: not this one's
            carry = head.env.pop(_CARRY, frozenset())
            inputs: list[frozenset[Location]] = elements
            if repeats.function == 2:
                inputs = [frozenset(), carry]  # fori_loop: body(i, carry)
            elif carried:
                inputs = [carry, *elements]  # scan: f(carry, x); while: body(carry)
            for at, name in enumerate(params):
                refs = inputs[at] if at < len(inputs) else frozenset()
                self.bind(cst.Name(name), refs, head)
            self.returns, self.carry_pair = [], repeats.pair
            if isinstance(function, cst.Lambda):
                returned = self._returned_carry(function.body, head)
                ends = [(head, returned)]
            else:
                flow = self.block(function.body, [head])
                ends = [*self.returns, *((end, frozenset()) for end in flow.normal)]
            arrivals = []
            for end, returned in ends:
                if carried:
                    end.env[_CARRY] = returned
                arrivals.append(end)
            return Flow(arrivals)

        try:
            left = self.loop(entry, one_round)
        finally:
            self.returns, self.carry_pair = saved_returns, saved_pair
        # What the runs consumed is consumed for the calling scope too.
        for end in distinct(left.normal):
            for location, use in end.consumed.items():
                state.consumed.setdefault(location, use)
        return frozenset()

    def _note_receivers(self, node: cst.Call, state: State) -> None:
        """A function of the file called with keys, directly or through a
        wrapper that calls it once (`jax.vmap(f)(keys, x)`)."""
        callee = node.func
        if isinstance(callee, cst.Call) and callee.args:
            if self.imports.qualify(callee.func) not in _ONCE:
                return
            callee = callee.args[0].value
        function = self._function_of(callee)
        if function is None:
            return
        positional = [*function.params.posonly_params, *function.params.params]
        by_name = {param.name.value: param for param in parameters_of(function.params)}
        receiving: set[str] = set()
        for at, arg in enumerate(node.args):
            if arg.star or not self._holds_key(arg.value, state):
                continue
            param = None
            if arg.keyword is not None:
                param = by_name.get(arg.keyword.value)
            elif at < len(positional):
                param = positional[at]
            # An annotation that says otherwise wins (`rngs: dict[str, Any]`).
            if param is not None and (
                param.annotation is None
                or is_key_annotation(code_of(param.annotation.annotation))
            ):
                receiving.add(param.name.value)
        if receiving:
            known = self.key_receivers.get(id(function), (function, frozenset()))[1]
            self.key_receivers[id(function)] = (function, known | receiving)

    def _holds_key(self, value: cst.BaseExpression, state: State) -> bool:
        """Whether `value` is a key or a key array (not a container of keys)."""
        if isinstance(value, cst.Name | cst.Subscript):
            return any(
                not ref.path or not isinstance(ref.path[-1], Entry | Repeated | Cursor)
                for ref in self.expr(value, state.copy())
            )
        if isinstance(value, cst.Call):
            return self.imports.qualify(value.func) in {
                "jax.random.split",
                "jax.random.fold_in",
                "jax.random.key",
                "jax.random.PRNGKey",
            }
        return False
