"""What calling a function of the same file does to the keys it is given.

The key flow sees one scope at a time, so a key handed to a call is consumed
by default. When the callee is a function defined at the top of the same file,
called by name (directly, or through `jax.jit`, `jax.pmap`, `jax.vmap`,
`jax.checkpoint` or `functools.partial`), its body says more. Flax's training
loops pass one key to `train_step` on every step, and `train_step` folds the
step into it (`fold_in(rng, state.step)`), which consumes nothing. So each
parameter is followed through the callee's body, once per file: what the body
consumes of it (on any path) is what the call consumes. A parameter whose key
leaves what the flow follows (returned, stored in an attribute or a container,
captured by a nested function or lambda) is consumed whole, as before; so is
anything passed to a function whose body was left out of the parse.

Flax linen's `Module.init(rng, ...)` derives every variable from `rng` with
`fold_in`, as `fold_in(rng, data)` with fixed data does: the parent stays
usable, and one `rng` given to `init` twice gives the same variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.analysis.keyflow import (
    Effects,
    Flow,
    Fold,
    Index,
    KeyFlow,
    Location,
    Slice,
    State,
    Use,
)
from guardrails.analysis.keyflow.expressions import ExpressionFlow, FlowInputs
from guardrails.analysis.keyflow.state import NO_LITERAL, literal_facts, literal_value
from guardrails.analysis.keyflow.syntax import (
    child_expressions,
    names_in,
    parameters_of,
)

# Wrappers that call the function they wrap with the arguments they are given.
_TRANSPARENT = frozenset(
    {"jax.jit", "jax.pmap", "jax.vmap", "jax.checkpoint", "jax.remat"}
)
_PARTIAL = "functools.partial"
# A wrapper of a wrapper of ...: deeper than this is not followed.
_MAX_WRAPPING = 4
# Flax linen's initialisers, and the data they fold into their key.
_LINEN_INIT = frozenset({"init", "init_with_output"})
_LINEN_INIT_FOLD = Fold("flax.linen.Module.init")
_WHOLE: frozenset[tuple[Index, ...]] = frozenset({()})

# Parameter name -> the parts of its key the body consumes; None: all of it,
# since the key escapes the flow.
Summary = dict[str, frozenset[tuple[Index, ...]] | None]
# Parameters that hold a literal at a call (`train=False`, a default left as is).
Literals = frozenset[tuple[str, object]]


@dataclass(frozen=True)
class _Target:
    function: cst.FunctionDef
    bound_positional: int  # positional arguments a `functools.partial` supplied


class LocalCallees:
    """The module's own functions a call can reach, and what each does to the
    keys it is given: the `callee_effects` of one file's key flow."""

    def __init__(
        self, module: cst.Module, imports: ImportMap, key_names: tuple[str, ...]
    ) -> None:
        self.imports = imports
        self.key_names = key_names
        self.functions: dict[str, cst.FunctionDef | None] = {}
        self.bound_calls: dict[str, cst.Call] = {}
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                name = statement.name.value
                # Defined twice: which one runs depends on the order of calls.
                seen = name in self.functions
                self.functions[name] = None if seen else statement
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    bound = _bound_call(small)
                    if bound is not None:
                        self.bound_calls[bound[0]] = bound[1]
        roots = {target.split(".", 1)[0] for target in imports.bindings.values()}
        # `init(rng, ...)` is linen's in a Flax file; Haiku's splits its key.
        self.linen = "flax" in roots and "haiku" not in roots
        self.summaries: dict[tuple[int, Literals], Summary | None] = {}

    @property
    def top_level(self) -> dict[str, cst.FunctionDef]:
        """The file's top-level functions defined once, by name."""
        return {
            name: function
            for name, function in self.functions.items()
            if function is not None
        }

    @property
    def instances(self) -> frozenset[str]:
        """Top-level names bound to a class being built (`DROP = Dropout(0.5)`)."""
        return frozenset(
            name for name, call in self.bound_calls.items() if _capitalised(call.func)
        )

    def __call__(self, call: cst.Call, flow: ExpressionFlow) -> Effects | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _LINEN_INIT:
            return self._linen_init(call) if self.linen else None
        if not isinstance(func, cst.Name):
            return None
        target = self._resolve(func, flow.bound_calls, 0)
        if target is None:
            return None
        summary = self.summary(target.function, _literal_arguments(call, target))
        if summary is None:
            return None
        return _map_arguments(call, target, summary)

    def _linen_init(self, call: cst.Call) -> Effects:
        effects: Effects = {id(arg): _WHOLE for arg in call.args}
        if call.args and call.args[0].keyword is None and not call.args[0].star:
            effects[id(call.args[0])] = frozenset({(_LINEN_INIT_FOLD,)})
        return effects

    def _resolve(
        self, callee: cst.BaseExpression, local: dict[str, cst.Call], depth: int
    ) -> _Target | None:
        """The function a callee expression runs, through bound wrappers."""
        if depth > _MAX_WRAPPING:
            return None
        if isinstance(callee, cst.Call):
            return self._unwrap(callee, local, depth + 1)
        if not isinstance(callee, cst.Name):
            return None
        name = callee.value
        if name in local:  # bound in the calling scope
            return self._unwrap(local[name], local, depth + 1)
        if name not in self.functions and name in self.bound_calls:
            return self._unwrap(self.bound_calls[name], local, depth + 1)
        function = self.functions.get(name)
        if function is None or not all(
            self._transparent(decorator.decorator) for decorator in function.decorators
        ):
            return None
        return _Target(function, 0)

    def _unwrap(
        self, wrapper: cst.Call, local: dict[str, cst.Call], depth: int
    ) -> _Target | None:
        name = self.imports.qualify(wrapper.func)
        if name not in _TRANSPARENT and name != _PARTIAL:
            return None
        if not wrapper.args or wrapper.args[0].keyword or wrapper.args[0].star:
            return None
        inner = self._resolve(wrapper.args[0].value, local, depth)
        if inner is None or name in _TRANSPARENT:
            return inner
        rest = wrapper.args[1:]
        if any(arg.star for arg in rest):
            return None
        supplied = sum(1 for arg in rest if arg.keyword is None)
        return _Target(inner.function, inner.bound_positional + supplied)

    def _transparent(self, decorator: cst.BaseExpression) -> bool:
        """`@jax.jit`, `@functools.partial(jax.jit, static_argnums=...)`."""
        if isinstance(decorator, cst.Call):
            if self.imports.qualify(decorator.func) != _PARTIAL or not decorator.args:
                return False
            decorator = decorator.args[0].value
        return self.imports.qualify(decorator) in _TRANSPARENT

    def summary(
        self, function: cst.FunctionDef, literals: Literals = frozenset()
    ) -> Summary | None:
        """What the body consumes of each parameter, given the literal values
        some parameters hold (`train=False`: the paths that need `train` true
        are not taken); None when the body is not there to read (left out of
        the parse, a stub) or calls itself back."""
        key = (id(function), literals)
        if key in self.summaries:
            return self.summaries[key]
        self.summaries[key] = None  # a recursive call finds this: unknown
        if function.asynchronous is not None or _is_stub(function.body):
            return None
        flow = _ParameterFlow(self.imports, None, self.key_names, self)
        flow.follow(function, literals)
        summary: Summary = {}
        for param in parameters_of(function.params):
            origin = ("param", param.name.value)
            if any(location.origin == origin for location in flow.escaped):
                summary[param.name.value] = None
            else:
                summary[param.name.value] = frozenset(
                    _known_prefix(location.path)
                    for location in flow.touched
                    if location.origin == origin
                )
        self.summaries[key] = summary
        return summary


