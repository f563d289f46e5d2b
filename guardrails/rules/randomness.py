"""GR2: randomness and determinism. Never seed at import, build testcase modules
through `construct_and_call(...)`, split PRNG keys before reusing them (AGENTS.md)."""

from __future__ import annotations

import re
import textwrap
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from guardrails.analysis.callees import FileCallees
from guardrails.analysis.imports import ImportMap, dotted_name
from guardrails.analysis.keyflow import (
    KeyFlow,
    Reuse,
    child_nodes,
    code_of,
    key_parameters,
)
from guardrails.analysis.lines import start_lines
from guardrails.analysis.prng import KEY_PRODUCERS, SEEDERS, imports_jax
from guardrails.analysis.syntax_prescans import (
    FileSyntax,
    key_body_lines,
    may_build_eagerly,
    may_reuse_keys,
    may_seed,
)
from guardrails.config import Config
from guardrails.rules.base import NO_BODIES, FileContext, FunctionNode, Rule, Sample


def _code(text: str) -> str:
    """A sample written as an indented block, as the file it stands for."""
    return textwrap.dedent(text).lstrip("\n")


_JAX_KEYS = frozenset({"jax.random.PRNGKey", "jax.random.key"})
_RNGS = frozenset({"flax.nnx.Rngs", "flax.nnx.rnglib.Rngs"})


# --- What runs at import ---------------------------------------------------------


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = {type(test.left), type(target.comparator)}
    names = [s.value for s in (test.left, target.comparator) if isinstance(s, cst.Name)]
    texts = [
        s.evaluated_value
        for s in (test.left, target.comparator)
        if isinstance(s, cst.SimpleString)
    ]
    return (
        sides == {cst.Name, cst.SimpleString}
        and names == ["__name__"]
        and texts == ["__main__"]
    )


