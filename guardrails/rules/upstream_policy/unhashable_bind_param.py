"""GR413: primitive parameters are hashable (AGENTS.md, "JAX 0.8+ specifics")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import FunctionNode, Rule, Sample
from guardrails.rules.upstream_policy.prescans import (
    ARRAY_FACTORIES,
    may_bind_unhashable,
)

_CONTAINERS: dict[type[cst.BaseExpression], str] = {
    cst.List: "a list",
    cst.ListComp: "a list",
    cst.Dict: "a dict",
    cst.DictComp: "a dict",
    cst.Set: "a set",
    cst.SetComp: "a set",
}
_ARRAY_MODULES = ("numpy.", "jax.numpy.")
_MESSAGE = (
    "primitive parameter `{}=` is {}, which is unhashable: pass a tuple "
    "(or a hashable wrapper)"
)


class UnhashableBindParam(Rule):
    """An unhashable literal passed as a primitive parameter to `.bind(...)`.

    ## What it does
    Flags keyword arguments of `<primitive>.bind(...)` (the primitive's
    parameters; positional arguments are its operands) whose value is a list,
    dict or set display or comprehension, or a NumPy / `jax.numpy` array made
    in place (`np.array(...)`, `jnp.zeros(...)`, ...).

    ## Why is this bad?
    JAX hashes a primitive's parameters (equations are cached and compared by
    them), so since JAX 0.8 an unhashable parameter fails with
    `TypeError: unhashable type` when the primitive is traced or lowered.
    AGENTS.md: primitive parameters must be hashable.

    ## Example
    ```python
    return cls._PRIM.bind(x, axes=[0, 1], shape=np.array(shape))
    ```

    ## Use instead
    ```python
    return cls._PRIM.bind(x, axes=(0, 1), shape=tuple(int(d) for d in shape))
    ```
    """

    code = "GR413"
    name = "unhashable-bind-param"
    prescan = re.compile(r"\.\s*bind\b")
    syntax_prescan = staticmethod(may_bind_unhashable)
    body_prescan = prescan
    # What a keyword argument the rule flags starts with (its parentheses
    # aside): a display, a comprehension, or a call of an array factory's name.
    _UNHASHABLE_VALUE = re.compile(
        r"=[\s(]*(?:[\[{]|[\w.\s]*?\b(?:"
        + "|".join(sorted(ARRAY_FACTORIES))
        + r")\s*\()"
    )
    value_keys = frozenset[str]()
    VALID = (
        Sample("y = prim.bind(x, axes=(0, 1), dtype=dtype)\n"),
        Sample("y = prim.bind(*[x, y], axes=tuple(axes))\n"),
        Sample("y = prim.bind(x, **params)\n"),
        Sample("y = functools.partial(f, axes=[0])\n"),
    )
    INVALID = (
        Sample(
            "def f(x):\n    return _PRIM.bind(x, axes=[0, 1])\n",
            line=2,
            message=_MESSAGE.format("axes", "a list"),
        ),
        Sample(
            "import numpy as np\n\ny = prim.bind(x, shape=np.array((2, 3)))\n",
            line=3,
            message=_MESSAGE.format("shape", "an array"),
        ),
        Sample(
            "import numpy\n\ndef f(x):\n    return prim.bind(\n        x,\n"
            "        shape=(\n            numpy.asarray(s)\n        ),\n    )\n",
            line=6,
            message=_MESSAGE.format("shape", "an array"),
        ),
        Sample(
            "y = prim.bind(x, spec={k: v for k, v in items})\n",
            line=1,
            message=_MESSAGE.format("spec", "a dict"),
        ),
    )

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        return (
            cls.prescan.search(body) is not None
            and cls._UNHASHABLE_VALUE.search(body) is not None
        )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "bind"):
            return
        for arg in node.args:
            if arg.keyword is None:
                continue
            kind = self._unhashable(arg.value)
            if kind is not None:
                self.report(arg, _MESSAGE.format(arg.keyword.value, kind))

    def _unhashable(self, value: cst.BaseExpression) -> str | None:
        kind = _CONTAINERS.get(type(value))
        if kind is not None:
            return kind
        if isinstance(value, cst.Call):
            callee = self.context.imports.qualify(value.func)
            if (
                callee is not None
                and callee.startswith(_ARRAY_MODULES)
                and callee.rsplit(".", 1)[-1] in ARRAY_FACTORIES
            ):
                return "an array"
        return None
