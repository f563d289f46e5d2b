"""GR416: plugins emit nodes through the context's builder
(docs/developer_guide/advanced_topics/onnx_ir_builder.md)."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import FileInfo, Rule, Sample
from guardrails.rules.upstream_policy._common import in_plugins

NODE_CLASS = "onnx_ir.Node"
_MESSAGE = (
    "`ir.Node(...)` built by hand in a plugin: emit it with the context's "
    "builder (`ctx.builder.<Op>(..., _outputs=[...])`)"
)


class IrNodeInPlugin(Rule):
    """An `onnx_ir.Node` built by hand inside a plugin.

    ## What it does
    Flags calls of `onnx_ir.Node(...)`, by any import (`import onnx_ir as ir`
    then `ir.Node(...)`, `from onnx_ir import Node`), in files under
    `jax2onnx/plugins/`.

    ## Why is this bad?
    jax2onnx's builder guide makes `ctx.builder` the one way plugins emit
    nodes: it names outputs deterministically, records value metadata and
    shapes, attaches the node to the graph or function being built and keeps
    the opset imports right. A hand-built `ir.Node` bypasses all of it and
    must be wired in by hand, which is where duplicate names and dangling
    values come from.

    ## Example
    ```python
    node = ir.Node("", "Gather", inputs=[data, indices], outputs=[out])
    ctx.graph.append(node)
    ```

    ## Use instead
    ```python
    out = ctx.builder.Gather(data, indices, axis=0, _outputs=[out_name])
    ```
    """

    code = "GR416"
    name = "ir-node-in-plugin"
    # `\bNode\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"Node(?<!\wNode)\b")
    body_prescan = re.compile(r"\bNode\s*\(")
    value_keys = frozenset[str]()
    VALID = (
        Sample("out = ctx.builder.Gather(data, indices, _outputs=['g'])\n"),
        Sample(
            "import onnx_ir as ir\n\nnode = ir.Node('', 'Add', inputs=[a, b])\n",
            path="jax2onnx/converter/ir_builder.py",
        ),
        Sample("import onnx_ir as ir\n\ndef f(n: ir.Node) -> None:\n    pass\n"),
    )
    INVALID = (
        Sample(
            "import onnx_ir as ir\n\ndef lower(ctx, a, b):\n"
            "    node = ir.Node('', 'Add', inputs=[a, b])\n",
            line=4,
            message=_MESSAGE,
        ),
        Sample(
            "from onnx_ir import Node\n\nNODE = Node('', 'Identity', inputs=[x])\n",
            line=3,
            message=_MESSAGE,
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return in_plugins(file)

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.imports.qualify(node.func) == NODE_CLASS:
            self.report(node, _MESSAGE)
