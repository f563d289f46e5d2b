from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.keyflow import code_of
from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import FunctionNode, Rule, Sample
from guardrails.rules.randomness._common import sample_code, short
from guardrails.rules.randomness._eager_builds import (
    EagerBuild,
    ModuleScope,
    calls_in,
    construct_and_call_form,
    testcase_callables,
)
from guardrails.rules.randomness._frozen_state import STORING_METHODS
from guardrails.rules.randomness.prescans import may_build_eagerly


class EagerTestcaseCallable(Rule):
    """A testcase `"callable"` that builds its module once, at import.

    ## What it does
    In `register_example(...)` / `register_primitive(...)` testcases (any dict with
    both a `"testcase"` and a `"callable"` entry), flags a callable that is a module
    instance built at import: `eqx.nn.LayerNorm(32)`, `MyModel(rngs=nnx.Rngs(0))`,
    a wrapped instance such as `jax.vmap(eqx.nn.Linear(...))`, a module-level name
    bound to one (`_MODEL = eqx.nn.Conv2d(...)` then `"callable": _MODEL`), or a lambda
    whose default argument holds one; names are followed through module-level
    aliases, list and dict entries (`_HEADS[0]`, `_MODELS["ln"]`) and tuple
    unpacking. A callee counts as a class when it is a class
    of the same module or its name, as imported, is CapWords. Only a construction
    that freezes parameters, a dtype, a key or `rngs` is reported: pooling,
    `Dropout`, `Identity`, `Lambda(fn)`, a `Sequential` of such parts, and
    `GroupNorm` / `LayerNorm` / `RMSNorm` without affine parameters hold nothing
    the harness varies (Equinox's and Flax's signatures say so), nor does a class
    of the same module whose `__init__` stores only plain values, functions and
    such parts; a constructor it cannot judge is reported. Lambdas, plain
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
    value_keys = None  # reads every dict value
    VALID = (
        Sample(
            sample_code("""
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
            sample_code("""
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
            sample_code("""
            from expect import expect_graph as EG

            register_example(testcases=[{"testcase": "r", "callable": EG(["Add"])}])
            """)
        ),
        Sample('settings = {"callable": Model(3)}\n'),
        # Quoted from jax2onnx 3901899d, plugins/equinox/eqx/nn/: constructions
        # that hold no parameters, dtype or key are the same in every variant.
        Sample(
            sample_code("""
            import equinox as eqx
            import jax
            import jax.numpy as jnp

            _EQX_POOL_MAX_2D = eqx.nn.Pool(
                init=-jnp.inf,
                operation=jax.lax.max,
                num_spatial_dims=2,
                kernel_size=(2, 2),
                stride=(2, 2),
                padding=0,
            )
            _EQX_GROUP_NORM_NO_AFFINE = eqx.nn.GroupNorm(
                groups=4, channels=None, eps=1e-5, channelwise_affine=False
            )
            _EQX_SEQ_IDENTITY_SIGMOID = eqx.nn.Sequential(
                [eqx.nn.Identity(), eqx.nn.Lambda(jax.nn.sigmoid)]
            )

            register_primitive(
                testcases=[
                    {
                        "testcase": "eqx_pool_max2d_batched",
                        "callable": lambda x, _mod=_EQX_POOL_MAX_2D: jax.vmap(_mod)(x),
                    },
                    {
                        "testcase": "eqx_group_norm_no_affine",
                        "callable": _EQX_GROUP_NORM_NO_AFFINE,
                    },
                    {
                        "testcase": "eqx_sequential_identity_sigmoid",
                        "callable": _EQX_SEQ_IDENTITY_SIGMOID,
                    },
                    {
                        "testcase": "eqx_dropout_inference_mode",
                        "callable": eqx.nn.Dropout(p=0.42, inference=True),
                    },
                    {
                        "testcase": "layer_norm_no_bias_no_scale",
                        "callable": eqx.nn.LayerNorm(
                            32, use_bias=False, use_weight=False
                        ),
                    },
                    {"testcase": "eqx_identity_static", "callable": eqx.nn.Identity()},
                ],
            )
            """)
        ),
        Sample(
            sample_code("""
            from flax import nnx

            # jax2onnx 3901899d, plugins/examples/nnx/sequential.py
            _double_relu = nnx.Sequential(nnx.relu, nnx.relu)

            register_example(
                testcases=[
                    {"testcase": "sequential_double_relu", "callable": _double_relu},
                ],
            )
            """)
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            class Activation(eqx.Module):
                fn: object
                name: str = "act"

                def __init__(self, fn, name="act"):
                    self.fn = fn
                    self.name = name

                def __call__(self, x):
                    return self.fn(x)

            register_example(
                testcases=[{"testcase": "a", "callable": Activation(jax.nn.gelu)}],
            )
            """)
        ),
    )
    INVALID = (
        Sample(
            sample_code("""
            import equinox as eqx

            register_primitive(
                testcases=[{"testcase": "ln", "callable": eqx.nn.LayerNorm(32)}],
            )
            """),
            line=4,
            message=(
                "testcase callable: `eqx.nn.LayerNorm(...)` is built once, at import; "
                "use `construct_and_call(eqx.nn.LayerNorm, 32)`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            @register_primitive(
                testcases=[{"testcase": "v", "callable": jax.vmap(eqx.nn.PReLU())}],
            )
            class Plugin:
                pass
            """),
            line=5,
            message=(
                "testcase callable: `eqx.nn.PReLU(...)` is built once, at import; use "
                "`construct_and_call(eqx.nn.PReLU)` with a constructor that returns "
                "`jax.vmap(...)` of it"
            ),
        ),
        Sample(
            sample_code("""
            from flax import nnx

            class MyModel(nnx.Module):
                pass

            register_example(
                testcases=[{"testcase": "m", "callable": MyModel(rngs=nnx.Rngs(0))}],
            )
            """),
            line=7,
            message=(
                "testcase callable: `MyModel(...)` is built once, at import; use "
                "`construct_and_call(MyModel, rngs=with_rng_seed(0))` with a "
                "constructor that also builds the nested `nnx.Rngs`, or it is still "
                "built at import"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            _CONV = eqx.nn.Conv2d(3, 8, 3, key=jax.random.PRNGKey(0))

            register_primitive(testcases=[{"testcase": "c", "callable": _CONV}])
            """),
            line=6,
            message=(
                "testcase callable: `_CONV` is a `eqx.nn.Conv2d` built at import; use "
                "`construct_and_call(eqx.nn.Conv2d, 3, 8, 3, key=with_prng_key(0))`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx

            _PRELU = eqx.nn.PReLU()

            register_primitive(
                testcases=[{"testcase": "p", "callable": lambda x, m=_PRELU: m(x)}],
            )
            """),
            line=6,
            message=(
                "testcase callable: the lambda's default `m=_PRELU` holds a "
                "`eqx.nn.PReLU` built at import; use `construct_and_call(eqx.nn.PReLU)`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx

            _EQX_GROUP_NORM = eqx.nn.GroupNorm(groups=4, channels=8, eps=1e-5)

            register_primitive(
                testcases=[{"testcase": "g", "callable": _EQX_GROUP_NORM}],
            )
            """),
            line=6,
            message=(
                "testcase callable: `_EQX_GROUP_NORM` is a `eqx.nn.GroupNorm` built "
                "at import; use `construct_and_call(eqx.nn.GroupNorm, groups=4, "
                "channels=8, eps=1e-5)`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx

            _HEADS = [eqx.nn.LayerNorm(4), eqx.nn.Identity()]

            register_primitive(testcases=[{"testcase": "h", "callable": _HEADS[0]}])
            """),
            line=5,
            message=(
                "testcase callable: `_HEADS[0]` is a `eqx.nn.LayerNorm` built at "
                "import; use `construct_and_call(eqx.nn.LayerNorm, 4)`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx

            _nn = eqx.nn
            _MODELS = {"ln": _nn.RMSNorm(8), "id": _nn.Identity()}
            _LN = _MODELS["ln"]

            register_primitive(testcases=[{"testcase": "m", "callable": _LN}])
            """),
            line=7,
            message=(
                "testcase callable: `_LN` is a `_nn.RMSNorm` built at import; use "
                "`construct_and_call(_nn.RMSNorm, 8)`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            _ID, _LIN = eqx.nn.Identity(), eqx.nn.Linear(2, 3, key=jax.random.key(0))

            register_primitive(testcases=[{"testcase": "l", "callable": _LIN}])
            """),
            line=6,
            message=(
                "testcase callable: `_LIN` is a `eqx.nn.Linear` built at import; use "
                "`construct_and_call(eqx.nn.Linear, 2, 3, key=with_prng_key(0))`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax.numpy as jnp

            class Scale(eqx.Module):
                def __init__(self, size):
                    self.scale = jnp.ones(size)

            register_example(testcases=[{"testcase": "s", "callable": Scale(3)}])
            """),
            line=8,
            message=(
                "testcase callable: `Scale(...)` is built once, at import; use "
                "`construct_and_call(Scale, 3)`"
            ),
        ),
    )

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        # What a class of the module stores decides whether building it at
        # import freezes state (`_frozen_state`).
        return function.name in STORING_METHODS or super().needs_body(
            function, body, syntax, config
        )

    def leave_Module(self, original_node: cst.Module) -> None:
        scope: ModuleScope | None = None
        for value in testcase_callables(original_node):
            scope = scope or ModuleScope(original_node, self.context.imports)
            found = scope.eager_build(value)
            if found is not None:
                self.report(value, self._message(found, scope))

    def _message(self, found: EagerBuild, scope: ModuleScope) -> str:
        ctor = code_of(found.construction.func)
        form = construct_and_call_form(found.construction, scope.bindings)
        if found.lambda_default is not None:
            default = short(found.lambda_default)
            what = f"the lambda's default `{default}` holds a `{ctor}` built at import"
        elif found.through_name is not None:
            what = f"`{found.through_name}` is a `{ctor}` built at import"
        else:
            what = f"`{ctor}(...)` is built once, at import"
        advice = f"use `{form}`"
        nested = [
            code_of(inner.func)
            for arg in found.construction.args
            for inner in calls_in(arg.value)
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