def _map_arguments(call: cst.Call, target: _Target, summary: Summary) -> Effects | None:
    params = target.function.params
    positional = [*params.posonly_params, *params.params]
    named = {param.name.value for param in [*positional, *params.kwonly_params]}
    effects: Effects = {}
    at = target.bound_positional
    for arg in call.args:
        if arg.star:
            return None  # `*args`, `**kwargs`: which parameter is unknown
        if arg.keyword is None:
            if at >= len(positional):
                return None  # lands in the callee's `*args`
            name = positional[at].name.value
            at += 1
        elif arg.keyword.value in named:
            name = arg.keyword.value
        else:
            return None  # lands in the callee's `**kwargs`
        consumed = summary.get(name)
        parts = _WHOLE if consumed is None else consumed
        if parts:
            effects[id(arg)] = parts
    return effects


def _literal_arguments(call: cst.Call, target: _Target) -> Literals:
    """The parameters a call gives literal values (`dropout(x, key, 0.5,
    train=False)`), and those it leaves to a literal default. None of them
    when a `*args`, `**kwargs` or `functools.partial` leaves it unclear."""
    if target.bound_positional or any(arg.star for arg in call.args):
        return frozenset()
    params = target.function.params
    positional = [*params.posonly_params, *params.params]
    by_name = {
        param.name.value: param for param in [*positional, *params.kwonly_params]
    }
    values: dict[str, object] = {
        name: literal_value(param.default)
        for name, param in by_name.items()
        if param.default is not None
    }
    for at, arg in enumerate(call.args):
        if arg.keyword is not None:
            name = arg.keyword.value
        elif at < len(positional):
            name = positional[at].name.value
        else:
            return frozenset()
        values[name] = literal_value(arg.value)
    return frozenset(
        (name, value) for name, value in values.items() if value is not NO_LITERAL
    )


