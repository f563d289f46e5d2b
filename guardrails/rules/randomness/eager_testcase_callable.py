from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import libcst as cst

from guardrails.analysis.harness import testcase_callable
from guardrails.analysis.imports import ImportMap, dotted_name
from guardrails.analysis.keyflow import child_nodes, code_of
from guardrails.analysis.module_bindings import ModuleBindings
from guardrails.analysis.prng import KEY_PRODUCERS
from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import FunctionNode, Rule, Sample
from guardrails.rules.randomness._common import (
    JAX_KEYS,
    RNGS,
    sample_code,
    short,
)
from guardrails.rules.randomness._frozen_state import (
    STORING_METHODS as _STORING_METHODS,
)
from guardrails.rules.randomness._frozen_state import FrozenState
from guardrails.rules.randomness.prescans import may_build_eagerly


def _testcase_callables(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The callables of the testcase dicts under `node`, displays and `dict(...)`
    calls alike (`harness.testcase_callable` decides, for the pre-scan too)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        found = None
        if isinstance(current, cst.Dict):
            found = testcase_callable(
                (element.key.evaluated_value, element.value)
                for element in current.elements
                if isinstance(element, cst.DictElement)
                and isinstance(element.key, cst.SimpleString)
            )
        elif (
            isinstance(current, cst.Call)
            and isinstance(current.func, cst.Name)
            and current.func.value == "dict"
        ):
            found = testcase_callable(
                (arg.keyword.value, arg.value) for arg in current.args if arg.keyword
            )
        if found is not None:
            yield found
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
        self.bindings = ModuleBindings(module, imports)
        self.frozen = FrozenState(module, self.bindings)
        self.classes = set(self.frozen.classes)

    def is_class(self, func: cst.BaseExpression) -> bool:
        """Whether a callee is a class: a class of this module, or a CapWords name
        (as imported: `EG` imported as `expect_graph` is a function)."""
        func = self.bindings.resolve(func)
        local = dotted_name(func)
        if local is None:
            return False
        if local in self.classes:
            return True
        qualified = self.bindings.qualify(func) or local
        if qualified.split(".", 1)[0] in {"jax", "numpy", "builtins"}:
            return False  # `jax.random.PRNGKey`, `jax.ShapeDtypeStruct`: not modules
        last = qualified.rsplit(".", 1)[-1].lstrip("_")
        return last[:1].isupper()

    def eager_build(
        self, value: cst.BaseExpression, depth: int = 0
    ) -> _EagerBuild | None:
        """The module instance `value` builds (or holds) at import that freezes
        state (parameters, a dtype, a key), if any."""
        if depth > 32:
            return None  # a silly chain of wrappers
        if isinstance(value, cst.Lambda):
            for param in (*value.params.params, *value.params.kwonly_params):
                if param.default is None:
                    continue
                found = self.eager_build(param.default, depth + 1)
                if found is not None:
                    text = f"{param.name.value}={code_of(param.default)}"
                    return replace(found, lambda_default=text)
            return None
        resolved = self.bindings.resolve(value)
        if resolved is not value:
            found = self.eager_build(resolved, depth + 1)
            # Name it as the testcase spells it (`_ALIAS`, not what it aliases).
            return (
                None if found is None else replace(found, through_name=code_of(value))
            )
        if not isinstance(value, cst.Call):
            return None
        callee = self.bindings.qualify(value.func) or dotted_name(value.func) or ""
        if callee.rsplit(".", 1)[-1] in {"construct_and_call", "make_callable_factory"}:
            return None
        if self.is_class(value.func):
            # A construction that freezes nothing is the same in every variant.
            return None if self.frozen.holds_nothing(value) else _EagerBuild(value)
        for arg in value.args:
            found = self.eager_build(arg.value, depth + 1)
            if found is not None:
                return (
                    found
                    if found.wrapper
                    else replace(found, wrapper=code_of(value.func))
                )
        return None


def _placeholder(arg: cst.Arg, bindings: ModuleBindings) -> str:
    """An argument as `construct_and_call` wants it: keys, Rngs and dtypes as
    placeholders the harness resolves per variant."""
    value = arg.value
    keyword = arg.keyword.value if arg.keyword is not None else None
    prefix = f"{keyword}=" if keyword else str(arg.star)
    if isinstance(value, cst.Call):
        name = bindings.qualify(value.func)
        seed = code_of(value.args[0].value) if value.args else "0"
        if name in JAX_KEYS:
            return f"{prefix}with_prng_key({seed})"
        if name in KEY_PRODUCERS:
            return f"{prefix}with_prng_key(0)"
        if name in RNGS:
            return f"{prefix}with_rng_seed({seed})"
    if keyword in {"dtype", "param_dtype"}:
        return f"{prefix}with_requested_dtype()"
    return prefix + code_of(value)


def construct_and_call_form(construction: cst.Call, bindings: ModuleBindings) -> str:
    arguments = [code_of(construction.func)]
    arguments += [_placeholder(arg, bindings) for arg in construction.args]
    return short(f"construct_and_call({', '.join(arguments)})", limit=160)


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
        return function.name in _STORING_METHODS or super().needs_body(
            function, body, syntax, config
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
