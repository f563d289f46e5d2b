"""GR417: no toggling of `jax_dynamic_shapes` (AGENTS.md, "JAX 0.8+ specifics")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import Rule, Sample
from guardrails.rules.upstream_policy._common import literal_text

FLAG = "jax_dynamic_shapes"
_MESSAGE = (
    "sets `jax_dynamic_shapes`: jax2onnx exports symbolic shapes without it; "
    "do not toggle it"
)


class JaxDynamicShapes(Rule):
    """Code that switches JAX's `jax_dynamic_shapes` on or off.

    ## What it does
    Flags `jax.config.update("jax_dynamic_shapes", ...)` (any `.update` call
    whose first argument is that name, so `config.update` after
    `from jax import config` too), assignments to an
    attribute named `jax_dynamic_shapes`, and writes of the environment
    variable `JAX_DYNAMIC_SHAPES` (`os.environ[...] = ...`,
    `os.environ.setdefault(...)`, `os.putenv(...)`).

    ## Why is this bad?
    `jax_dynamic_shapes` is an experimental JAX mode that changes how jaxprs
    are traced (shapes become values); JAX 0.8 stopped honouring most of it
    and jax2onnx's symbolic dimensions come from `jax.export` shapes instead.
    A toggle left in a plugin or a test changes tracing for every later
    conversion in the process. AGENTS.md: no `jax_dynamic_shapes` auto-toggle.

    ## Example
    ```python
    jax.config.update("jax_dynamic_shapes", True)
    ```

    ## Use instead
    Give symbolic input shapes to the conversion (`to_onnx(fn, [("B", 4)])`)
    and leave the flag at JAX's default.
    """

    code = "GR417"
    name = "jax-dynamic-shapes"
    # `\b(?i:jax_dynamic_shapes)\b`, from its `_` on (see GR408's pre-scan).
    prescan = re.compile(
        r"(?i:_dynamic_shapes)(?<=(?i:jax_dynamic_shapes))"
        r"(?<!\w(?i:jax_dynamic_shapes))\b"
    )
    body_prescan = prescan
    value_keys = frozenset[str]()
    VALID = (
        Sample("jax.config.update('jax_enable_x64', True)\n"),
        Sample("enabled = jax.config.jax_dynamic_shapes\n"),
        Sample("enabled = os.environ.get('JAX_DYNAMIC_SHAPES')\n"),
    )
    INVALID = (
        Sample(
            "import jax\n\njax.config.update('jax_dynamic_shapes', True)\n",
            line=3,
            message=_MESSAGE,
        ),
        Sample(
            "def setup():\n    jax.config.jax_dynamic_shapes = False\n",
            line=2,
            message=_MESSAGE,
        ),
        Sample(
            "os.environ['JAX_DYNAMIC_SHAPES'] = '1'\n",
            line=1,
            message=_MESSAGE,
        ),
        Sample(
            "os.environ.setdefault('JAX_DYNAMIC_SHAPES', '1')\n",
            line=1,
            message=_MESSAGE,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or not node.args:
            return
        first = literal_text(node.args[0].value)
        if first is None or first.lower() != FLAG:
            return
        if func.attr.value in ("update", "setdefault", "putenv", "__setitem__"):
            self.report(node, _MESSAGE)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            written = target.target
            if isinstance(written, cst.Attribute) and written.attr.value == FLAG:
                self.report(node, _MESSAGE)
            elif isinstance(written, cst.Subscript) and len(written.slice) == 1:
                index = written.slice[0].slice
                if isinstance(index, cst.Index):
                    key = literal_text(index.value)
                    if key is not None and key.lower() == FLAG:
                        self.report(node, _MESSAGE)
