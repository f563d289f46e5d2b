"""GR414: Flax NNX modules hold lists and dicts of arrays or submodules in
`nnx.List` / `nnx.data` (AGENTS.md, "JAX 0.8+ specifics")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import FileContext, Rule, Sample
from guardrails.rules.upstream_policy.prescans import may_define_nnx_module

_CONTAINERS: dict[type[cst.BaseExpression], str] = {
    cst.List: "list",
    cst.ListComp: "list",
    cst.DictComp: "dict",
}
_MESSAGE = (
    "NNX module attribute `self.{}` is a plain {} of arrays or submodules: "
    "wrap it in `nnx.List(...)` / `nnx.data(...)`"
)
_IMPORT = "from flax import nnx\n\n"


def _elements(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(value, cst.List):
        return [element.value for element in value.elements]
    if isinstance(value, cst.ListComp):
        return [value.elt]
    if isinstance(value, cst.DictComp):
        return [value.value]
    return []


class NnxPlainContainer(Rule):
    """A plain list or dict of built arrays or submodules on an NNX module.

    ## What it does
    Flags, in a class that derives from `nnx.Module` (by any import of
    `flax.nnx`), an assignment `self.name = [...]` (a list display or
    comprehension) one of whose elements is a call, or `self.name = {k: ...
    for ...}` (a dict comprehension) whose value is a call: a submodule or
    an array being built. An empty container filled later, or one of names,
    is not judged; nor are dict displays (`{"a": ...}`), whose values the
    engine may leave out of the parse when no rule reads them.

    ## Why is this bad?
    Since Flax 0.12, NNX treats a plain `list` / `dict` attribute as static
    structure: arrays and modules in it are not state, so `nnx.split`,
    `nnx.state` and `jax.jit` over the module fail or silently drop them.
    AGENTS.md: attributes that hold arrays are wrapped in `nnx.List` /
    `nnx.data`.

    ## Example
    ```python
    class Model(nnx.Module):
        def __init__(self, rngs):
            self.blocks = [ResBlock(rngs=rngs) for _ in range(4)]
    ```

    ## Use instead
    ```python
    class Model(nnx.Module):
        def __init__(self, rngs):
            self.blocks = nnx.List(ResBlock(rngs=rngs) for _ in range(4))
    ```
    """

    code = "GR414"
    name = "nnx-plain-container"
    # `\bModule\b`, the literal first (see GR408's pre-scan).
    prescan = re.compile(r"Module(?<!\wModule)\b")
    syntax_prescan = staticmethod(may_define_nnx_module)
    body_prescan = re.compile(r"\bself\s*\.\s*\w+\s*(?::[^=\n]*)?=\s*[\[{]")
    value_keys = frozenset[str]()
    VALID = (
        Sample(
            _IMPORT + "class M(nnx.Module):\n    def __init__(self, rngs):\n"
            "        self.blocks = nnx.List(Block(rngs=rngs) for _ in range(4))\n"
        ),
        Sample(
            _IMPORT + "class M(nnx.Module):\n    def __init__(self):\n"
            "        self.features = [8, 16]\n        self.cache = []\n"
        ),
        Sample(
            "from flax.nnx import Module as Base\n\nclass M(Base):\n"
            "    def __init__(self):\n        self.features = [8, 16]\n"
        ),
        Sample(
            "class M(torch.nn.Module):\n    def __init__(self):\n"
            "        self.blocks = [Block() for _ in range(4)]\n"
        ),
    )
    INVALID = (
        Sample(
            _IMPORT + "class M(nnx.Module):\n    def __init__(self, rngs):\n"
            "        self.blocks = [Block(rngs=rngs) for _ in range(4)]\n",
            line=5,
            message=_MESSAGE.format("blocks", "list"),
        ),
        Sample(
            "from flax.nnx import Module\n\nclass M(Module):\n"
            "    def __init__(self):\n"
            "        self.tables = {k: jnp.cos(x) for k in 'ab'}\n",
            line=5,
            message=_MESSAGE.format("tables", "dict"),
        ),
        Sample(
            "from flax.nnx import Module as Base\n\nclass M(Base):\n"
            "    def __init__(self):\n"
            "        self.blocks = [Block() for _ in range(2)]\n",
            line=5,
            message=_MESSAGE.format("blocks", "list"),
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Per enclosing class: whether it is an NNX module.
        self._classes: list[bool] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.context.imports.qualify(base.value) for base in node.bases]
        self._classes.append("flax.nnx.Module" in bases)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not (self._classes and self._classes[-1]):
            return
        kind = _CONTAINERS.get(type(node.value))
        if kind is None or not any(
            isinstance(element, cst.Call) for element in _elements(node.value)
        ):
            return
        for target in node.targets:
            attribute = target.target
            if (
                isinstance(attribute, cst.Attribute)
                and isinstance(attribute.value, cst.Name)
                and attribute.value.value == "self"
            ):
                self.report(node, _MESSAGE.format(attribute.attr.value, kind))