def import_time_expressions(
    statements: Sequence[cst.CSTNode],
) -> Iterator[cst.BaseExpression]:
    """The top expressions of what runs when a module is imported: module and class
    bodies, decorators and default values; not function bodies, not `__main__` blocks.
    Lambda bodies inside them are skipped by `_outermost_seeding_calls`."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                yield from _expressions_under(small)
        elif isinstance(statement, cst.FunctionDef):
            yield from (decorator.decorator for decorator in statement.decorators)
            yield from _parameter_defaults(statement.params)
        elif isinstance(statement, cst.ClassDef):
            yield from (decorator.decorator for decorator in statement.decorators)
            yield from (
                argument.value for argument in (*statement.bases, *statement.keywords)
            )
            yield from import_time_expressions(statement.body.body)
        elif isinstance(statement, cst.If):
            yield from _if_expressions(statement)
        else:
            # for / while / with / try / match at import time: all of it runs.
            yield from _expressions_under(statement, with_blocks=True)


def _if_expressions(statement: cst.If) -> Iterator[cst.BaseExpression]:
    if not _is_main_guard(statement.test):
        yield statement.test
        yield from import_time_expressions(statement.body.body)
    if isinstance(statement.orelse, cst.If):
        yield from _if_expressions(statement.orelse)
    elif isinstance(statement.orelse, cst.Else):
        yield from import_time_expressions(statement.orelse.body.body)


def _expressions_under(
    node: cst.CSTNode, *, with_blocks: bool = False
) -> Iterator[cst.BaseExpression]:
    for child in child_nodes(node):
        if isinstance(child, cst.BaseExpression):
            yield child
        elif isinstance(child, cst.BaseSuite):
            if with_blocks:
                yield from import_time_expressions(child.body)
        elif isinstance(child, cst.BaseStatement | cst.BaseSmallStatement):
            if with_blocks:
                yield from import_time_expressions([child])
        else:
            yield from _expressions_under(child, with_blocks=with_blocks)


def _parameter_defaults(params: cst.Parameters) -> Iterator[cst.BaseExpression]:
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.default is not None:
            yield param.default


def _seeding_advice(name: str) -> str:
    if name in KEY_PRODUCERS:
        return (
            "create the key where it is used, or pass `with_prng_key(seed)` to "
            "`construct_and_call`"
        )
    if name in _RNGS:
        return (
            "create it where it is used, or pass `with_rng_seed(seed)` to "
            "`construct_and_call`"
        )
    return "seed inside the code that needs it (a function, a fixture or `__main__`)"


def _spelled(imports: ImportMap, qualified: str) -> str:
    """How this file would write a qualified name: `jr.split` for `jax.random.split`."""
    best = qualified
    for local, target in imports.bindings.items():
        if qualified == target:
            return local
        if qualified.startswith(target + "."):
            candidate = local + qualified[len(target) :]
            if len(candidate) < len(best):
                best = candidate
    return best


class ImportTimeSeeding(Rule):
    """A PRNG key, seeded generator or global seed created while the module is imported.

    ## What it does
    Flags seeding that runs at import: at module top level, in class bodies, in
    decorator expressions and default argument values, and in the arguments of
    module-level calls such as `register_example(...)` / `register_primitive(...)`
    metadata. Seeding means `jax.random.PRNGKey` / `jax.random.key` (and `split` /
    `fold_in` / `clone` run at import), `flax.nnx.Rngs(...)`, `np.random.seed` /
    `default_rng` / `RandomState` / `Generator`, `random.seed` / `random.Random`,
    `torch.manual_seed` and `tf.random.set_seed`, however they are imported
    (`import jax.random as jr`, `from jax.random import PRNGKey`,
    `from flax import nnx`).
    Function and lambda bodies and `if __name__ == "__main__":` blocks are not
    import time and are never flagged.

    ## Why is this bad?
    Importing a plugin must not touch global random state or initialise a JAX
    backend: a key made at import is shared by everything built from it, ties the
    outcome to import order, and makes the module's import slow and device-bound.
    jax2onnx's test harness rebuilds testcase modules deterministically per dtype
    variant from the `with_prng_key(...)` / `with_rng_seed(...)` placeholders;
    a key fixed at import bypasses that.

    ## Example
    ```python
    import equinox as eqx
    import jax

    _LINEAR = eqx.nn.Linear(128, 64, key=jax.random.PRNGKey(0))
    ```

    ## Use instead
    ```python
    import equinox as eqx

    from jax2onnx.plugins.plugin_system import construct_and_call, with_prng_key

    callable_ = construct_and_call(eqx.nn.Linear, 128, 64, key=with_prng_key(0))
    ```
    """

    code = "GR201"
    name = "import-time-seeding"
    # Every seeding name is reached through text holding one of these.
    prescan = re.compile(r"[Rr]andom|Rngs|manual_seed|PRNG|\bseed\b")
    # Past the text, the tree: a call that can reach a seeder through an import.
    syntax_prescan = staticmethod(may_seed)
    # What runs at import is outside function bodies (decorators and defaults
    # stay when a body is left out), so the rule needs none of them.
    body_prescan = NO_BODIES
    VALID = (
        Sample(
            _code("""
            import jax

            def init(seed):
                return jax.random.PRNGKey(seed)
            """)
        ),
        Sample(
            _code("""
            import jax

            case = {"callable": lambda: jax.random.normal(jax.random.PRNGKey(0), (2,))}
            """)
        ),
        Sample(
            _code("""
            import numpy as np

            if __name__ == "__main__":
                np.random.seed(0)
            """)
        ),
        Sample(
            _code("""
            from jax import random

            draw = random.normal
            """)
        ),
        Sample(
            _code("""
            from flax import nnx

            class Model(nnx.Module):
                def __init__(self, rngs=None):
                    self.rngs = rngs or nnx.Rngs(0)
            """)
        ),
        Sample(
            _code("""
            def PRNGKey(seed):
                return seed

            KEY = PRNGKey(0)
            """)
        ),
    )
    INVALID = (
        Sample(_code("import jax\n\nKEY = jax.random.PRNGKey(0)\n"), line=3),
        Sample(_code("import jax.random as jr\n\nKEY = jr.key(0)\n"), line=3),
        Sample(
            _code("""
            from jax.random import PRNGKey, split

            K1, K2 = split(PRNGKey(0))
            """),
            line=3,
        ),
        Sample(
            _code("""
            import equinox as eqx
            import jax

            _LINEAR = eqx.nn.Linear(2, 3, key=jax.random.PRNGKey(0))
            """),
            line=4,
        ),
        Sample(
            _code("""
            from flax import nnx

            class Model:
                rngs = nnx.Rngs(0)
            """),
            line=4,
        ),
        Sample(
            _code("""
            import numpy as np

            def sample(rng=np.random.default_rng(0)):
                return rng.normal()
            """),
            line=3,
        ),
        Sample(_code("import numpy as np\n\nnp.random.seed(42)\n"), line=3),
        Sample(_code("import random\n\nrandom.seed(1)\n"), line=3),
        Sample(_code("import torch\n\ntorch.manual_seed(0)\n"), line=3),
        Sample(
            _code("""
            import jax

            @register_primitive(testcases=[{"input_values": [jax.random.PRNGKey(0)]}])
            class Plugin:
                pass
            """),
            line=3,
        ),
        Sample(
            _code("""
            from jax import random

            register_example(
                testcases=[{"callable": lambda x, k=random.key(1): x}],
            )
            """),
            line=4,
        ),
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        imports = self.context.imports
        for expression in import_time_expressions(original_node.body):
            for call in _outermost_seeding_calls(expression, imports):
                name = imports.qualify(call.func) or ""
                self.report(
                    call,
                    f"`{_spelled(imports, name)}(...)` seeds at import time; "
                    f"{_seeding_advice(name)}",
                )


def _outermost_seeding_calls(
    node: cst.CSTNode, imports: ImportMap
) -> Iterator[cst.Call]:
    if isinstance(node, cst.Lambda):
        for default in _parameter_defaults(node.params):
            yield from _outermost_seeding_calls(default, imports)
        return
    if isinstance(node, cst.Call) and imports.qualify(node.func) in SEEDERS:
        yield node  # `split(PRNGKey(0))` is one finding, at the outer call
        return
    for child in child_nodes(node):
        yield from _outermost_seeding_calls(child, imports)


# --- GR202: testcase callables built at import ----------------------------------------


def _testcase_callables(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """`"callable"` values of testcase dicts (dicts that also name a `"testcase"`)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Dict):
            entries = {
                element.key.evaluated_value: element.value
                for element in current.elements
                if isinstance(element, cst.DictElement)
                and isinstance(element.key, cst.SimpleString)
                and isinstance(element.key.evaluated_value, str)
            }
            if "testcase" in entries and "callable" in entries:
                yield entries["callable"]
        elif (
            isinstance(current, cst.Call)
            and isinstance(current.func, cst.Name)
            and current.func.value == "dict"
        ):
            keywords = {
                arg.keyword.value: arg.value for arg in current.args if arg.keyword
            }
            if "testcase" in keywords and "callable" in keywords:
                yield keywords["callable"]
        stack.extend(reversed(list(child_nodes(current))))


