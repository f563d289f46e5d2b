"""GR401: no reflection shims on IR internals in the converter (jax2onnx's
scripts/check_forbidden_reflection.py, as a rule)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.rules.base import FileInfo, Sample
from guardrails.rules.upstream_policy._common import SyntaxDecidedRule
from guardrails.rules.upstream_policy.prescans import may_reflect, reflections

_CONVERTER = "jax2onnx/converter/sample.py"


class ForbiddenReflection(SyntaxDecidedRule):
    """Reflection on IR internals in the converter.

    ## What it does
    Flags, under `reflection-paths` (`jax2onnx/converter/` by default, as
    jax2onnx's `scripts/check_forbidden_reflection.py`), `getattr(obj, "nodes")`
    and `hasattr(obj, "nodes")` with a literal attribute from
    `reflection-attributes` (`node`, `_nodes`, `nodes`, `input`, `inputs`,
    `output`, `outputs`, `initializer`, `initializers`), and
    `isinstance(obj, ir.Graph)` against a type from `reflection-types`
    (`ir.Graph`, `Graph`, `onnx_ir.Graph`), also inside a tuple of types.

    ## Why is this bad?
    These are duck-typing shims that probe for whichever container an `onnx_ir`
    release or an ONNX protobuf happens to have. jax2onnx's IR reflection
    guidelines make `ir.Graph`, `ir.Node` and `ir.Value` the one runtime model in
    the converter, read through typed accessors; a shim hides a typing gap and
    silently takes the wrong branch when `onnx_ir` changes.

    ## Example
    ```python
    def graph_nodes(graph):
        if isinstance(graph, ir.Graph):
            return list(graph)
        return list(getattr(graph, "nodes", []))
    ```

    ## Use instead
    ```python
    def graph_nodes(graph: ir.Graph) -> list[ir.Node]:
        return list(graph.all_nodes())
    ```
    """

    code = "GR401"
    name = "forbidden-reflection"
    # `\b(?:getattr|hasattr|isinstance)\b`, each word's literal first: the same
    # matches, found three times as fast (see GR408's pre-scan).
    prescan = re.compile(
        r"(?:getattr(?<!\wgetattr)|hasattr(?<!\whasattr)|isinstance(?<!\wisinstance))\b"
    )
    syntax_prescan = staticmethod(may_reflect)
    # Typed as the base's: GR418 (`plugin_reflection`) gives its own.
    VALID: ClassVar[Sequence[Sample]] = (
        Sample("value = getattr(node, 'name', None)\n", path=_CONVERTER),
        Sample("ok = isinstance(graph, ir.Function)\n", path=_CONVERTER),
        Sample(
            "attribute = 'nodes'\nnodes = getattr(graph, attribute)\n", path=_CONVERTER
        ),
        Sample("nodes = builtins.getattr(graph, 'nodes')\n", path=_CONVERTER),
        Sample("nodes = getattr(graph, 'nodes', [])\n", path="jax2onnx/plugins/x.py"),
        Sample("ok = isinstance(graph, (*kinds,))\n", path=_CONVERTER),
    )
    INVALID: ClassVar[Sequence[Sample]] = (
        Sample(
            "nodes = getattr(graph, 'nodes', [])\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `getattr(..., 'nodes')`; use the typed "
                "onnx_ir API"
            ),
        ),
        Sample(
            "def inputs(g):\n    return getattr(g, 'input', None)\n",
            path=_CONVERTER,
            line=2,
            message=(
                "reflection on IR internals: `getattr(..., 'input')`; use the typed "
                "onnx_ir API"
            ),
        ),
        Sample(
            "class A:\n    ok = isinstance(g, ir.Graph)\n",
            path=_CONVERTER,
            line=2,
            message=(
                "reflection on IR internals: `isinstance(..., ir.Graph)`; type "
                "the value as the IR class instead"
            ),
        ),
        Sample(
            "ok = isinstance(g, onnx_ir.Graph)\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `isinstance(..., onnx_ir.Graph)`; type "
                "the value as the IR class instead"
            ),
        ),
        Sample(
            "ok = isinstance(g, 'Graph')\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `isinstance(..., Graph)`; type the value "
                "as the IR class instead"
            ),
        ),
        Sample(
            "ok = hasattr(g, '_nodes')\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `hasattr(..., '_nodes')`; use the typed "
                "onnx_ir API"
            ),
        ),
        Sample(
            "SPEC = {'testcase': 't', 'nodes': getattr(g, 'nodes')}\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `getattr(..., 'nodes')`; use the typed "
                "onnx_ir API"
            ),
        ),
        Sample(
            "ok = isinstance(g, (ir.Function, ir.Graph))\n",
            path=_CONVERTER,
            line=1,
            message=(
                "reflection on IR internals: `isinstance(..., ir.Graph)`; type "
                "the value as the IR class instead"
            ),
        ),
        Sample(
            "def f(graph):\n    def inner():\n"
            "        return getattr(graph, 'initializers')\n    return inner\n",
            path=_CONVERTER,
            line=3,
            message=(
                "reflection on IR internals: `getattr(..., 'initializers')`; use the "
                "typed onnx_ir API"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.matches(file.config.reflection_paths)

    def decide(self, syntax: FileSyntax) -> Iterable[tuple[ast.AST, str]]:
        return reflections(syntax.index, self.context.file.config)
