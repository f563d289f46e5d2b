from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import libcst as cst

from guardrails.analysis.keyflow import child_nodes, code_of
from guardrails.analysis.module_bindings import ModuleBindings
from guardrails.analysis.prng import KEY_PRODUCERS, SEEDERS
from guardrails.rules.base import NO_BODIES, Rule, Sample
from guardrails.rules.randomness._common import RNGS, sample_code, short, spelled
from guardrails.rules.randomness.prescans import may_seed


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
    if name in RNGS:
        return (
            "create it where it is used, or pass `with_rng_seed(seed)` to "
            "`construct_and_call`"
        )
    return "seed inside the code that needs it (a function, a fixture or `__main__`)"


def _literal_seed(call: cst.Call) -> int | None:
    """`PRNGKey(7)`'s seed, when it is a literal a raw key's data can spell."""
    if len(call.args) != 1 or not isinstance(call.args[0].value, cst.Integer):
        return None
    seed = int(call.args[0].value.evaluated_value)
    return seed if 0 <= seed < 2**32 else None


def _input_values_advice(name: str, call: cst.Call) -> str:
    """What jax2onnx's testcases do instead of seeding their inputs at import: the
    harness takes NumPy inputs (casting floating ones to each variant's dtype), so
    a key is given as its data or made in the callable from a seed input
    (`random_fold_in`'s and `random_seed`'s testcases), and other values are
    fixed arrays."""
    if name in KEY_PRODUCERS:
        seed = _literal_seed(call) if name == "jax.random.PRNGKey" else None
        data = (
            f"give the key's data as a NumPy array, `np.array([0, {seed}], "
            "dtype=np.uint32)`, or "
            if seed is not None
            else ""
        )
        return (
            f"{data}make the key inside the callable from a seed input "
            "(`input_shapes=[()]`, `input_dtypes=[np.int32]`)"
        )
    return (
        "give fixed NumPy values (`np.linspace(...)`, `np.arange(...)`); the "
        "harness casts floating inputs to each variant's dtype"
    )