@dataclass(frozen=True)
class _EagerBuild:
    """A module instance built at import, and how the testcase callable reaches it."""

    construction: cst.Call
    through_name: str | None = None  # `"callable": _MODEL` bound at module level
    wrapper: str | None = None  # `jax.vmap(Module(...))`
    lambda_default: str | None = None  # `lambda x, _m=_MODEL: ...`


class _ModuleScope:
    """Module-level names: what each is bound to, and which are classes."""

    def __init__(self, module: cst.Module, imports: ImportMap) -> None:
        self.imports = imports
        self.values: dict[str, cst.BaseExpression] = {}
        self.classes: set[str] = set()
        for statement in module.body:
            if isinstance(statement, cst.ClassDef):
                self.classes.add(statement.name.value)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._record(small)

    def _record(self, statement: cst.BaseSmallStatement) -> None:
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                if isinstance(target.target, cst.Name):
                    self.values[target.target.value] = statement.value
        elif (
            isinstance(statement, cst.AnnAssign)
            and statement.value is not None
            and isinstance(statement.target, cst.Name)
        ):
            self.values[statement.target.value] = statement.value

    def is_class(self, func: cst.BaseExpression) -> bool:
        """Whether a callee is a class: a class of this module, or a CapWords name
        (as imported: `EG` imported as `expect_graph` is a function)."""
        local = dotted_name(func)
        if local is None:
            return False
        if local in self.classes:
            return True
        qualified = self.imports.qualify(func) or local
        if qualified.split(".", 1)[0] in {"jax", "numpy", "builtins"}:
            return False  # `jax.random.PRNGKey`, `jax.ShapeDtypeStruct`: not modules
        last = qualified.rsplit(".", 1)[-1].lstrip("_")
        return last[:1].isupper()

    def eager_build(
        self, value: cst.BaseExpression, seen: frozenset[str] = frozenset()
    ) -> _EagerBuild | None:
        """The module instance `value` builds (or holds) at import, if any."""
        if isinstance(value, cst.Lambda):
            for param in (*value.params.params, *value.params.kwonly_params):
                if param.default is None:
                    continue
                found = self.eager_build(param.default, seen)
                if found is not None:
                    text = f"{param.name.value}={code_of(param.default)}"
                    return replace(found, lambda_default=text)
            return None
        if isinstance(value, cst.Name) and value.value in self.values:
            if value.value in seen:
                return None
            found = self.eager_build(self.values[value.value], seen | {value.value})
            # Name it as the testcase spells it (`_ALIAS`, not what it aliases).
            return None if found is None else replace(found, through_name=value.value)
        if not isinstance(value, cst.Call):
            return None
        callee = self.imports.qualify_or_local(value.func) or ""
        if callee.rsplit(".", 1)[-1] in {"construct_and_call", "make_callable_factory"}:
            return None
        if self.is_class(value.func):
            return _EagerBuild(value)
        for arg in value.args:
            found = self.eager_build(arg.value, seen)
            if found is not None:
                return (
                    found
                    if found.wrapper
                    else replace(found, wrapper=code_of(value.func))
                )
        return None


