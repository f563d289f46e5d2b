"""GR201-GR203's second-stage pre-scans, on CPython's tree (see
`analysis.syntax_prescans`): is there a seeder call, a key to follow, a testcase
callable that builds something? No LibCST here: the engine asks these before it
decides whether to import it.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections.abc import Iterator, Sequence

from guardrails.analysis.harness import testcase_callable
from guardrails.analysis.import_bindings import ImportBindings
from guardrails.analysis.prng import KEY_PRODUCERS, SEEDERS, is_key_name
from guardrails.analysis.syntax_prescans import Function, SyntaxIndex
from guardrails.config import Config

# Last parts of the `jax.random` functions that make keys: `split`, `PRNGKey`...
_PRODUCER_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in KEY_PRODUCERS)
# ... and of the `jax.random` draws: a function that draws may be handed a key
# under any name (`jax.vmap(encode)(keys, x)` with `def encode(r, x)`).
_DRAW_NAMES = frozenset(
    {
        "normal",
        "uniform",
        "bernoulli",
        "categorical",
        "randint",
        "choice",
        "permutation",
        "truncated_normal",
        "gumbel",
        "exponential",
        "multivariate_normal",
        "dirichlet",
        "beta",
        "gamma",
        "laplace",
        "logistic",
        "rademacher",
        "bits",
        "ball",
        "orthogonal",
        "poisson",
    }
)
# ... and of every seeder: `Rngs`, `seed`, `manual_seed`, `default_rng`...
_SEEDER_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in SEEDERS)
# What GR202 takes as building no module at import: the harness's factories.
_LAZY_FACTORIES = frozenset({"construct_and_call", "make_callable_factory"})


def _parameters(function: Function) -> Iterator[ast.arg]:
    arguments = function.args
    yield from arguments.posonlyargs
    yield from arguments.args
    yield from arguments.kwonlyargs
    if arguments.vararg is not None:
        yield arguments.vararg
    if arguments.kwarg is not None:
        yield arguments.kwarg


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _may_call(call: ast.Call, imports: ImportBindings, names: frozenset[str]) -> bool:
    """Whether `call` could qualify (as `ImportMap.qualify` does) to a function
    whose last name is one of `names`: it ends so, and reaches back to an import."""
    imported = imports.bindings
    func = call.func
    if isinstance(func, ast.Attribute):
        root = _root_name(func)
        return func.attr in names and root is not None and root in imported
    if isinstance(func, ast.Name) and func.id in imported:
        return imported[func.id].rsplit(".", 1)[-1] in names
    return False


def may_seed(index: SyntaxIndex, config: Config) -> bool:
    """GR201 reports calls to seeders (`PRNGKey`, `nnx.Rngs`, `np.random.seed`...)
    reached through an import, directly or through module-level bindings; a file
    with no such call anywhere has none at import time."""
    values: dict[str, list[ast.expr]] | None = None
    for call in index.calls:
        if _may_call(call, index.imports, _SEEDER_NAMES):
            return True
        root = _callee_root(call.func)
        if root is None or root in index.imports.bindings:
            continue
        values = _module_values(index.tree) if values is None else values
        if root in values and _may_call_through_binding(call.func, index, values):
            return True
    return False


def _callee_root(func: ast.expr) -> str | None:
    """The name a callee starts from: `_jr` of `_jr.PRNGKey`, `_S` of `_S["k"]`."""
    while isinstance(func, ast.Attribute | ast.Subscript):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _may_call_through_binding(
    func: ast.expr, index: SyntaxIndex, values: dict[str, list[ast.expr]]
) -> bool:
    """Whether a callee reached through module-level bindings could qualify to a
    seeder (as `ModuleBindings.qualify` does): it ends in a seeder's name, or
    what its bindings hold, followed through the names they mention, names one."""
    if isinstance(func, ast.Attribute):
        return func.attr in _SEEDER_NAMES
    pending = [_callee_root(func)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name is None or name in seen:
            continue
        seen.add(name)
        for value in values.get(name, ()):
            for node in ast.walk(value):
                if isinstance(node, ast.Attribute) and node.attr in _SEEDER_NAMES:
                    return True
                if isinstance(node, ast.Name):
                    imported = index.imports.bindings.get(node.id)
                    if imported is not None:
                        if imported.rsplit(".", 1)[-1] in _SEEDER_NAMES:
                            return True
                    else:
                        pending.append(node.id)
    return False


def may_reuse_keys(index: SyntaxIndex, config: Config) -> bool:
    """GR203 follows keys only in functions with a key-named parameter, in
    scopes that call a key producer, a `jax.random` function or an RNG
    stream, and where a key-named attribute is read; a file with none of these
    has nothing to follow.
    (Annotations and the file's imports decide further; not asked here.)"""
    if any(_may_call(call, index.imports, _PRODUCER_NAMES) for call in index.calls):
        return True
    if any(
        is_key_name(parameter.arg, config.key_names)
        for function in index.functions
        for parameter in _parameters(function)
    ):
        return True
    # A key kept on an object or a record (`self.key`, `state.rng`), or drawn
    # from an RNG stream (`rngs.params()`, `self.rngs()`).
    return (
        any(is_key_name(attribute, config.key_names) for attribute in index.attributes)
        or any(
            _names_its_key(call) and _jax_random_call(call, index.imports)
            for call in index.calls
        )
        or _keeps_a_stream_draw(index)
    )


def _keeps_a_stream_draw(index: SyntaxIndex) -> bool:
    """A stream draw kept in a name (`k = rngs.params()`): drawn in place, as
    in `normal(rngs.params(), shape)`, it is a fresh key used once."""
    return any(_draws_from_stream(call) for call in index.assigned_calls)


def keeps_keys_elsewhere(index: SyntaxIndex, config: Config) -> bool:
    """Whether a key may be kept outside a function's key-named locals: a
    key-named attribute, an RNG stream draw kept in a name, or a `jax.random`
    call given an attribute or a name outside `key-names` as its key. A file
    with none (and no `yield`, no module key) needs only the functions with a
    producer or a key parameter."""
    if any(is_key_name(attribute, config.key_names) for attribute in index.attributes):
        return True
    if _keeps_a_stream_draw(index):
        return True
    for call in index.calls:
        if _names_its_key(call) and _jax_random_call(call, index.imports):
            first = call.args[0]
            if not isinstance(first, ast.Name) or not is_key_name(
                first.id, config.key_names
            ):
                return True
    return False


def _names_its_key(call: ast.Call) -> bool:
    """`f(rng, ...)`, `f(self.key, ...)`: the first argument is a name or an
    attribute (a key made in place, `f(split(k)[0])`, is followed anyway)."""
    return bool(call.args) and isinstance(call.args[0], ast.Name | ast.Attribute)


def _jax_random_call(call: ast.Call, imports: ImportBindings) -> bool:
    """A call of a `jax.random` function (`jr.normal(rng, ...)`): its key
    argument is a key, whatever its name."""
    parts: list[str] = []
    node = call.func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return False
    qualified = imports.qualify_dotted(".".join([node.id, *reversed(parts)]))
    return qualified is not None and qualified.startswith("jax.random.")


def _draws_from_stream(call: ast.Call) -> bool:
    """`rngs.params()`, `rngs()`, linen's `self.make_rng(...)`, Haiku's
    `hk.next_rng_key()`."""
    func = call.func
    if isinstance(func, ast.Attribute) and (
        _is_stream(func.value) or func.attr in {"make_rng", "next_rng_key"}
    ):
        return True
    return _is_stream(func)


def _is_stream(node: ast.expr) -> bool:
    name = (
        node.id
        if isinstance(node, ast.Name)
        else node.attr
        if isinstance(node, ast.Attribute)
        else ""
    )
    return name == "rngs" or name.endswith("_rngs")


def key_body_lines(index: SyntaxIndex, config: Config) -> list[int] | None:
    """Lines where GR203 may start following a key: each key producer call,
    each draw (its function may be handed a key) and each function or lambda
    with a key-named parameter. None when a producer
    may run outside every function (GR203 then follows the module's top level,
    into any function it calls: every body may matter)."""
    if config.key_names in index.key_lines:
        return index.key_lines[config.key_names]
    lines = [
        call.lineno
        for call in index.calls
        if _may_call(call, index.imports, _PRODUCER_NAMES)
    ]
    draws = [
        call.lineno
        for call in index.calls
        if _may_call(call, index.imports, _DRAW_NAMES)
    ]
    spans = [
        (function.lineno, function.end_lineno or function.lineno)
        for function in index.functions
        if not isinstance(function, ast.Lambda)
    ]
    at_top = not _all_within(lines, spans)
    lines += [
        call.lineno
        for call in index.calls
        if _names_its_key(call) and _jax_random_call(call, index.imports)
    ]
    lines += [
        function.lineno
        for function in index.functions
        if any(
            is_key_name(parameter.arg, config.key_names)
            for parameter in _parameters(function)
        )
    ]
    found = None if at_top else sorted(lines + draws)
    index.key_lines[config.key_names] = found
    return found


def _all_within(lines: Sequence[int], spans: Sequence[tuple[int, int]]) -> bool:
    """Whether each of `lines` is in one of the (first, last) `spans`, which may
    nest or overlap. Their union is looked up by bisection: comparing every line
    with every span made a file of many functions quadratic."""
    union: list[list[int]] = []
    for first, last in sorted(spans):
        if union and first <= union[-1][1]:
            union[-1][1] = max(union[-1][1], last)
        else:
            union.append([first, last])
    firsts = [first for first, _ in union]
    for line in lines:
        at = bisect_right(firsts, line) - 1
        if at < 0 or line > union[at][1]:
            return False
    return True


def _testcase_callables(index: SyntaxIndex) -> Iterator[ast.expr]:
    """Every value GR202 takes as a testcase's callable, and some more (CPython
    joins `"call" "able"` into one string; LibCST, which the rule reads, not)."""
    for node in index.dicts:
        entries = [
            (key.value, value)
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant)
        ]
        if testcase_callable(entries) is not None:
            # Every "callable" value, not only the last: a joined `"call" "able"`
            # key may win here where the rule, on LibCST's tree, reads another.
            yield from (value for key, value in entries if key == "callable")
    for call in index.calls:
        if isinstance(call.func, ast.Name) and call.func.id == "dict":
            found = testcase_callable(
                (keyword.arg, keyword.value) for keyword in call.keywords
            )
            if found is not None:
                yield found


