from __future__ import annotations

import libcst as cst

from guardrails.rules.base import AttributeUseRule, Sample
from guardrails.rules.ir_only._common import ONNX_NAME, IROnlyRule, is_onnx


class OnnxProtobufAttribute(IROnlyRule, AttributeUseRule):
    """ONNX protobuf API reached through an attribute chain.

    ## What it does
    Flags `onnx.helper…`, `onnx.ModelProto`, `onnx.TensorProto`,
    `onnx.shape_inference…` and `onnx.numpy_helper…` under the IR-only paths, whether
    `onnx` was imported, aliased (`import onnx as ox; ox.helper`) or obtained some
    other way.

    ## Why is this bad?
    Using the protobuf API is what the IR-only rule forbids; the import may live
    elsewhere or come in through a parameter, but the dependency is the same.

    ## Example
    ```python
    def to_proto(model):
        return onnx.shape_inference.infer_shapes(model)
    ```

    ## Use instead
    ```python
    import onnx_ir as ir

    def to_ir(model: ir.Model) -> ir.Model:
        return model
    ```
    """

    code = "GR104"
    name = "onnx-protobuf-attribute"
    prescan = ONNX_NAME
    VALID = (
        Sample("import onnx_ir as ir\nir.TensorProtocol\n"),
        Sample("import onnx_ir as onnx\nonnx.Model\n"),
        Sample("x = self.onnx.helper\n"),
    )
    INVALID = (
        Sample(
            "def f(m):\n    return onnx.shape_inference.infer_shapes(m)\n",
            line=2,
            message="ONNX protobuf API `onnx.shape_inference` used in IR-only code",
        ),
        Sample(
            "onnx.TensorProto.FLOAT\n",
            line=1,
            message="ONNX protobuf API `onnx.TensorProto` used in IR-only code",
        ),
        Sample(
            "import onnx as ox\nox.ModelProto()\n",
            line=2,
            message="ONNX protobuf API `onnx.ModelProto` used in IR-only code",
        ),
        Sample(
            "from onnx import helper\nhelper.make_node('Relu', [], [])\n",
            line=2,
            message="ONNX protobuf API `onnx.helper.make_node` used in IR-only code",
        ),
        Sample(
            "import onnx.numpy_helper\nonnx.numpy_helper.to_array(t)\n",
            line=2,
            message="ONNX protobuf API `onnx.numpy_helper` used in IR-only code",
        ),
        Sample(
            "def f(m):\n    return (onnx).helper.make_node\n",
            line=2,
            message="ONNX protobuf API `onnx.helper` used in IR-only code",
        ),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # Judge each chain once, at its innermost `name.attr` link.
        if self.in_import or not isinstance(node.value, cst.Name):
            return
        name = self.context.imports.qualify_or_local(node)
        if name is not None and is_onnx(name):
            self.report(node, f"ONNX protobuf API `{name}` used in IR-only code")
