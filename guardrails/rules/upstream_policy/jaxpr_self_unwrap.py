"""GR412: "unwrap while it has `.jaxpr`" code guards against `.jaxpr`
returning the object itself (AGENTS.md, "JAX 0.11 specifics")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import FileContext, FunctionNode, Rule, Sample
from guardrails.rules.upstream_policy._common import literal_text
from guardrails.rules.upstream_policy.prescans import (
    may_self_unwrap,
    may_self_unwrap_in,
)

_JAXPR = re.compile(r"\.jaxpr\b|[\"']jaxpr[\"']")
_MESSAGE = (
    "unwraps `.jaxpr` {} without an identity guard: on JAX 0.11 `.jaxpr` "
    "returns the object itself; stop when `inner is not obj` fails"
)


def _unwrapped(node: cst.BaseExpression) -> str | None:
    """`name` when `node` is `name.jaxpr` or `getattr(name, "jaxpr", ...)`."""
    if (
        isinstance(node, cst.Attribute)
        and node.attr.value == "jaxpr"
        and isinstance(node.value, cst.Name)
    ):
        return node.value.value
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[0].value, cst.Name)
        and literal_text(node.args[1].value) == "jaxpr"
    ):
        return node.args[0].value.value
    return None


@dataclass
class _Scope:
    """A function or a `while` loop being walked."""

    name: str | None = None  # the function's
    parameters: frozenset[str] = frozenset()
    # Local names holding a parameter's `.jaxpr`.
    unwrapped: set[str] = field(default_factory=set)
    # An `is` / `is not` between two values (not None) somewhere inside.
    guarded: bool = False
    suspects: list[cst.CSTNode] = field(default_factory=list)


class JaxprSelfUnwrap(Rule):
    """A loop or recursion that unwraps `.jaxpr` with no identity guard.

    ## What it does
    Flags two shapes of "unwrap while it has `.jaxpr`" code:

    - a function that calls itself on its own parameter's `.jaxpr`
      (`f(obj.jaxpr)`, or `inner = getattr(obj, "jaxpr", None)` then
      `f(inner)`), and
    - a `while` loop that rebinds a name to its own `.jaxpr`
      (`obj = obj.jaxpr`),

    when the function (or the loop) compares no two values by identity
    (`inner is not obj`; comparisons with `None` do not count).

    ## Why is this bad?
    On JAX 0.11 `ClosedJaxpr` is `Jaxpr` and `Jaxpr.jaxpr` returns `self`, so
    "has a `.jaxpr`" is always true: the recursion spins until
    `RecursionError`, the loop for ever. AGENTS.md: such helpers must guard with
    `inner is not obj`.

    ## Example
    ```python
    def contains_scatter(obj):
        inner = getattr(obj, "jaxpr", None)
        if inner is not None:
            return contains_scatter(inner)
        return False
    ```

    ## Use instead
    ```python
    def contains_scatter(obj):
        inner = getattr(obj, "jaxpr", None)
        if inner is not None and inner is not obj:
            return contains_scatter(inner)
        return False
    ```
    """

    code = "GR412"
    name = "jaxpr-self-unwrap"
    # `\bjaxpr\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"jaxpr(?<!\wjaxpr)\b")
    syntax_prescan = staticmethod(may_self_unwrap_in)
    body_prescan = _JAXPR
    value_keys = frozenset[str]()
    VALID = (
        Sample(
            "def f(obj):\n    inner = getattr(obj, 'jaxpr', None)\n"
            "    if inner is not None and inner is not obj:\n"
            "        return f(inner)\n    return obj\n"
        ),
        Sample(
            "def walk(jaxpr):\n    for eqn in jaxpr.eqns:\n"
            "        for sub in eqn.params.values():\n"
            "            walk(sub.jaxpr)\n"
        ),
        Sample(
            "def unwrap(obj):\n    while hasattr(obj, 'jaxpr'):\n"
            "        inner = obj.jaxpr\n        if inner is obj:\n            break\n"
            "        obj = inner\n    return obj\n"
        ),
        Sample(
            "def unwrap(obj):\n    while hasattr(obj, 'jaxpr'):\n"
            "        if obj.jaxpr is obj:\n            break\n"
            "        obj = obj.jaxpr\n    return obj\n"
        ),
    )
    INVALID = (
        Sample(
            "def _jaxpr_contains_scatter(jpr_like):\n"
            "    inner = getattr(jpr_like, 'jaxpr', None)\n"
            "    if inner is not None:\n"
            "        return _jaxpr_contains_scatter(inner)\n    return False\n",
            line=4,
            message=_MESSAGE.format("by recursion"),
        ),
        Sample(
            "class P:\n    def body(self, closed):\n"
            "        if hasattr(closed, 'jaxpr'):\n"
            "            return self.body(closed.jaxpr)\n        return closed\n",
            line=4,
            message=_MESSAGE.format("by recursion"),
        ),
        Sample(
            "def unwrap(obj):\n    while hasattr(obj, 'jaxpr'):\n"
            "        obj = obj.jaxpr\n    return obj\n",
            line=3,
            message=_MESSAGE.format("in a loop"),
        ),
    )

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        return _JAXPR.search(body) is not None and may_self_unwrap(function)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._functions: list[_Scope] = []
        self._loops: list[_Scope] = []
        # The loops around each function being walked: a loop does not reach
        # into a function defined in it.
        self._outer_loops: list[list[_Scope]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        names = {
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
        }
        self._functions.append(_Scope(node.name.value, frozenset(names)))
        self._outer_loops.append(self._loops)
        self._loops = []

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self._functions.pop()
        self._loops = self._outer_loops.pop()
        if not scope.guarded:
            for call in scope.suspects:
                self.report(call, _MESSAGE.format("by recursion"))

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(_Scope())

    def leave_While(self, original_node: cst.While) -> None:
        scope = self._loops.pop()
        if not scope.guarded:
            for assignment in scope.suspects:
                self.report(assignment, _MESSAGE.format("in a loop"))

    def visit_Assign(self, node: cst.Assign) -> None:
        source = _unwrapped(node.value)
        if source is None:
            return
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            if self._functions and source in self._functions[-1].parameters:
                self._functions[-1].unwrapped.add(name)
            if self._loops and source == name:
                self._loops[-1].suspects.append(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        if any(
            isinstance(target.operator, cst.Is | cst.IsNot)
            for target in node.comparisons
        ) and not any(
            isinstance(operand, cst.Name) and operand.value == "None"
            for operand in operands
        ):
            for scope in (*self._functions[-1:], *self._loops):
                scope.guarded = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions:
            return
        scope = self._functions[-1]
        func = node.func
        called = (
            func.value
            if isinstance(func, cst.Name)
            else func.attr.value
            if isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
            else None
        )
        if called != scope.name:
            return
        for arg in node.args:
            value = arg.value
            if (isinstance(value, cst.Name) and value.value in scope.unwrapped) or (
                _unwrapped(value) in scope.parameters
            ):
                scope.suspects.append(node)
                return
