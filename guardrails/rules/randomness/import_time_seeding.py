from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.analysis.keyflow import child_nodes
from guardrails.analysis.prng import KEY_PRODUCERS, SEEDERS
from guardrails.rules.base import NO_BODIES, Rule, Sample
from guardrails.rules.randomness._common import RNGS, sample_code, spelled
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
                "`jax.random.PRNGKey(...)` seeds at import time; create the key where "
                "it is used, or pass `with_prng_key(seed)` to `construct_and_call`"
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
        for expression in import_time_expressions(original_node.body):
            for call in _outermost_seeding_calls(expression, imports):
                name = imports.qualify(call.func) or ""
                self.report(
                    call,
                    f"`{spelled(imports, name)}(...)` seeds at import time; "
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