def _known_prefix(path: tuple[Index, ...]) -> tuple[Index, ...]:
    """The part of a path that means the same at the call: literal indices and
    folds; a loop's element or a symbolic index stands for all of its array."""
    for depth, index in enumerate(path):
        if not isinstance(index, int | Slice | Fold):
            return path[:depth]
    return path


def _bound_call(small: cst.BaseSmallStatement) -> tuple[str, cst.Call] | None:
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and isinstance(small.value, cst.Call)
    ):
        return small.targets[0].target.value, small.value
    return None


def _capitalised(func: cst.BaseExpression) -> bool:
    name = func.attr.value if isinstance(func, cst.Attribute) else None
    if isinstance(func, cst.Name):
        name = func.value
    return name is not None and name[:1].isupper()


def _is_stub(body: cst.BaseSuite) -> bool:
    """`...`, a lone string (what elision leaves of a body) or `pass`."""
    small: Sequence[cst.BaseSmallStatement]
    if isinstance(body, cst.SimpleStatementSuite):
        small = body.body
    elif len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine):
        small = body.body[0].body
    else:
        return False
    if len(small) != 1:
        return False
    only = small[0]
    return isinstance(only, cst.Pass) or (
        isinstance(only, cst.Expr)
        and isinstance(
            only.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString
        )
    )


# Expressions the key flow follows; under any other, the keys a part holds are
# dropped, which for a summary means they escape (comparisons only look).
_FOLLOWED = (
    cst.Name,
    cst.Call,
    cst.Subscript,
    cst.Tuple,
    cst.List,
    cst.Attribute,
    cst.IfExp,
    cst.BooleanOperation,
    cst.NamedExpr,
    cst.ListComp,
    cst.SetComp,
    cst.GeneratorExp,
    cst.DictComp,
)


class _ParameterFlow(KeyFlow):
    """A callee's body with a key in every parameter: which of them it
    consumes, on any path, and which escape."""

    def __init__(
        self,
        imports: ImportMap,
        conditional_lines: frozenset[int] | None,
        key_names: tuple[str, ...],
        callees: LocalCallees,
    ) -> None:
        super().__init__(
            FlowInputs(
                imports, conditional_lines, key_names, callees, callees.instances
            )
        )
        self.touched: set[Location] = set()
        self.escaped: set[Location] = set()

    def follow(self, function: cst.FunctionDef, literals: Literals) -> None:
        state = State()
        for name, value in literals:
            literal_facts(name, value, state.facts)
        for param in parameters_of(function.params):
            state.env[param.name.value] = frozenset(
                {Location(("param", param.name.value))}
            )
        self.closures, self.bound_calls, self.counters = {}, {}, {}
        self.block(function.body, [state])

    def consume(self, location: Location, use: Use, state: State) -> None:
        self.touched.add(location)
        super().consume(location, use, state)

    def expr(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        if isinstance(node, cst.Lambda):
            self._captured(node.body, state)
            return super().expr(node, state)
        if isinstance(node, _FOLLOWED):
            return super().expr(node, state)
        for child in child_expressions(node):
            refs = self.expr(child, state)
            if not isinstance(node, cst.Comparison):
                self.escaped |= refs
        return frozenset()

    def bind(
        self, target: cst.BaseExpression, refs: frozenset[Location], state: State
    ) -> None:
        if not isinstance(target, cst.Name | cst.Tuple | cst.List | cst.StarredElement):
            self.escaped |= refs  # `self.key = key`, `table[i] = key`
        super().bind(target, refs, state)

    def _stmt_Return(self, node: cst.Return, state: State) -> Flow:
        if node.value is not None:
            self.escaped |= self.expr(node.value, state)
        return Flow([])

    def _stmt_FunctionDef(self, node: cst.FunctionDef, state: State) -> Flow:
        self._captured(node.body, state)
        return super()._stmt_FunctionDef(node, state)

    def _stmt_ClassDef(self, node: cst.ClassDef, state: State) -> Flow:
        self._captured(node.body, state)
        return super()._stmt_ClassDef(node, state)

    def _captured(self, body: cst.CSTNode, state: State) -> None:
        for name in names_in(body):
            self.escaped |= state.env.get(name, frozenset())
