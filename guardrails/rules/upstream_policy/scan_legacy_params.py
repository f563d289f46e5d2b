"""GR411: scan's arity read through jax2onnx's compatibility helper, not from
the parameters JAX 0.11 removed (AGENTS.md, "JAX 0.11 specifics")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import FileContext, FileInfo, Rule, Sample
from guardrails.rules.upstream_policy._common import in_compat_module, literal_text

LEGACY_PARAMS = frozenset({"num_consts", "num_carry"})
_READING_METHODS = frozenset({"get", "__getitem__", "__contains__"})
_MESSAGE = (
    "scan parameter `{}` is gone in JAX 0.11: use "
    "`_compat.jax.scan_arity(params, len(jaxpr.invars))`"
)


class ScanLegacyParams(Rule):
    """A read of scan's `num_consts` / `num_carry` parameters.

    ## What it does
    Flags, everywhere except the `compat-module` (`jax2onnx._compat.jax`),
    reads of a parameter named by the string `"num_consts"` or `"num_carry"`:
    a subscript (`params["num_consts"]`), `.get("num_carry", ...)` and a
    membership test (`"num_consts" in params`). Variables of those names and
    dicts built with those keys (test payloads) are not reads.

    ## Why is this bad?
    JAX 0.11 replaced the scan primitive's `num_consts` / `num_carry` with the
    `ft_in` / `ft_out` flat-tree descriptors, so such a read is a `KeyError` (or
    a silent default) on one of jax2onnx's two supported stacks. AGENTS.md:
    use `_compat.jax.scan_arity(params, len(jaxpr.invars))`, which reads
    either.

    Code that handles the legacy payload on purpose (jax2onnx's test helper
    that translates a recorded pre-0.11 payload,
    `tests/extra_tests/helpers/issue52_scatter_payload_fixture.py`) says so
    with a suppression and a reason on each read:

    ```python
    num_consts = int(params["num_consts"])  # guardrails: ignore[GR411] legacy payload
    ```

    ## Example
    ```python
    num_consts = eqn.params["num_consts"]
    num_carry = eqn.params["num_carry"]
    ```

    ## Use instead
    ```python
    from jax2onnx._compat import jax as jax_compat

    num_consts, num_carry, num_xs = jax_compat.scan_arity(
        eqn.params, len(closed_jaxpr.jaxpr.invars)
    )
    ```
    """

    code = "GR411"
    name = "scan-legacy-params"
    # `\bnum_(?:consts|carry)\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"num_(?<!\wnum_)(?:consts|carry)\b")
    body_prescan = re.compile(r"[\"']num_(?:consts|carry)[\"']")
    value_keys = frozenset[str]()
    VALID = (
        Sample("num_consts, num_carry, num_xs = jax_compat.scan_arity(params, n)\n"),
        Sample("PARAMS = {'num_consts': 2, 'num_carry': 1}\n"),
        Sample(
            "def scan_arity(params, n):\n    return params.get('num_consts', 0)\n",
            path="jax2onnx/_compat/jax.py",
        ),
        Sample("def f(params):\n    params.pop('num_consts', None)\n"),
        Sample("def f(params):\n    params['num_carry'] = 1\n"),
    )
    INVALID = (
        Sample(
            "def lower(eqn):\n    num_consts = eqn.params['num_consts']\n",
            line=2,
            message=_MESSAGE.format("num_consts"),
        ),
        Sample(
            "def lower(params):\n    return int(params.get('num_carry', 0))\n",
            line=2,
            message=_MESSAGE.format("num_carry"),
        ),
        Sample(
            "def translate(params):\n    if 'num_consts' not in params:\n"
            "        return params\n",
            path="tests/extra_tests/helpers/payload.py",
            line=2,
            message=_MESSAGE.format("num_consts"),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return not in_compat_module(file)

    def _flag(self, node: cst.CSTNode, key: cst.BaseExpression) -> None:
        name = literal_text(key)
        if name in LEGACY_PARAMS:
            self.report(node, _MESSAGE.format(name))

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Subscripts stored into (a payload being built), not read.
        self._stores: set[int] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        self._stores.update(id(target.target) for target in node.targets)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if id(node) not in self._stores and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                self._flag(node, index.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _READING_METHODS
            and node.args
            and node.args[0].keyword is None
            and not node.args[0].star
        ):
            self._flag(node, node.args[0].value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if any(
            isinstance(target.operator, cst.In | cst.NotIn)
            for target in node.comparisons
        ):
            self._flag(node, node.left)