def _input_values(node: cst.CSTNode) -> cst.BaseExpression | None:
    """The value of an `"input_values": ...` entry or `input_values=...` argument."""
    if isinstance(node, cst.DictElement):
        key = node.key
        if isinstance(key, cst.SimpleString) and key.evaluated_value == "input_values":
            return node.value
    if isinstance(node, cst.Arg) and node.keyword is not None:
        return node.value if node.keyword.value == "input_values" else None
    return None


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
    `from flax import nnx`) and through module-level bindings (`_jr = jax.random`,
    `_SEEDERS["key"]`, tuple unpacking).
    Function and lambda bodies and `if __name__ == "__main__":` blocks are not
    import time and are never flagged. Seeding in a testcase's `input_values`
    gets the advice for inputs: the harness takes NumPy values (casting floating
    ones to each variant's dtype), so a key is given as its data
    (`np.array([0, seed], dtype=np.uint32)` is `PRNGKey(seed)`) or made in the
    callable from a seed input, and other values are fixed arrays.

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
    # `[Rr]andom` spelled out and `\bseed\b` as `seed(?<!\wseed)\b`: the same
    # matches, found three times as fast.
    prescan = re.compile(r"random|Random|Rngs|manual_seed|PRNG|seed(?<!\wseed)\b")
    # Past the text, the tree: a call that can reach a seeder through an import.
    syntax_prescan = staticmethod(may_seed)
    # What runs at import is outside function bodies (decorators and defaults
    # stay when a body is left out), so the rule needs none of them.
    body_prescan = NO_BODIES
    value_keys = None  # reads every dict value
    VALID = (
        Sample(
            sample_code("""
            import jax

            def init(seed):
                return jax.random.PRNGKey(seed)
            """)
        ),
        Sample(
            sample_code("""
            import jax

            case = {"callable": lambda: jax.random.normal(jax.random.PRNGKey(0), (2,))}
            """)
        ),
        Sample(
            sample_code("""
            import numpy as np

            if __name__ == "__main__":
                np.random.seed(0)
            """)
        ),
        Sample(
            sample_code("""
            from jax import random

            draw = random.normal
            """)
        ),
        Sample(
            sample_code("""
            from flax import nnx

            class Model(nnx.Module):
                def __init__(self, rngs=None):
                    self.rngs = rngs or nnx.Rngs(0)
            """)
        ),
        Sample(
            sample_code("""
            def PRNGKey(seed):
                return seed

            KEY = PRNGKey(0)
            """)
        ),
    )
    INVALID = (
        Sample(
            sample_code("import jax\n\nKEY = jax.random.PRNGKey(0)\n"),
            line=3,
            message=(
                "`jax.random.PRNGKey(...)` seeds at import time; create the key where "
                "it is used, or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("import jax.random as jr\n\nKEY = jr.key(0)\n"),
            line=3,
            message=(
                "`jr.key(...)` seeds at import time; create the key where it is used, "
                "or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("""
            from jax.random import PRNGKey, split

            K1, K2 = split(PRNGKey(0))
            """),
            line=3,
            message=(
                "`split(...)` seeds at import time; create the key where it is used, "
                "or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            _LINEAR = eqx.nn.Linear(2, 3, key=jax.random.PRNGKey(0))
            """),
            line=4,
            message=(
                "`jax.random.PRNGKey(...)` seeds at import time; create the key where "
                "it is used, or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("""
            from flax import nnx

            class Model:
                rngs = nnx.Rngs(0)
            """),
            line=4,
            message=(
                "`nnx.Rngs(...)` seeds at import time; create it where it is used, "
                "or pass `with_rng_seed(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("""
            import numpy as np

            def sample(rng=np.random.default_rng(0)):
                return rng.normal()
            """),
            line=3,
            message=(
                "`np.random.default_rng(...)` seeds at import time; seed inside the "
                "code that needs it (a function, a fixture or `__main__`)"
            ),
        ),
        Sample(
            sample_code("import numpy as np\n\nnp.random.seed(42)\n"),
            line=3,
            message=(
                "`np.random.seed(...)` seeds at import time; seed inside the code that "
                "needs it (a function, a fixture or `__main__`)"
            ),
        ),
        Sample(
            sample_code("import random\n\nrandom.seed(1)\n"),
            line=3,
            message=(
                "`random.seed(...)` seeds at import time; seed inside the code that "
                "needs it (a function, a fixture or `__main__`)"
            ),
        ),
        Sample(
            sample_code("import torch\n\ntorch.manual_seed(0)\n"),
            line=3,
            message=(
                "`torch.manual_seed(...)` seeds at import time; seed inside the code "
                "that needs it (a function, a fixture or `__main__`)"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            @register_primitive(testcases=[{"input_values": [jax.random.PRNGKey(0)]}])
            class Plugin:
                pass
            """),
            line=3,
            message=(
                "`jax.random.PRNGKey(...)` in `input_values` seeds at import time; "
                "give the key's data as a NumPy array, `np.array([0, 0], "
                "dtype=np.uint32)`, or make the key inside the callable from a seed "
                "input (`input_shapes=[()]`, `input_dtypes=[np.int32]`)"
            ),
        ),
        Sample(
            sample_code("""
            import numpy as np

            _INPUTS = [np.random.default_rng(0).normal(size=(2, 3))]

            register_example(
                testcases=[{"testcase": "t", "input_values": _INPUTS}],
            )
            """),
            line=3,
            message=(
                "`np.random.default_rng(...)` in `input_values` seeds at import time; "
                "give fixed NumPy values (`np.linspace(...)`, `np.arange(...)`); the "
                "harness casts floating inputs to each variant's dtype"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            _jr = jax.random
            _SEEDERS = {"key": _jr.key}
            KEY = _SEEDERS["key"](2)
            """),
            line=5,
            message=(
                '`_SEEDERS["key"](...)` seeds at import time; create the key where it '
                "is used, or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
        Sample(
            sample_code("""
            from jax import random

            register_example(
                testcases=[{"callable": lambda x, k=random.key(1): x}],
            )
            """),
            line=4,
            message=(
                "`random.key(...)` seeds at import time; create the key where it is "
                "used, or pass `with_prng_key(seed)` to `construct_and_call`"
            ),
        ),
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        imports = self.context.imports
        walk = _SeedingCalls(ModuleBindings(original_node, imports))
        for expression in import_time_expressions(original_node.body):
            walk.visit(expression, ())
        for call, path in walk.found:
            name = walk.bindings.qualify(call.func) or ""
            # As written when reached through a binding (`_jr.PRNGKey`).
            written = (
                spelled(imports, name)
                if imports.qualify(call.func)
                else short(code_of(call.func))
            )
            if walk.inputs.isdisjoint(path):
                what = f"`{written}(...)` seeds at import time"
                advice = _seeding_advice(name)
            else:
                what = f"`{written}(...)` in `input_values` seeds at import time"
                advice = _input_values_advice(name, call)
            self.report(call, f"{what}; {advice}")


class _SeedingCalls:
    """The outermost seeding calls of what runs at import, each with the ids of
    the nodes above it; and the ids of testcases' `input_values` (their value,
    and each element, also where a module-level name holds them)."""

    def __init__(self, bindings: ModuleBindings) -> None:
        self.bindings = bindings
        self.found: list[tuple[cst.Call, tuple[int, ...]]] = []
        self.inputs: set[int] = set()

    def visit(self, node: cst.CSTNode, path: tuple[int, ...]) -> None:
        path = (*path, id(node))
        inputs = _input_values(node)
        if inputs is not None:
            resolved = self.bindings.resolve(inputs)
            self.inputs |= {id(inputs), id(resolved)}
            if isinstance(resolved, cst.List | cst.Tuple):
                self.inputs |= {
                    id(self.bindings.resolve(element.value))
                    for element in resolved.elements
                }
        if isinstance(node, cst.Lambda):
            for default in _parameter_defaults(node.params):
                self.visit(default, path)
            return
        if isinstance(node, cst.Call) and self.bindings.qualify(node.func) in SEEDERS:
            self.found.append((node, path))  # `split(PRNGKey(0))`: one, the outer
            return
        for child in child_nodes(node):
            self.visit(child, path)
