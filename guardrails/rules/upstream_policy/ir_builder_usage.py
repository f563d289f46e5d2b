"""GR402: IR builder etiquette in converter and plugins (jax2onnx's
scripts/check_ir_builder_usage.py, as a rule)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.rules.base import FileInfo, Sample
from guardrails.rules.upstream_policy._common import SyntaxDecidedRule
from guardrails.rules.upstream_policy.prescans import (
    builder_misuses,
    may_misuse_builder,
)


class IRBuilderUsage(SyntaxDecidedRule):
    """IR builder calls that break jax2onnx's builder etiquette.

    ## What it does
    Under the IR-only paths (`converter/` and `plugins/`; `__init__.py` too,
    `*_pb2.py` never), as jax2onnx's `scripts/check_ir_builder_usage.py`:

    - a call to `….builder….initializer(...)` or
      `….builder….add_initializer_from_*(...)` without a `name=` keyword;
    - an `_outputs=` keyword whose value is a string, or anything but a list,
      tuple, dict, name, call, attribute, subscript or non-string constant
      (an f-string, a conditional, a comprehension...).

    ## Why is this bad?
    jax2onnx's builder guide (docs/developer_guide/advanced_topics/
    onnx_ir_builder.md) requires `name=` on every initializer: the builder
    deduplicates and reuses initializers by name, and a name left to a positional
    argument or a generated default is one a reader and an `expect_graph` spec
    cannot rely on. A string `_outputs` makes the builder raise `TypeError`
    (it wants a count or a sequence of names) only when that lowering runs.

    ## Example
    ```python
    weight = ctx.builder.add_initializer_from_array("weight", array)
    y = ctx.builder.Relu(x, _outputs="y")
    ```

    ## Use instead
    ```python
    weight = ctx.builder.add_initializer_from_array(name="weight", array=array)
    y = ctx.builder.Relu(x, _outputs=["y"])
    ```
    """

    code = "GR402"
    name = "ir-builder-usage"
    prescan = re.compile(r"builder|_outputs")
    syntax_prescan = staticmethod(may_misuse_builder)
    VALID = (
        Sample("w = ctx.builder.initializer(array, name='w')\n"),
        Sample("w = ctx.builder.add_initializer_from_scalar(1.0, name=n)\n"),
        Sample("y = ctx.builder.Relu(x, _outputs=[name])\n"),
        Sample("y = ctx.builder.Relu(x, _outputs=names)\n"),
        Sample("y = ctx.builder.Relu(x, _outputs=None)\n"),
        Sample("w = ctx._builder.initializer(array)\n"),
        Sample("w = builder.initializer(array)\n", path="jax2onnx/other/x.py"),
        Sample("w = builder.initializer(array)\n", path="jax2onnx/plugins/x_pb2.py"),
    )
    INVALID = (
        Sample(
            "w = ctx.builder.initializer(array)\n",
            line=1,
            message=(
                "`ctx.builder.initializer(...)` without `name=`: initializers need "
                "stable names"
            ),
        ),
        Sample(
            "w = builder.add_initializer_from_array(a, **options)\n",
            line=1,
            message=(
                "`builder.add_initializer_from_array(...)` without `name=`: "
                "initializers need stable names"
            ),
        ),
        Sample(
            "y = ctx.builder.Relu(x, _outputs='y')\n",
            line=1,
            message="`_outputs` must be a list or tuple of names, not a string",
        ),
        Sample(
            "y = ctx.builder.Relu(\n    x,\n    _outputs=f'{n}_out',\n)\n",
            line=3,
            message="`_outputs` must be a list or tuple of names, not an f-string",
        ),
        Sample(
            "y = f(x, _outputs=[a] if one else [a, b])\n",
            line=1,
            message=(
                "`_outputs` must be a list or tuple of names, not a IfExp expression"
            ),
        ),
        Sample(
            "CASES = [\n"
            "    {'testcase': 't', 'make': lambda c, x: c.builder.initializer(x)},\n"
            "]\n",
            line=2,
            message=(
                "`c.builder.initializer(...)` without `name=`: initializers need "
                "stable names"
            ),
        ),
        Sample(
            "def lower(ctx, x):\n"
            "    return ctx.builder.Add(x, x, _outputs=('a' 'b'))\n",
            line=2,
            message="`_outputs` must be a list or tuple of names, not a string",
        ),
        Sample(
            "w = ctx.builder.initializer(array)\n",
            path="jax2onnx/converter/__init__.py",
            line=1,
            message=(
                "`ctx.builder.initializer(...)` without `name=`: initializers need "
                "stable names"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.in_ir_only_paths and not file.path.name.endswith("_pb2.py")

    def decide(self, syntax: FileSyntax) -> Iterable[tuple[ast.AST, str]]:
        return builder_misuses(syntax.index, self.context.file.config)
