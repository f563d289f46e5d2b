"""GR410: JAX's private `jax._src` only through jax2onnx's compatibility module
(AGENTS.md, "Two supported stacks")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import from_import_targets, module_name
from guardrails.rules.base import AttributeUseRule, FileInfo, Sample
from guardrails.rules.upstream_policy._common import in_compat_module

PRIVATE = "jax._src"


def _private(name: str) -> bool:
    return name == PRIVATE or name.startswith(PRIVATE + ".")


class JaxPrivateImport(AttributeUseRule):
    """JAX's private `jax._src` used outside jax2onnx's compatibility module.

    ## What it does
    Flags `import jax._src…`, `from jax._src… import …`, `from jax import _src`
    and attribute chains through `jax._src` (`jax._src.core.Var`, by any import
    of `jax`), everywhere except the `compat-module` (`jax2onnx._compat.jax`),
    in-function imports and fallbacks included.

    ## Why is this bad?
    `jax._src` is JAX's private implementation: it moves between releases
    without deprecation. jax2onnx supports two JAX stacks at once (0.10 on
    Python 3.11, 0.11 on 3.12+), and AGENTS.md routes every version-sensitive
    API through `jax2onnx/_compat/jax.py`, where one place resolves it on
    both. A private import elsewhere breaks one stack silently.

    ## Example
    ```python
    from jax._src import core as jcore
    ```

    ## Use instead
    ```python
    from jax2onnx._compat.jax import Var  # resolved there for both stacks
    ```
    """

    code = "GR410"
    name = "jax-private-import"
    # `\b_src\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"_src(?<!\w_src)\b")
    body_prescan = prescan
    value_keys = frozenset[str]()
    VALID = (
        Sample("from jax2onnx._compat.jax import Var\n"),
        Sample("from jax._src import core\n", path="jax2onnx/_compat/jax.py"),
        Sample("from . import _src\nx = mylib._src.core\n"),
    )
    INVALID = (
        Sample(
            "from jax._src import core as jcore\n",
            line=1,
            message=(
                "private JAX module `jax._src`: route it through `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "def impl():\n    from jax._src.image.scale import _resize\n"
            "    return _resize\n",
            line=2,
            message=(
                "private JAX module `jax._src.image.scale`: route it through "
                "`jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "def seed():\n    import jax._src.random as _random  # noqa: PLC0415\n",
            line=2,
            message=(
                "private JAX module `jax._src.random`: route it through "
                "`jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "from jax import _src\n",
            line=1,
            message=(
                "private JAX module `jax._src`: route it through `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "import jax\n\nVAR = jax._src.core.Var\n",
            line=3,
            message=(
                "private JAX module `jax._src`: route it through `jax2onnx._compat.jax`"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return not in_compat_module(file)

    def _flag(self, node: cst.CSTNode, module: str) -> None:
        compat = self.context.file.config.compat_module
        self.report(node, f"private JAX module `{module}`: route it through `{compat}`")

    def visit_Import(self, node: cst.Import) -> None:
        super().visit_Import(node)
        for alias in node.names:
            name = module_name(alias.name)
            if _private(name):
                self._flag(alias, name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        if node.relative or node.module is None:
            return
        base = module_name(node.module)
        if _private(base):
            self._flag(node, base)
        else:
            for alias, name in from_import_targets(node):
                if _private(name):
                    self._flag(alias, name)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # Once per chain: at `jax._src` itself, not at each longer prefix.
        if not self.in_import and self.context.imports.qualify(node) == PRIVATE:
            self._flag(node, PRIVATE)
