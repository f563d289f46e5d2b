from __future__ import annotations

import libcst as cst

from guardrails.analysis.imports import module_name
from guardrails.rules.base import Sample
from guardrails.rules.ir_only._common import ONNX_NAME, IROnlyRule, is_onnx


class OnnxProtobufImport(IROnlyRule):
    """An import of the ONNX protobuf library in IR-only code.

    ## What it does
    Flags `import onnx`, `import onnx.helper as oh`, `from onnx import helper` and
    `from onnx.numpy_helper import to_array` under the IR-only paths (the
    `jax2onnx/converter/` and `jax2onnx/plugins/` folders by default, wherever the
    package lies), at any nesting level: inside functions, `try` blocks and
    `if TYPE_CHECKING:` too.

    ## Why is this bad?
    jax2onnx's converter and plugins build graphs with onnx_ir only; protobuf
    handling belongs in the serialisation layer outside them. A protobuf import
    there reintroduces the dependency the IR pipeline removed.

    ## Example
    ```python
    from onnx import helper

    node = helper.make_node("Relu", ["x"], ["y"])
    ```

    ## Use instead
    ```python
    import onnx_ir as ir

    node = ir.node("Relu", inputs=[x])
    ```
    """

    code = "GR101"
    name = "onnx-protobuf-import"
    prescan = ONNX_NAME
    VALID = (
        Sample("import onnx_ir as ir\nimport onnxruntime\nimport onnxscript\n"),
        Sample('"""Never `import onnx` here."""\n# import onnx\nx = "import onnx"\n'),
        Sample("import onnx\n", path="pkg/serde/io.py"),
        Sample("from . import onnx\n"),
    )
    INVALID = (
        Sample(
            "import onnx\n",
            line=1,
            message="ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "import os\nimport onnx.helper as oh\n",
            line=2,
            message="ONNX protobuf import `onnx.helper` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "from onnx import helper\n",
            line=1,
            message="ONNX protobuf import from `onnx` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "from onnx.numpy_helper import to_array\n",
            line=1,
            message=(
                "ONNX protobuf import from `onnx.numpy_helper` in IR-only code: "
                "use `onnx_ir`"
            ),
        ),
        Sample(
            "def f():\n    import onnx\n    return onnx\n",
            line=2,
            message="ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "try:\n    import onnx\nexcept ImportError:\n    onnx = None\n",
            line=2,
            message="ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from onnx import ModelProto\n",
            line=3,
            message="ONNX protobuf import from `onnx` in IR-only code: use `onnx_ir`",
        ),
        Sample(
            "import onnx\n",
            path="jax2onnx/converter/deep/er/x.py",
            line=1,
            message="ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
    )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = module_name(alias.name)
            if is_onnx(name):
                self.report(
                    alias,
                    f"ONNX protobuf import `{name}` in IR-only code: use `onnx_ir`",
                )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        name = module_name(node.module)
        if is_onnx(name):
            self.report(
                node,
                f"ONNX protobuf import from `{name}` in IR-only code: use `onnx_ir`",
            )
