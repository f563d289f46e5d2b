from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import dotted_name
from guardrails.rules.base import Sample
from guardrails.rules.ir_only._common import IROnlyRule, is_onnx

_IMPORT_FUNCTIONS = {
    "importlib.import_module",
    "importlib.__import__",
    "builtins.__import__",
}


def _is_literal_name(argument: cst.Arg) -> bool:
    """A string literal passed positionally or as `name=`. (Not a matcher:
    importing `libcst.matchers` alone costs a third of LibCST's import.)"""
    keyword = argument.keyword
    return isinstance(argument.value, cst.SimpleString | cst.ConcatenatedString) and (
        keyword is None or keyword.value == "name"
    )


class DynamicOnnxImport(IROnlyRule):
    """A dynamic import of ONNX by literal name.

    ## What it does
    Flags `importlib.import_module("onnx…")`, `import_module("onnx…")` imported from
    importlib, and `__import__("onnx…")` (also as `importlib.__import__`) with a
    literal module name under the IR-only paths.

    ## Why is this bad?
    It is an `import onnx` in disguise: the protobuf dependency comes back while
    import-scanning policy tests (jax2onnx's own included) do not see it.

    ## Example
    ```python
    import importlib

    helper = importlib.import_module("onnx.helper")
    ```

    ## Use instead
    ```python
    import onnx_ir as ir
    ```
    """

    code = "GR103"
    name = "dynamic-onnx-import"
    # `import_module|__import__`, led by the literal both hold.
    prescan = re.compile(r"import(?:_module|__(?<=__import__))")
    VALID = (
        Sample('import importlib\nrt = importlib.import_module("onnxruntime")\n'),
        Sample("import importlib\nmodule = importlib.import_module(name)\n"),
        Sample('def import_module(x):\n    return x\nimport_module("onnx")\n'),
    )
    INVALID = (
        Sample(
            'import importlib\nh = importlib.import_module("onnx.helper")\n',
            line=2,
            message="dynamic import of ONNX protobuf module `onnx.helper`",
        ),
        Sample(
            'from importlib import import_module\nimport_module("onnx")\n',
            line=2,
            message="dynamic import of ONNX protobuf module `onnx`",
        ),
        Sample(
            'from importlib import import_module as load\nload(name="onnx")\n',
            line=2,
            message="dynamic import of ONNX protobuf module `onnx`",
        ),
        Sample(
            'onnx = __import__("onnx")\n',
            line=1,
            message="dynamic import of ONNX protobuf module `onnx`",
        ),
        Sample(
            'import importlib\nimportlib.__import__("onnx.helper")\n',
            line=2,
            message="dynamic import of ONNX protobuf module `onnx.helper`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        target = self.context.imports.qualify(node.func)
        if target not in _IMPORT_FUNCTIONS and dotted_name(node.func) != "__import__":
            return
        argument = next((a for a in node.args if _is_literal_name(a)), None)
        if argument is None:
            return
        assert isinstance(argument.value, cst.SimpleString | cst.ConcatenatedString)
        name = argument.value.evaluated_value
        if isinstance(name, str) and is_onnx(name):
            self.report(node, f"dynamic import of ONNX protobuf module `{name}`")