def _bound_names(target: ast.expr) -> Iterator[str]:
    """Names an assignment target binds (`a`, `a, (b, *c)`), as LibCST's
    `ModuleBindings` may follow them."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _module_values(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """Each module-level name and every value it may stand for: a name bound by
    unpacking takes the whole value (a superset of the element it gets)."""
    values: dict[str, list[ast.expr]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in _bound_names(target):
                    values.setdefault(name, []).append(statement.value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            for name in _bound_names(statement.target):
                values.setdefault(name, []).append(statement.value)
    return values


class _EagerSearch:
    """A loose `_eager_builds.ModuleScope.eager_build`: could this value be a
    module built at import? Calls count unless they are the lazy factories or
    plainly a function of lowercase name whose arguments build nothing either."""

    def __init__(self, index: SyntaxIndex) -> None:
        self.index = index
        self.values = _module_values(index.tree)

    def may_build(self, value: ast.expr, seen: frozenset[str] = frozenset()) -> bool:
        if isinstance(value, ast.Lambda):
            defaults = [*value.args.defaults, *value.args.kw_defaults]
            return any(
                default is not None and self.may_build(default, seen)
                for default in defaults
            )
        if isinstance(value, ast.Name):
            if value.id in seen:
                return False
            return any(
                self.may_build(bound, seen | {value.id})
                for bound in self.values.get(value.id, ())
            )
        if isinstance(value, ast.Subscript):
            # `_HEADS[0]`, `_MODELS["ln"]`: whatever the container may hold.
            return self.may_build(value.value, seen)
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            return any(self.may_build(element, seen) for element in value.elts)
        if isinstance(value, ast.Starred):
            return self.may_build(value.value, seen)
        if isinstance(value, ast.Dict):
            return any(self.may_build(element, seen) for element in value.values)
        if not isinstance(value, ast.Call):
            return False
        last = self._callee_last_name(value.func)
        if last is None:
            return True
        if last in _LAZY_FACTORIES:
            return False
        if last.lstrip("_")[:1].isupper() or last in self.index.module_classes:
            return True
        arguments = [*value.args, *(keyword.value for keyword in value.keywords)]
        return any(self.may_build(argument, seen) for argument in arguments)

    def _callee_last_name(self, func: ast.expr) -> str | None:
        """The callee's last name as `qualify_or_local` would end it, or None
        when it cannot be told (not a dotted name, or renamed on import)."""
        if isinstance(func, ast.Attribute):
            return func.attr if _root_name(func) is not None else None
        if isinstance(func, ast.Name):
            imported = self.index.imports.bindings.get(func.id)
            if imported is None or imported.rsplit(".", 1)[-1] == func.id:
                return func.id
        return None


def may_build_eagerly(index: SyntaxIndex, config: Config) -> bool:
    """GR202 looks only at testcase callables; a file whose callables are all
    lambdas, plain names and `construct_and_call(...)` has nothing to report."""
    search = _EagerSearch(index)
    return any(search.may_build(value) for value in _testcase_callables(index))
