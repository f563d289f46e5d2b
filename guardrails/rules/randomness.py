"""GR2: randomness and determinism. Never seed at import, build testcase modules
through `construct_and_call(...)`, split PRNG keys before reusing them (AGENTS.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from guardrails.analysis.imports import ImportMap, dotted_name
from guardrails.analysis.keyflow import KeyFlow, Reuse, code_of, key_parameters
from guardrails.analysis.prng import KEY_PRODUCERS, SEEDERS
from guardrails.rules.base import FileContext, Rule, Sample

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
    Lambda bodies inside them are skipped by `import_time_calls`."""
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
    for child in node.children:
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


def _calls_outside_lambda_bodies(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls evaluated with `node`: lambda bodies run later, their defaults now."""
    if isinstance(node, cst.Lambda):
        for default in _parameter_defaults(node.params):
            yield from _calls_outside_lambda_bodies(default)
        return
    if isinstance(node, cst.Call):
        yield node
    for child in node.children:
        yield from _calls_outside_lambda_bodies(child)


def _seeding_advice(name: str) -> str:
    if name in KEY_PRODUCERS:
        return (
            "create the key where it is used, or pass `with_prng_key(seed)` to "
            "`construct_and_call`"
        )
    if name in _RNGS:
        return "create it where it is used, or pass `with_rng_seed(seed)` to `construct_and_call`"
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
    (`import jax.random as jr`, `from jax.random import PRNGKey`, `from flax import nnx`).
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
    prescan = re.compile(r"[Rr]andom|Rngs|manual_seed|PRNG|set_seed")
    VALID = (
        Sample("import jax\n\ndef init(seed):\n    return jax.random.PRNGKey(seed)\n"),
        Sample(
            "import jax\n\nexample = {'callable': lambda: jax.random.normal("
            "jax.random.PRNGKey(0), (2, 3))}\n"
        ),
        Sample(
            "import numpy as np\n\nif __name__ == '__main__':\n    np.random.seed(0)\n"
        ),
        Sample("from jax import random\n\nx = random.normal\ny = random.uniform\n"),
        Sample("import random\n\ndef roll():\n    return random.Random(3).random()\n"),
        Sample(
            "from flax import nnx\n\nclass M(nnx.Module):\n"
            "    def __init__(self, rngs=None):\n        self.rngs = rngs or nnx.Rngs(0)\n"
        ),
        Sample("def PRNGKey(seed):\n    return seed\n\nKEY = PRNGKey(0)\n"),
    )
    INVALID = (
        Sample("import jax\n\nKEY = jax.random.PRNGKey(0)\n", line=3),
        Sample("import jax.random as jr\n\nKEY = jr.key(0)\n", line=3),
        Sample(
            "from jax.random import PRNGKey, split\n\nK1, K2 = split(PRNGKey(0))\n",
            line=3,
        ),
        Sample(
            "import equinox as eqx\nimport jax\n\n"
            "_MOD = eqx.nn.Linear(2, 3, key=jax.random.PRNGKey(0))\n",
            line=4,
        ),
        Sample("from flax import nnx\n\nclass M:\n    rngs = nnx.Rngs(0)\n", line=4),
        Sample(
            "import numpy as np\n\ndef f(rng=np.random.default_rng(0)):\n    return rng\n",
            line=3,
        ),
        Sample("import numpy as np\n\nnp.random.seed(42)\n", line=3),
        Sample("import random\n\nrandom.seed(1)\n", line=3),
        Sample("import torch\n\ntorch.manual_seed(0)\n", line=3),
        Sample(
            "import jax\nfrom p import register_primitive\n\n"
            "@register_primitive(testcases=[{'input_values': [jax.random.PRNGKey(0)]}])\n"
            "class Plugin:\n    pass\n",
            line=4,
        ),
        Sample(
            "from jax import random\n\nregister_example(component='x', testcases=[\n"
            "    {'callable': lambda x, k=random.key(1): x},\n])\n",
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
    for child in node.children:
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
        stack.extend(reversed(current.children))


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
            if found is not None and found.through_name is None:
                return replace(found, through_name=value.value)
            return found
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
    return f"construct_and_call({', '.join(arguments)})"


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
    `construct_and_call(...)` are fine. The message shows the `construct_and_call`
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
        testcases=[{"testcase": "layer_norm", "callable": eqx.nn.LayerNorm(32, eps=1e-5)}],
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
    VALID = (
        Sample(
            "import equinox as eqx\n\nregister_primitive(testcases=[{'testcase': 'ln', "
            "'callable': construct_and_call(eqx.nn.LayerNorm, 32)}])\n"
        ),
        Sample(
            "import jax\n\ndef _f(x):\n    return x\n\nregister_example(testcases=[\n"
            "    {'testcase': 'a', 'callable': lambda x: jax.nn.relu(x)},\n"
            "    {'testcase': 'b', 'callable': _f},\n"
            "    {'testcase': 'c', 'callable': jax.jit(_f)},\n])\n"
        ),
        Sample(
            "import functools\nimport jax.numpy as jnp\n\nregister_example(testcases=[\n"
            "    {'testcase': 'p', 'callable': functools.partial(jnp.sum, axis=0)},\n"
            "    {'testcase': 'q', 'callable': lambda x: MyModel(3)(x)},\n])\n"
        ),
        Sample(
            "from expect import expect_graph as EG\n\nregister_example(testcases=[\n"
            "    {'testcase': 'r', 'callable': EG(['Add'])},\n])\n"
        ),
        Sample("config = {'callable': Model(3)}\n"),
    )
    INVALID = (
        Sample(
            "import equinox as eqx\n\nregister_primitive(testcases=[\n"
            "    {'testcase': 'ln', 'callable': eqx.nn.LayerNorm(32, eps=1e-5)},\n])\n",
            line=4,
        ),
        Sample(
            "import equinox as eqx\nimport jax\n\n@register_primitive(testcases=[\n"
            "    {'testcase': 'v', 'callable': jax.vmap(eqx.nn.LayerNorm(32))},\n])\n"
            "class P:\n    pass\n",
            line=5,
        ),
        Sample(
            "from flax import nnx\n\nclass MyModel(nnx.Module):\n    pass\n\n"
            "register_example(testcases=[\n"
            "    {'testcase': 'm', 'callable': MyModel(rngs=nnx.Rngs(0))},\n])\n",
            line=7,
        ),
        Sample(
            "import equinox as eqx\nimport jax\n\n"
            "_CONV = eqx.nn.Conv2d(3, 8, 3, key=jax.random.PRNGKey(0))\n\n"
            "register_primitive(testcases=[{'testcase': 'c', 'callable': _CONV}])\n",
            line=6,
        ),
        Sample(
            "import equinox as eqx\n\n_LIN = eqx.nn.Identity()\n\n"
            "register_primitive(testcases=[\n"
            "    {'testcase': 'l', 'callable': lambda x, _m=_LIN: _m(x)},\n])\n",
            line=6,
        ),
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        scope: _ModuleScope | None = None
        for value in _testcase_callables(original_node):
            scope = scope or _ModuleScope(original_node, self.context.imports)
            found = scope.eager_build(value)
            if found is not None:
                self.report(value, self._message(found))

    def _message(self, found: _EagerBuild) -> str:
        ctor = code_of(found.construction.func)
        form = construct_and_call_form(found.construction, self.context.imports)
        if found.lambda_default is not None:
            what = f"the lambda's default `{found.lambda_default}` holds a `{ctor}` built at import"
        elif found.through_name is not None:
            what = f"`{found.through_name}` is a `{ctor}` built at import"
        else:
            what = f"`{ctor}(...)` is built once, at import"
        advice = f"use `{form}`"
        if found.wrapper is not None:
            advice += f" (with a constructor that returns `{found.wrapper}(...)` of it)"
        return f"testcase callable: {what}; {advice}"


# --- GR203: PRNG key reuse ---------------------------------------------------------


class PrngKeyReuse(Rule):
    """A PRNG key that can be consumed twice without a split in between.

    ## What it does
    Follows PRNG keys through each function (and the module's top level), path by
    path. A key is the result of a `jax.random` producer (`PRNGKey`, `key`, `split`,
    `fold_in`, `clone`, `wrap_key_data`), an element, slice or unpacked name of one,
    or a parameter whose name says it is a key. That naming convention is the
    `key-names` setting: fnmatch patterns, by default `key`, `rng`, `rng_key`,
    `prng_key`, `*_key`, `subkey` and `k[0-9]*` (`k1`, `k2`...); a parameter annotated
    as `str`, `int` and the like is not a key. Configure it in `pyproject.toml`:

    ```toml
    [tool.guardrails]
    key-names = ["key", "*_key", "rng", "seed_key"]
    ```

    Consuming a key means passing it to a call, positionally, by keyword or
    starred: a `jax.random` function (`split` and `fold_in` included), a
    constructor or a helper. Looking at it does not consume it: `.shape`, `.dtype`,
    `key is None`, `isinstance(key, ...)`, `len(keys)`, `jax.random.key_data(key)`.
    Reported: two draws from one key; the parent used after `split`; one element
    (`keys[0]`) used twice; an alias (`k = key`) used with the original; a use in a
    loop body, comprehension or `while` loop that does not re-split each round; a use
    on one branch followed by a use after it. Not reported: uses on mutually
    exclusive branches, after an early `return`, `key, sub = split(key)` inside a
    loop, distinct indices or slices of a split array, iterating over a split array,
    and uses after the name is rebound to a fresh key.

    ## Why is this bad?
    A JAX key is single-use: two draws from one key return correlated (often equal)
    numbers, so two layers initialised from the same key get identical weights and
    dropout masks repeat. Nothing fails; the model is just quietly wrong. JAX's own
    checker (`jax.debug_key_reuse`) only sees the paths a run takes.

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
    # A key comes from jax.random (text holds "random" or a producer's name) or
    # from a parameter named by the default `key-names` patterns.
    prescan = re.compile(r"random|PRNGKey|key|rng|\bk\d")
    VALID = (
        Sample(
            "import jax\n\ndef init(key):\n    k1, k2 = jax.random.split(key)\n"
            "    return jax.random.normal(k1, (2,)), jax.random.normal(k2, (2,))\n"
        ),
        Sample(
            "import jax.random as jr\n\ndef f(key, flag):\n    if flag:\n"
            "        return jr.normal(key, (2,))\n    return jr.uniform(key, (2,))\n"
        ),
        Sample(
            "import jax\n\ndef f(key, n):\n    out = []\n    for _ in range(n):\n"
            "        key, sub = jax.random.split(key)\n"
            "        out.append(jax.random.normal(sub, ()))\n    return out\n"
        ),
        Sample(
            "import jax\n\ndef f(key):\n    keys = jax.random.split(key, 3)\n"
            "    a = jax.random.normal(keys[0], ())\n    b = jax.random.normal(keys[1], ())\n"
            "    c = [jax.random.normal(k, ()) for k in keys[2:]]\n    return a, b, c\n"
        ),
        Sample(
            "import jax\n\ndef f(key, shape):\n    if key is None or key.shape != ():\n"
            "        raise ValueError\n    return jax.random.normal(key, shape)\n"
        ),
        Sample(
            "def lookup(table, key: str):\n    return table.get(key) or table.pop(key)\n"
        ),
    )
    INVALID = (
        Sample(
            "import jax\n\ndef init(key):\n    w = jax.random.normal(key, (3, 3))\n"
            "    b = jax.random.normal(key, (3,))\n    return w, b\n",
            line=5,
        ),
        Sample(
            "from jax.random import split, normal\n\ndef f(key):\n"
            "    k1, k2 = split(key)\n    return normal(key, ())\n",
            line=5,
        ),
        Sample(
            "import jax.random as jr\n\ndef f(key, n):\n"
            "    return [jr.normal(key, ()) for _ in range(n)]\n",
            line=4,
        ),
        Sample(
            "import jax\n\ndef f(key, flag):\n    if flag:\n"
            "        x = jax.random.normal(key, ())\n    return jax.random.uniform(key, ())\n",
            line=6,
        ),
        Sample(
            "import equinox as eqx\n\nclass Block(eqx.Module):\n"
            "    def __init__(self, key):\n        self.a = eqx.nn.Linear(2, 2, key=key)\n"
            "        self.b = eqx.nn.Linear(2, 2, key=key)\n",
            line=6,
        ),
        Sample(
            "import jax\n\nKEY = jax.random.key(0)\nkeys = jax.random.split(KEY)\n"
            "a = jax.random.normal(keys[0])\nb = jax.random.normal(keys[0])\n",
            line=6,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.key_names = context.file.config.key_names
        self.functions: list[cst.FunctionDef] = []
        self.scopes: dict[int, cst.FunctionDef] = {}  # functions worth analysing
        self.module_makes_keys = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)
        if key_parameters(node, self.key_names):
            self.scopes[id(node)] = node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.imports.qualify(node.func) in KEY_PRODUCERS:
            if self.functions:
                self.scopes[id(self.functions[-1])] = self.functions[-1]
            else:
                self.module_makes_keys = True

    def leave_Module(self, original_node: cst.Module) -> None:
        flow = KeyFlow(self.context.imports)
        for function in self.scopes.values():
            flow.run_function(function, self.key_names)
        if self.module_makes_keys:
            flow.run_module(original_node)
        if not flow.reuses:
            return
        positions = MetadataWrapper(original_node, unsafe_skip_copy=True).resolve(
            PositionProvider
        )
        for reuse in flow.reuses.values():
            line = positions[reuse.first.argument].start.line
            self.report(reuse.second.argument, self._message(reuse, line))

    def _message(self, reuse: Reuse, first_line: int) -> str:
        used = reuse.second.captured or _short(code_of(reuse.second.argument))
        split = _spelled(self.context.imports, "jax.random.split")
        if isinstance(reuse.second.argument, cst.Name) or reuse.second.captured:
            fresh = "subkey" if used != "subkey" else "subkey2"
            fix = f"`{used}, {fresh} = {split}({used})` and pass `{fresh}`"
        else:
            fix = f"split one key per use (`{split}(key, n)`) and index each once"
        second_call = _short(code_of(reuse.second.call.func))
        if reuse.in_loop:
            return (
                f"PRNG key `{used}` goes to `{second_call}` on every round of the loop "
                f"without a new split; split inside the loop: {fix}"
            )
        first_call = _short(code_of(reuse.first.call.func))
        return (
            f"PRNG key `{used}` may already be consumed by `{first_call}` on line "
            f"{first_line}; split before passing it to `{second_call}`: {fix}"
        )


def _short(code: str, limit: int = 60) -> str:
    """Code for a message: one line, and not too long."""
    flat = " ".join(code.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
