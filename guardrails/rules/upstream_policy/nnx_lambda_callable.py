"""GR415: NNX testcases build their modules through `construct_and_call`,
not in an inline lambda (AGENTS.md, heads-up of 2025-10-02)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from guardrails.analysis.keyflow.syntax import child_nodes
from guardrails.rules.base import Rule, Sample
from guardrails.rules.upstream_policy._common import literal_text
from guardrails.rules.upstream_policy.prescans import may_build_nnx_in_lambda

_MESSAGE = (
    "testcase callable is a lambda that builds `{}`: use "
    "`construct_and_call(...)` with `with_rng_seed(...)`"
)
_IMPORT = "from flax import nnx\n\n"


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call under `node`, outermost first, in source order. (Not
    `libcst.matchers.findall`: importing the matchers alone costs a third of
    LibCST's import, in every cold check.)"""
    if isinstance(node, cst.Call):
        yield node
    for child in child_nodes(node):
        yield from _calls_in(child)


class NnxLambdaCallable(Rule):
    """A testcase `"callable"` lambda that builds an NNX module or `nnx.Rngs`.

    ## What it does
    Flags a dict entry `"callable": lambda ...: ...` (a jax2onnx testcase)
    whose body calls a class of `flax.nnx` (a capitalised name: a module such
    as `nnx.Linear`, or `nnx.Rngs`), by any import of `flax.nnx`. Lambdas that
    call NNX functions (`nnx.relu`, `nnx.max_pool`) are fine.

    ## Why is this bad?
    A lambda that builds its module when called makes a fresh module (and
    fresh random parameters) per call, and a new, unhashable callable each time
    the testcase is read; current JAX releases need the callable hashable.
    AGENTS.md: NNX examples construct their RNGs via `with_rng_seed(...)` and
    avoid inline lambdas; `construct_and_call(...)` builds the module once per
    dtype.

    ## Example
    ```python
    {
        "testcase": "linear_2d",
        "callable": lambda x: nnx.Linear(4, 8, rngs=nnx.Rngs(0))(x),
        "input_shapes": [(2, 4)],
    }
    ```

    ## Use instead
    ```python
    {
        "testcase": "linear_2d",
        "callable": construct_and_call(
            nnx.Linear, 4, 8, rngs=with_rng_seed(0)
        ),
        "input_shapes": [(2, 4)],
    }
    ```
    """

    code = "GR415"
    name = "nnx-lambda-callable"
    # `\bcallable\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"callable(?<!\wcallable)\b")
    syntax_prescan = staticmethod(may_build_nnx_in_lambda)
    # Testcase dicts built inside functions keep their bodies; `callable`
    # values are read, so never left out of the parse.
    body_prescan = re.compile(r"[\"']callable[\"']")
    value_keys = frozenset({"callable"})
    VALID = (
        Sample(
            _IMPORT + "CASE = {'testcase': 't', 'callable': lambda x: nnx.relu(x)}\n"
        ),
        Sample(
            _IMPORT + "CASE = {'testcase': 't', 'callable': construct_and_call("
            "nnx.Linear, 4, 8, rngs=with_rng_seed(0))}\n"
        ),
        Sample("CASE = {'testcase': 't', 'callable': lambda x: Linear(4)(x)}\n"),
    )
    INVALID = (
        Sample(
            _IMPORT + "CASE = {\n    'testcase': 'linear',\n"
            "    'callable': lambda x: nnx.Linear(4, 8, rngs=nnx.Rngs(0))(x),\n}\n",
            line=5,
            message=_MESSAGE.format("nnx.Linear"),
        ),
        Sample(
            "from flax.nnx import Rngs\n\ndef cases():\n"
            "    return [{'testcase': 't', 'callable': lambda x: f(x, Rngs(0))}]\n",
            line=4,
            message=_MESSAGE.format("nnx.Rngs"),
        ),
    )

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if literal_text(node.key) != "callable" or not isinstance(
            node.value, cst.Lambda
        ):
            return
        for call in _calls_in(node.value.body):
            callee = self.context.imports.qualify(call.func)
            if callee is None or not callee.startswith("flax.nnx."):
                continue
            last = callee.rsplit(".", 1)[-1]
            if last[:1].isupper():
                self.report(node, _MESSAGE.format(f"nnx.{last}"))
                return