def _placeholder(arg: cst.Arg, imports: ImportMap) -> str:
    """An argument as `construct_and_call` wants it: keys, Rngs and dtypes as
    placeholders the harness resolves per variant."""
    value = arg.value
    keyword = arg.keyword.value if arg.keyword is not None else None
    prefix = f"{keyword}=" if keyword else str(arg.star)
    if isinstance(value, cst.Call):
        name = imports.qualify(value.func)
        seed = code_of(value.args[0].value) if value.args else "0"
        if name in _JAX_KEYS:
            return f"{prefix}with_prng_key({seed})"
        if name in KEY_PRODUCERS:
            return f"{prefix}with_prng_key(0)"
        if name in _RNGS:
            return f"{prefix}with_rng_seed({seed})"
    if keyword in {"dtype", "param_dtype"}:
        return f"{prefix}with_requested_dtype()"
    return prefix + code_of(value)


def construct_and_call_form(construction: cst.Call, imports: ImportMap) -> str:
    arguments = [code_of(construction.func)]
    arguments += [_placeholder(arg, imports) for arg in construction.args]
    return _short(f"construct_and_call({', '.join(arguments)})", limit=160)


class EagerTestcaseCallable(Rule):
    """A testcase `"callable"` that builds its module once, at import.

    ## What it does
    In `register_example(...)` / `register_primitive(...)` testcases (any dict with
    both a `"testcase"` and a `"callable"` entry), flags a callable that is a module
    instance built at import: `eqx.nn.LayerNorm(32)`, `MyModel(rngs=nnx.Rngs(0))`,
    a wrapped instance such as `jax.vmap(eqx.nn.Linear(...))`, a module-level name
    bound to one (`_MODEL = eqx.nn.Conv2d(...)` then `"callable": _MODEL`), or a lambda
    whose default argument holds one. A callee counts as a class when it is a class
    of the same module or its name, as imported, is CapWords. Lambdas, plain
    functions, `functools.partial` of functions, `jax.jit(f)` and
    `construct_and_call(...)` are fine, and so is what a lambda's body calls (it
    runs per test). The message shows the `construct_and_call`
    form, with `with_prng_key(...)`, `with_rng_seed(...)` and
    `with_requested_dtype()` in place of keys, `nnx.Rngs` and dtypes.

    ## Why is this bad?
    The harness runs every testcase for f32 and f64. It can only rebuild the module
    for each variant (parameters in the requested dtype, keys from a deterministic
    seed) when it receives the constructor and its arguments; an instance built at
    import is frozen in whatever dtype and seed it was built with, and importing the
    plugin pays for the construction.

    ## Example
    ```python
    register_primitive(
        testcases=[{"testcase": "layer_norm", "callable": eqx.nn.LayerNorm(32)}],
    )
    ```

    ## Use instead
    ```python
    register_primitive(
        testcases=[
            {
                "testcase": "layer_norm",
                "callable": construct_and_call(eqx.nn.LayerNorm, 32, eps=1e-5),
            }
        ],
    )
    ```
    """

    code = "GR202"
    name = "eager-testcase-callable"
    prescan = re.compile(r"callable(?:[\"']|\s*=)")
    # Past the text, the tree: does any testcase callable build anything?
    syntax_prescan = staticmethod(may_build_eagerly)
    # A testcase dict in a method says "callable" there.
    body_prescan = prescan
    VALID = (
        Sample(
            _code("""
            import equinox as eqx

            register_primitive(
                testcases=[
                    {
                        "testcase": "ln",
                        "callable": construct_and_call(eqx.nn.LayerNorm, 32),
                    },
                ],
            )
            """)
        ),
        Sample(
            _code("""
            import functools

            import jax
            import jax.numpy as jnp

            def _double(x):
                return 2 * x

            register_example(
                testcases=[
                    {"testcase": "a", "callable": lambda x: jax.nn.relu(x)},
                    {"testcase": "b", "callable": _double},
                    {"testcase": "c", "callable": jax.jit(_double)},
                    {"testcase": "d", "callable": functools.partial(jnp.sum, axis=0)},
                    {"testcase": "e", "callable": lambda x: Model(3)(x)},
                ],
            )
            """)
        ),
        Sample(
            _code("""
            from expect import expect_graph as EG

            register_example(testcases=[{"testcase": "r", "callable": EG(["Add"])}])
            """)
        ),
        Sample('settings = {"callable": Model(3)}\n'),
    )
    INVALID = (
        Sample(
            _code("""
            import equinox as eqx

            register_primitive(
                testcases=[{"testcase": "ln", "callable": eqx.nn.LayerNorm(32)}],
            )
            """),
            line=4,
        ),
        Sample(
            _code("""
            import equinox as eqx
            import jax

            @register_primitive(
                testcases=[{"testcase": "v", "callable": jax.vmap(eqx.nn.PReLU())}],
            )
            class Plugin:
                pass
            """),
            line=5,
        ),
        Sample(
            _code("""
            from flax import nnx

            class MyModel(nnx.Module):
                pass

            register_example(
                testcases=[{"testcase": "m", "callable": MyModel(rngs=nnx.Rngs(0))}],
            )
            """),
            line=7,
        ),
        Sample(
            _code("""
            import equinox as eqx
            import jax

            _CONV = eqx.nn.Conv2d(3, 8, 3, key=jax.random.PRNGKey(0))

            register_primitive(testcases=[{"testcase": "c", "callable": _CONV}])
            """),
            line=6,
        ),
        Sample(
            _code("""
            import equinox as eqx

            _IDENTITY = eqx.nn.Identity()

            register_primitive(
                testcases=[{"testcase": "i", "callable": lambda x, m=_IDENTITY: m(x)}],
            )
            """),
            line=6,
        ),
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        scope: _ModuleScope | None = None
        for value in _testcase_callables(original_node):
            scope = scope or _ModuleScope(original_node, self.context.imports)
            found = scope.eager_build(value)
            if found is not None:
                self.report(value, self._message(found, scope))

    def _message(self, found: _EagerBuild, scope: _ModuleScope) -> str:
        ctor = code_of(found.construction.func)
        form = construct_and_call_form(found.construction, self.context.imports)
        if found.lambda_default is not None:
            default = _short(found.lambda_default)
            what = f"the lambda's default `{default}` holds a `{ctor}` built at import"
        elif found.through_name is not None:
            what = f"`{found.through_name}` is a `{ctor}` built at import"
        else:
            what = f"`{ctor}(...)` is built once, at import"
        advice = f"use `{form}`"
        nested = [
            code_of(inner.func)
            for arg in found.construction.args
            for inner in _calls_in(arg.value)
            if scope.is_class(inner.func)
        ]
        if found.wrapper is not None:
            advice += f" with a constructor that returns `{found.wrapper}(...)` of it"
        elif nested:
            advice += (
                f" with a constructor that also builds the nested `{nested[0]}`, "
                "or it is still built at import"
            )
        return f"testcase callable: {what}; {advice}"


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls evaluated with `node` (not those in lambda bodies)."""
    if isinstance(node, cst.Lambda):
        return
    if isinstance(node, cst.Call):
        yield node
    for child in child_nodes(node):
        yield from _calls_in(child)


# --- GR203: PRNG key reuse ---------------------------------------------------------


class PrngKeyReuse(Rule):
    """A PRNG key that can be consumed twice without a split in between.

    ## What it does
    Follows PRNG keys through each function (and the module's top level), path by
    path. A key is the result of a `jax.random` producer (`PRNGKey`, `key`, `split`,
    `fold_in`, `clone`, `wrap_key_data`), an element, slice or unpacked name of one,
    or a parameter whose name says it is a key. That naming convention is the
    `key-names` setting: fnmatch patterns, by default `key`, `rng`, `rng_key`,
    `prng_key`, `*_key`, `subkey` and `k[0-9]*` (`k1`, `k2`...). So that a
    dictionary's `key` is not taken for one, an annotated parameter must be
    annotated as a key or array (`PRNGKeyArray`, `jax.Array`; not `key: str`, nor
    a shared, stateful `rng: nnx.Rngs`),
    and an unannotated one counts in files that import the JAX ecosystem (`jax`,
    `flax`, `equinox`, ...). Configure the names in `pyproject.toml`:

    ```toml
    [tool.guardrails]
    key-names = ["key", "*_key", "rng", "seed_key"]
    ```

    Consuming a key means passing it to a call, positionally, by keyword or
    starred: a `jax.random` function (`split` included), a constructor or a
    helper, or calling a local function that passes it on. Looking at it does not
    consume it: `.shape`, `.dtype`, `key is None`, `isinstance(key, ...)`,
    `len(keys)`, `jax.random.key_data(key)`. As in JAX's own checker, `fold_in`
    and `clone` derive a new key and leave the parent usable; folding the same
    literal data into one key twice gives the same key, and is reported.

    A function defined at the top of the same file (called by name, or through
    `jax.jit`, `jax.pmap`, `jax.vmap`, `jax.checkpoint` or `functools.partial`)
    consumes what its body consumes, so Flax's `train_step(state, batch, rng)`,
    which only folds the step into `rng`, can be given the same key every step.
    A key its body returns, stores or captures in a closure counts as consumed.
    Flax linen's `model.init(rng, ...)` derives its variables with `fold_in`:
    `rng` stays usable after it, but `init` twice with one key is reported.

    A key passed by keyword (`key=k`) to a call in inference mode is not consumed
    either: Equinox's and Flax's dropout layers ignore their key when given
    `inference=True` or `deterministic=True` (or `training=False`, `train=False`,
    `is_training=False`), literally or as a condition the path took. So
    `if inference: k1 = k2 = key` followed by `drop(x, inference=inference,
    key=k1)` and `drop(y, inference=inference, key=k2)` is not reported. A class
    being built (`eqx.nn.MultiheadAttention(..., inference=True, key=k)` draws its
    weights) and a positional key (`model.init(rng, x, deterministic=True)`) are
    still consumed.

    Reported: two draws from one key; the parent used after `split`; one element
    (`keys[0]`) used twice; an alias (`k = key`) used with the original; a use in a
    loop body, comprehension or `while` loop that does not re-split each round; a use
    on one branch followed by a use after it. Not reported: uses on mutually
    exclusive branches, after an early `return`, `key, sub = split(key)` inside a
    loop, distinct indices or slices of a split array, iterating over a split array,
    and uses after the name is rebound to a fresh key. Paths are told apart by
    their conditions, so `if cfg.fused:` and a later `if not cfg.fused:` never
    meet.

    ## Why is this bad?
    A JAX key is single-use: two draws from one key return correlated (often equal)
    numbers, so two layers initialised from the same key get identical weights and
    dropout masks repeat. Nothing fails; the model is just quietly wrong. JAX's own
    checker (`jax.debug_key_reuse`) only sees the paths a run takes.

    Reuse on purpose (a test that hands one key twice to check it arrives
    unchanged) takes a suppression that says why:
    `f(x, key=key)  # guardrails: ignore[GR203] the same key must reach f`.

    ## Example
    ```python
    def init(key):
        w = jax.random.normal(key, (3, 3))
        b = jax.random.normal(key, (3,))
        return w, b
    ```

    ## Use instead
    ```python
    def init(key):
        w_key, b_key = jax.random.split(key)
        w = jax.random.normal(w_key, (3, 3))
        b = jax.random.normal(b_key, (3,))
        return w, b
    ```
    """

    code = "GR203"
    name = "prng-key-reuse"
    # Whatever `key-names` says, a key comes from jax.random (the text holds
    # "random"), from a parameter annotated as a key or array (the annotation
    # matches `_KEY_ANNOTATION`), or from an unannotated parameter in a file that
    # imports the JAX ecosystem (the import names the package).
    prescan = re.compile(
        r"(?i:random|key|rng|array|jax)|flax|equinox|haiku|optax|chex|equimo"
    )
    # Past the text, the tree: is there a key-named parameter or a producer call?
    syntax_prescan = staticmethod(may_reuse_keys)
    # Keys are followed from producers and key-named parameters (`needs_body`).
    body_prescan = NO_BODIES

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        lines = key_body_lines(syntax.index, config)
        if lines is None:
            return True
        first, last = function.lineno, function.end_lineno or function.lineno
        at = bisect_left(lines, first)
        return at < len(lines) and lines[at] <= last

    VALID = (
        Sample(
            _code("""
            import jax

            def init(key):
                k1, k2 = jax.random.split(key)
                return jax.random.normal(k1, (2,)), jax.random.normal(k2, (2,))
            """)
        ),
        Sample(
            _code("""
            import jax.random as jr

            def sample(key, flag):
                if flag:
                    return jr.normal(key, (2,))
                return jr.uniform(key, (2,))
            """)
        ),
        Sample(
            _code("""
            import jax

            def walk(key, steps):
                out = []
                for _ in range(steps):
                    key, sub = jax.random.split(key)
                    out.append(jax.random.normal(sub, ()))
                return out
            """)
        ),
        Sample(
            _code("""
            import jax

            def spread(key):
                keys = jax.random.split(key, 4)
                first = jax.random.normal(keys[0], ())
                second = jax.random.normal(keys[1], ())
                rest = [jax.random.normal(k, ()) for k in keys[2:]]
                return first, second, rest
            """)
        ),
        Sample(
            _code("""
            import jax

            def checked(key, shape):
                if key is None or key.shape != ():
                    raise ValueError("need one key")
                return jax.random.normal(key, shape)
            """)
        ),
        Sample(
            _code("""
            import jax

            def derived(key):
                a = jax.random.normal(jax.random.fold_in(key, 0), ())
                b = jax.random.normal(jax.random.fold_in(key, 1), ())
                return a, b
            """)
        ),
        Sample(
            _code("""
            def lookup(table, key: str):
                return table.get(key) or table.pop(key)
            """)
        ),
        Sample(
            _code("""
            import jax

            def attention(self, x, key, inference=False):
                if inference:
                    k1 = k2 = key
                else:
                    k1, k2 = jax.random.split(key)
                x = self.attn_drop(x, inference=inference, key=k1)
                return self.proj_drop(x, inference=inference, key=k2)
            """)
        ),
    )
    INVALID = (
        Sample(
            _code("""
            import jax

            def init(key):
                w = jax.random.normal(key, (3, 3))
                b = jax.random.normal(key, (3,))
                return w, b
            """),
            line=5,
        ),
        Sample(
            _code("""
            from jax.random import normal, split

            def sample(key):
                k1, k2 = split(key)
                return normal(key, ())
            """),
            line=5,
        ),
        Sample(
            _code("""
            import jax.random as jr

            def noise(key, n):
                return [jr.normal(key, ()) for _ in range(n)]
            """),
            line=4,
        ),
        Sample(
            _code("""
            import jax

            def sample(key, flag):
                if flag:
                    x = jax.random.normal(key, ())
                return jax.random.uniform(key, ())
            """),
            line=6,
        ),
        Sample(
            _code("""
            import equinox as eqx

            class Block(eqx.Module):
                def __init__(self, key):
                    self.a = eqx.nn.Linear(2, 2, key=key)
                    self.b = eqx.nn.Linear(2, 2, key=key)
            """),
            line=6,
        ),
        Sample(
            _code("""
            import jax

            KEYS = jax.random.split(jax.random.key(0))
            A = jax.random.normal(KEYS[0])
            B = jax.random.normal(KEYS[0])
            """),
            line=5,
        ),
        Sample(
            _code("""
            import jax

            def chunk(self, x, key, inference=False):
                if inference:
                    keys = [key] * len(self.blocks)
                else:
                    keys = jax.random.split(key, len(self.blocks))
                for block, block_key in zip(self.blocks, keys):
                    x = block(x, inference=inference, key=block_key)
                return self.downsample(x, inference=inference, key=key)
            """),
            line=10,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.key_names = context.file.config.key_names
        self.jax_file = imports_jax(context.imports)
        # Functions and lambdas are scopes; those worth analysing have a key
        # parameter or call a key producer.
        self.functions: list[cst.FunctionDef | cst.Lambda] = []
        self.scopes: dict[int, cst.FunctionDef | cst.Lambda] = {}
        self.module_makes_keys = False
        # Statement lines with a conditional expression, so the key flow splits
        # paths on those lines only.
        self.lines: list[cst.SimpleStatementLine] = []
        self.conditional_lines: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)
        if key_parameters(node, self.key_names, self.jax_file):
            self.scopes[id(node)] = node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(node)
        if key_parameters(node, self.key_names, self.jax_file):
            self.scopes[id(node)] = node

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.functions.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.lines.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self.lines.pop()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        if self.lines:
            self.conditional_lines.add(id(self.lines[-1]))

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.imports.qualify(node.func) in KEY_PRODUCERS:
            if self.functions:
                self.scopes[id(self.functions[-1])] = self.functions[-1]
            else:
                self.module_makes_keys = True

    def leave_Module(self, original_node: cst.Module) -> None:
        imports = self.context.imports
        flow = KeyFlow(
            imports,
            frozenset(self.conditional_lines),
            self.key_names,
            FileCallees(original_node, imports, self.key_names),
        )
        for function in self.scopes.values():
            flow.run_function(function, self.key_names)
        if self.module_makes_keys:
            flow.run_module(original_node)
        if not flow.reuses:
            return
        lines = start_lines(
            original_node, (reuse.first.argument for reuse in flow.reuses.values())
        )
        for reuse in flow.reuses.values():
            line = lines[id(reuse.first.argument)]
            self.report(reuse.second.argument, self._message(reuse, line))

    def _message(self, reuse: Reuse, first_line: int) -> str:
        imports = self.context.imports
        second = reuse.second
        used = second.captured or _short(code_of(second.argument))
        split = _spelled(imports, "jax.random.split")
        fold_in = _spelled(imports, "jax.random.fold_in")
        if second.captured:
            fix = f"pass each call its own key from `{split}({used})`"
        elif isinstance(second.argument, cst.Name):
            fresh = "subkey" if used != "subkey" else "subkey2"
            fix = f"`{used}, {fresh} = {split}({used})` and pass `{fresh}`"
        elif (
            isinstance(second.argument, cst.Call)
            and imports.qualify(second.argument.func) == "jax.random.fold_in"
        ):
            fix = f"fold different data into each (`{fold_in}(key, 1)`)"
        else:
            fix = f"split one key per use (`{split}(key, n)`) and index each once"
        second_call = _short(code_of(second.call.func))
        where = (
            f"before `{second_call}` uses it again"
            if second.captured
            else f"before passing it to `{second_call}`"
        )
        if reuse.in_loop:
            return (
                f"PRNG key `{used}` goes to `{second_call}` on every round of the loop "
                f"without a new split; split inside the loop: {fix}"
            )
        first_call = _short(code_of(reuse.first.call.func))
        return (
            f"PRNG key `{used}` may already be consumed by `{first_call}` on line "
            f"{first_line}; split {where}: {fix}"
        )


def _short(code: str, limit: int = 60) -> str:
    """Code for a message: one line, and not too long."""
    flat = " ".join(code.split())
    # What line breaks left behind: `f( a, b, )` -> `f(a, b)`.
    flat = re.sub(r"([(\[{]) ", r"\1", flat)
    flat = re.sub(r",? ([)\]}])", r"\1", flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
