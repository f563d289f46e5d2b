"""GR1: the IR-only guardrail. `converter/` and `plugins/` build graphs with onnx_ir,
never with the ONNX protobuf library (AGENTS.md)."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import dotted_name, module_name
from guardrails.rules.base import FileContext, FileInfo, Rule, Sample


def _is_onnx(name: str) -> bool:
    return name == "onnx" or name.startswith("onnx.")


def _is_private(part: str) -> bool:
    # `__version__` and friends are public dunders, not private modules.
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _private_onnx_ir(name: str) -> bool:
    head, *rest = name.split(".")
    return head == "onnx_ir" and any(_is_private(part) for part in rest)


class _IROnlyRule(Rule):
    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.in_ir_only_paths


class OnnxProtobufImport(_IROnlyRule):
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
    # `onnx` only as a name that can be imported or start an attribute chain: not
    # after `.` or `://`, followed by a space, `.`, `,`, `;`, `#`, `\` or `)` (as in
    # `(onnx).helper`), never by `=` (skips `onnx=[...]` metadata and URLs such as
    # https://onnx.ai/onnx/).
    prescan = re.compile(
        r"onnx(?<![\w.]onnx)(?<!://onnx)(?=[\s.,;#\\)]|\Z)(?!\s*=(?!=))"
    )
    VALID = (
        Sample("import onnx_ir as ir\nimport onnxruntime\nimport onnxscript\n"),
        Sample('"""Never `import onnx` here."""\n# import onnx\nx = "import onnx"\n'),
        Sample("import onnx\n", path="pkg/serde/io.py"),
        Sample("from . import onnx\n"),
    )
    INVALID = (
        Sample("import onnx\n", line=1),
        Sample("import os\nimport onnx.helper as oh\n", line=2),
        Sample("from onnx import helper\n", line=1),
        Sample("from onnx.numpy_helper import to_array\n", line=1),
        Sample("def f():\n    import onnx\n    return onnx\n", line=2),
        Sample("try:\n    import onnx\nexcept ImportError:\n    onnx = None\n", line=2),
        Sample(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from onnx import ModelProto\n",
            line=3,
        ),
        Sample("import onnx\n", path="jax2onnx/converter/deep/er/x.py", line=1),
    )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = module_name(alias.name)
            if _is_onnx(name):
                self.report(alias, f"ONNX protobuf import `{name}` in IR-only code")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        name = module_name(node.module)
        if _is_onnx(name):
            self.report(node, f"ONNX protobuf import from `{name}` in IR-only code")


class PrivateOnnxIrImport(_IROnlyRule):
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
        Sample("import onnx_ir._core\n", line=1),
        Sample("from onnx_ir._tape import Tape\n", line=1),
        Sample("from onnx_ir import _tape\n", line=1),
        Sample("from onnx_ir import tape, _tape\n", line=1),
        Sample("from onnx_ir import (\n    tape,\n    _tape,\n)\n", line=3),
    )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = module_name(alias.name)
            if _private_onnx_ir(name):
                self.report(alias, f"private onnx_ir module `{name}` imported")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        base = module_name(node.module)
        if _private_onnx_ir(base):
            self.report(node, f"import from private onnx_ir module `{base}`")
        elif base.split(".")[0] == "onnx_ir" and not isinstance(
            node.names, cst.ImportStar
        ):
            for alias in node.names:
                name = module_name(alias.name)
                if _is_private(name):
                    self.report(
                        alias, f"private onnx_ir module `{base}.{name}` imported"
                    )


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


class DynamicOnnxImport(_IROnlyRule):
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
    prescan = re.compile(r"import_module|__import__")
    VALID = (
        Sample('import importlib\nrt = importlib.import_module("onnxruntime")\n'),
        Sample("import importlib\nmodule = importlib.import_module(name)\n"),
        Sample('def import_module(x):\n    return x\nimport_module("onnx")\n'),
    )
    INVALID = (
        Sample(
            'import importlib\nh = importlib.import_module("onnx.helper")\n', line=2
        ),
        Sample('from importlib import import_module\nimport_module("onnx")\n', line=2),
        Sample(
            'from importlib import import_module as load\nload(name="onnx")\n', line=2
        ),
        Sample('onnx = __import__("onnx")\n', line=1),
        Sample('import importlib\nimportlib.__import__("onnx.helper")\n', line=2),
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
        if isinstance(name, str) and _is_onnx(name):
            self.report(node, f"dynamic import of ONNX protobuf module `{name}`")


class OnnxProtobufAttribute(_IROnlyRule):
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
    # `onnx` only as a name that can be imported or start an attribute chain: not
    # after `.` or `://`, followed by a space, `.`, `,`, `;`, `#`, `\` or `)` (as in
    # `(onnx).helper`), never by `=` (skips `onnx=[...]` metadata and URLs such as
    # https://onnx.ai/onnx/).
    prescan = re.compile(
        r"onnx(?<![\w.]onnx)(?<!://onnx)(?=[\s.,;#\\)]|\Z)(?!\s*=(?!=))"
    )
    VALID = (
        Sample("import onnx_ir as ir\nir.TensorProtocol\n"),
        Sample("import onnx_ir as onnx\nonnx.Model\n"),
        Sample("x = self.onnx.helper\n"),
    )
    INVALID = (
        Sample("def f(m):\n    return onnx.shape_inference.infer_shapes(m)\n", line=2),
        Sample("onnx.TensorProto.FLOAT\n", line=1),
        Sample("import onnx as ox\nox.ModelProto()\n", line=2),
        Sample("from onnx import helper\nhelper.make_node('Relu', [], [])\n", line=2),
        Sample("import onnx.numpy_helper\nonnx.numpy_helper.to_array(t)\n", line=2),
        Sample("def f(m):\n    return (onnx).helper.make_node\n", line=2),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._import_depth = 0  # module names in import statements are not uses

    def visit_Import(self, node: cst.Import) -> None:
        self._import_depth += 1

    def leave_Import(self, original_node: cst.Import) -> None:
        self._import_depth -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._import_depth -= 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # Judge each chain once, at its innermost `name.attr` link.
        if self._import_depth or not isinstance(node.value, cst.Name):
            return
        name = self.context.imports.qualify_or_local(node)
        if name is not None and _is_onnx(name):
            self.report(node, f"ONNX protobuf API `{name}` used in IR-only code")
