"""GR408: JAX's autodiff registries are written only by jax2onnx's helper
module (tests/extra_tests/framework/test_ad_registration_helpers_only.py)."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.imports import dotted_name
from guardrails.rules.base import FileContext, FileInfo, Rule, Sample

# The package whose code must not write them, and the one module that may.
PACKAGE = "**/jax2onnx/**"
HELPER_MODULE = "**/jax2onnx/plugins/jax/_autodiff_utils.py"
REGISTRIES = frozenset({"primitive_jvps", "primitive_transposes"})
# `ad.defjvp`, `ad.defjvp2`, `ad.defjvp_zero`, `ad.deflinear`, `ad.deflinear2`...
_DEFINERS = re.compile(r"def(?:jvp|linear|bilinear)\w*")
_WRITING_METHODS = frozenset({"update", "setdefault", "__setitem__"})
_IMPORTS = (
    "from jax2onnx._compat.jax import ad\n",
    "from jax.interpreters import ad as jad\n",
)


def _is_ad_module(qualified: str) -> bool:
    """`jax.interpreters.ad`, `jax._src.interpreters.ad` or jax2onnx's
    re-export `jax2onnx._compat.jax.ad`."""
    return qualified.endswith(".ad") and qualified.startswith(("jax.", "jax2onnx."))


class AdRegistryWrite(Rule):
    """A write into JAX's autodiff registries outside jax2onnx's helper module.

    ## What it does
    Flags, in the `jax2onnx` package but for
    `jax2onnx/plugins/jax/_autodiff_utils.py` (tests that set up a registry
    for a test are outside its scope): stores
    into `ad.primitive_jvps[...]` / `ad.primitive_transposes[...]`, their
    `.update(...)`, `.setdefault(...)` and `.__setitem__(...)`, and calls of
    `ad.defjvp*` / `ad.deflinear*` / `ad.defbilinear`, where `ad` is JAX's
    `jax.interpreters.ad` by any import (`from jax2onnx._compat.jax import ad`,
    `from jax.interpreters import ad as jad`, `import jax.interpreters.ad`) or
    a module-level name assigned from one.

    ## Why is this bad?
    jax2onnx registers JVP and transpose rules for its primitives through
    `register_jvp_via_jax_jvp`, `register_fallback_jvp_rule` and friends, which
    keep the registrations idempotent and never override a rule JAX already
    has (the AD backfill and no-override policy tests rely on it). jax2onnx's
    own test greps for `ad.primitive_jvps[` only, so it misses transpose
    stores (`plugins/jax/numpy/sum.py`, `stack.py`), `.update`, `defjvp` and
    any other name for `ad`.

    ## Example
    ```python
    from jax2onnx._compat.jax import ad

    ad.primitive_transposes[JnpSumPlugin._PRIM] = _sum_transpose_rule
    ```

    ## Use instead
    Add (or use) a registration helper in `plugins/jax/_autodiff_utils.py` and
    call it from the plugin.
    """

    code = "GR408"
    name = "ad-registry-write"
    # `\b...\b` spelled with each word's literal first and a look back after it,
    # so the regex engine can skip to the literal (five times faster, same matches).
    prescan = re.compile(
        r"(?:primitive_(?<!\wprimitive_)(?:jvps|transposes)"
        r"|def(?<!\wdef)(?:jvp|linear|bilinear)\w*)\b"
    )
    body_prescan = prescan
    value_keys = frozenset[str]()
    VALID = (
        Sample(_IMPORTS[0] + "rule = ad.primitive_jvps.get(prim)\n"),
        Sample(
            _IMPORTS[0] + "ad.primitive_transposes[prim] = rule\n",
            path="jax2onnx/plugins/jax/_autodiff_utils.py",
        ),
        Sample("@_square.defjvp\ndef _square_jvp(primals, tangents):\n    pass\n"),
        Sample("registry = {}\nregistry.primitive_jvps[prim] = rule\n"),
        Sample(
            _IMPORTS[0] + "ad.primitive_jvps[prim] = rule\n",
            path="tests/extra_tests/framework/test_ad_rule_forwarding.py",
        ),
    )
    INVALID = (
        Sample(
            _IMPORTS[0] + "\nad.primitive_transposes[JnpSumPlugin._PRIM] = _rule\n",
            line=3,
            message=(
                "write into `ad.primitive_transposes` outside "
                "`plugins/jax/_autodiff_utils.py`: use its registration helpers"
            ),
        ),
        Sample(
            _IMPORTS[1] + "def install():\n    jad.primitive_jvps.update({p: rule})\n",
            line=3,
            message=(
                "write into `ad.primitive_jvps` outside "
                "`plugins/jax/_autodiff_utils.py`: use its registration helpers"
            ),
        ),
        Sample(
            "import jax.interpreters.ad\n\n"
            "jax.interpreters.ad.deflinear2(prim, rule)\n",
            line=3,
            message=(
                "`ad.deflinear2(...)` outside `plugins/jax/_autodiff_utils.py`: "
                "use its registration helpers"
            ),
        ),
        Sample(
            _IMPORTS[0] + "AD = ad\nAD.primitive_jvps.setdefault(p, rule)\n",
            line=3,
            message=(
                "write into `ad.primitive_jvps` outside "
                "`plugins/jax/_autodiff_utils.py`: use its registration helpers"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.matches((PACKAGE,)) and not file.matches((HELPER_MODULE,))

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Names assigned an `ad` module (`AD = ad`), file-wide.
        self._aliases: set[str] = set()

    def _ad_module(self, node: cst.BaseExpression) -> bool:
        name = dotted_name(node)
        if name is None:
            return False
        if name in self._aliases:
            return True
        qualified = self.context.imports.qualify(node)
        return qualified is not None and _is_ad_module(qualified)

    def _registry(self, node: cst.BaseExpression) -> str | None:
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value in REGISTRIES
            and self._ad_module(node.value)
        ):
            return node.attr.value
        return None

    def _flag_store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript):
            registry = self._registry(target.value)
            if registry is not None:
                self._flag_write(target, registry)

    def _flag_write(self, node: cst.CSTNode, registry: str) -> None:
        self.report(
            node,
            f"write into `ad.{registry}` outside `plugins/jax/_autodiff_utils.py`:"
            " use its registration helpers",
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        for assigned in node.targets:
            self._flag_store(assigned.target)
        alias = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(alias, cst.Name) and self._ad_module(node.value):
            self._aliases.add(alias.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._flag_store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._flag_store(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in _WRITING_METHODS:
            registry = self._registry(func.value)
            if registry is not None:
                self._flag_write(node, registry)
        elif _DEFINERS.fullmatch(method) and self._ad_module(func.value):
            self.report(
                node,
                f"`ad.{method}(...)` outside `plugins/jax/_autodiff_utils.py`:"
                " use its registration helpers",
            )
