from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import module_name
from guardrails.rules.base import Sample
from guardrails.rules.ir_only._common import IROnlyRule, is_private, private_onnx_ir


class PrivateOnnxIrImport(IROnlyRule):
    """An import of a private `onnx_ir` module.

    ## What it does
    Flags `import onnx_ir._core`, `from onnx_ir._tape import Tape` and
    `from onnx_ir import _tape` (also inside a mixed `from onnx_ir import tape, _tape`)
    under the IR-only paths.

    ## Why is this bad?
    Underscored modules are onnx_ir's internals: they change without notice between
    releases, so code that reaches into them breaks on a routine upgrade.

    ## Example
    ```python
    from onnx_ir._tape import Tape
    ```

    ## Use instead
    ```python
    from onnx_ir.tape import Tape
    ```
    """

    code = "GR102"
    name = "private-onnx-ir-import"
    # A dotted name `onnx_ir...._x`, or `from onnx_ir... import` with `_` later on
    # its line, a `(` or a `\` continuation; spaces and `\` line breaks allowed.
    prescan = re.compile(
        r"onnx_ir(?:(?:[ \t]|\\\r?\n)*\.(?:[ \t]|\\\r?\n)*\w+)*"
        r"(?:[ \t]|\\\r?\n)*\.(?:[ \t]|\\\r?\n)*_"
        r"|from(?:[ \t]|\\\r?\n)+onnx_ir(?:[\w. \t]|\\\r?\n)*import"
        r"(?:[ \t]|\\\r?\n)*(?:\(|[^\n]*(?:\b_|\\\r?\n))"
    )
    VALID = (
        Sample("import onnx_ir\nimport onnx_ir as ir\n"),
        Sample("from onnx_ir import tape\nfrom onnx_ir.tape import Tape\n"),
        Sample("from another_package import _tape\n"),
        Sample("from onnx_ir import __version__\n"),
        Sample("import onnx_ir._core\n", path="pkg/tools/x.py"),
    )
    INVALID = (
        Sample(
            "import onnx_ir._core\n",
            line=1,
            message="private onnx_ir module `onnx_ir._core` imported",
        ),
        Sample(
            "from onnx_ir._tape import Tape\n",
            line=1,
            message="import from private onnx_ir module `onnx_ir._tape`",
        ),
        Sample(
            "from onnx_ir import _tape\n",
            line=1,
            message="private onnx_ir module `onnx_ir._tape` imported",
        ),
        Sample(
            "from onnx_ir import tape, _tape\n",
            line=1,
            message="private onnx_ir module `onnx_ir._tape` imported",
        ),
        Sample(
            "from onnx_ir import (\n    tape,\n    _tape,\n)\n",
            line=3,
            message="private onnx_ir module `onnx_ir._tape` imported",
        ),
    )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = module_name(alias.name)
            if private_onnx_ir(name):
                self.report(alias, f"private onnx_ir module `{name}` imported")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        base = module_name(node.module)
        if private_onnx_ir(base):
            self.report(node, f"import from private onnx_ir module `{base}`")
        elif base.split(".")[0] == "onnx_ir" and not isinstance(
            node.names, cst.ImportStar
        ):
            for alias in node.names:
                name = module_name(alias.name)
                if is_private(name):
                    self.report(
                        alias, f"private onnx_ir module `{base}.{name}` imported"
                    )
