"""GR406: version-sensitive JAX APIs only through jax2onnx's compatibility module
(AGENTS.md, "Two supported stacks" and "JAX 0.11 specifics")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import from_import_targets
from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import (
    AttributeUseRule,
    FileContext,
    FileInfo,
    FunctionNode,
    Sample,
)
from guardrails.rules.upstream_policy._common import in_compat_module
from guardrails.rules.upstream_policy.prescans import (
    api_names_pattern,
    may_use_compat_api,
)


class JaxCompatApi(AttributeUseRule):
    """A version-sensitive JAX API used outside jax2onnx's compatibility module.

    ## What it does
    Flags imports and attribute uses of the APIs in `jax-compat-apis`, by default
    what JAX 0.11 removed from `jax.core` (AGENTS.md, "JAX 0.11 specifics"):
    `concrete_or_error`, `new_jaxpr_eqn`, `Literal`, `ClosedJaxpr`, `JaxprEqn`,
    `AbstractToken` and `InconclusiveDimensionOperation`. Names are resolved
    through the file's imports: `from jax.core import Literal`,
    `import jax.core as jax_core` then `jax_core.JaxprEqn`, `from jax import core`
    then `core.ClosedJaxpr`, `jax.core.new_jaxpr_eqn(...)`. Everywhere except the
    `compat-module` itself (`jax2onnx._compat.jax`), annotations and
    `except ImportError:` fallbacks included.

    ## Why is this bad?
    jax2onnx supports two stacks at once: Python 3.11 resolves to JAX 0.10,
    3.12+ to JAX 0.11. These names are deprecated or already gone from
    `jax.core` on JAX 0.10 and removed on 0.11, so code that names them directly
    fails at import or call time, or in mypy against the newer stubs (an
    annotation survives only while `from __future__ import annotations` keeps it
    unevaluated). AGENTS.md routes every such API through
    `jax2onnx/_compat/jax.py`, which resolves it on both stacks.

    ## Example
    ```python
    import jax.core as jax_core

    def lower(self, ctx, eqn: jax_core.JaxprEqn) -> None: ...
    ```

    ## Use instead
    ```python
    from jax2onnx._compat.jax import JaxprEqn

    def lower(self, ctx, eqn: JaxprEqn) -> None: ...
    ```
    """

    code = "GR406"
    name = "jax-compat-api"
    # Names are resolved through imports only, so a file without one has none.
    prescan = re.compile(r"\bimport\b")
    syntax_prescan = staticmethod(may_use_compat_api)
    # Bodies that name an API are kept (`needs_body`); dict values with an
    # attribute (this pattern: a dot, not a decimal point) too, no others.
    body_prescan = re.compile(r"\.(?!\d)")
    value_keys = frozenset[str]()
    VALID = (
        Sample("from jax2onnx._compat.jax import ClosedJaxpr, Literal\n"),
        Sample(
            "from jax.extend.core import ClosedJaxpr\nfrom jax.core import Tracer\n"
        ),
        Sample("import jax.core as jax_core\nshaped = jax_core.ShapedArray\n"),
        Sample("from jax import core\nx = other.core.Literal\n"),
        Sample("from . import core\nx = core.Literal\n"),
        Sample("from jax.core import Literal\n", path="jax2onnx/_compat/jax.py"),
        Sample("Literal = 1\nx = jax.core.Literal\n"),
    )
    INVALID = (
        Sample(
            "from jax.core import Literal as JaxLiteral\n",
            line=1,
            message=(
                "version-sensitive JAX API `jax.core.Literal`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "import jax.core as jax_core\n\n"
            "def lower(ctx, eqn: jax_core.JaxprEqn) -> None:\n    pass\n",
            line=3,
            message=(
                "version-sensitive JAX API `jax.core.JaxprEqn`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "from jax import core\n\ndef f(x):\n"
            "    return core.concrete_or_error(int, x)\n",
            line=4,
            message=(
                "version-sensitive JAX API `jax.core.concrete_or_error`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "import jax\nEQN = jax.core.new_jaxpr_eqn\n",
            line=2,
            message=(
                "version-sensitive JAX API `jax.core.new_jaxpr_eqn`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "import jax.core as jc\nSPEC = {'testcase': 't', 'kind': jc.Literal}\n",
            line=2,
            message=(
                "version-sensitive JAX API `jax.core.Literal`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "try:\n    from jax.errors import InconclusiveDimensionOperation\n"
            "except ImportError:\n"
            "    from jax.core import InconclusiveDimensionOperation\n",
            line=4,
            message=(
                "version-sensitive JAX API `jax.core.InconclusiveDimensionOperation`: "
                "import it from `jax2onnx._compat.jax`"
            ),
        ),
        Sample(
            "from jax.core import AbstractToken\n",
            path="tests/test_tokens.py",
            line=1,
            message=(
                "version-sensitive JAX API `jax.core.AbstractToken`: import it "
                "from `jax2onnx._compat.jax`"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return not in_compat_module(file)

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        apis = config.jax_compat_apis
        return bool(apis) and api_names_pattern(apis).search(body) is not None

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._apis = frozenset(context.file.config.jax_compat_apis)

    def _flag(self, node: cst.CSTNode, api: str) -> None:
        module = self.context.file.config.compat_module
        self.report(
            node,
            f"version-sensitive JAX API `{api}`: import it from `{module}`",
        )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        for alias, api in from_import_targets(node):
            if api in self._apis:
                self._flag(alias, api)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.in_import:
            return
        api = self.context.imports.qualify(node)
        if api is not None and api in self._apis:
            self._flag(node, api)
