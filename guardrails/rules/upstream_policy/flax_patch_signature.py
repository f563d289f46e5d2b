"""GR409: monkey-patches of Flax NNX layers' `__call__` take the keyword
arguments Flax 0.12.8 passes (AGENTS.md, "Flax 0.12.8")."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import Rule, Sample
from guardrails.rules.upstream_policy.prescans import may_patch_layer

# What Flax 0.12.8's `__call__` of each layer takes beyond the input.
CALL_KEYWORDS: dict[str, tuple[str, ...]] = {  # keys: prescans.PATCHED_LAYERS
    "Linear": ("out_sharding",),
    "LinearGeneral": ("out_sharding",),
    "Conv": ("out_sharding",),
    "Einsum": ("einsum_str", "out_sharding"),
}
_LAYER = r"(?:Linear|LinearGeneral|Conv|Einsum)"


def _parameter_names(params: cst.Parameters) -> set[str]:
    return {
        param.name.value
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    }


class FlaxPatchSignature(Rule):
    """A patched Flax NNX layer `__call__` that refuses Flax 0.12.8's keywords.

    ## What it does
    Flags a function whose first parameter is annotated as a Flax NNX
    `Linear`, `LinearGeneral`, `Conv` or `Einsum` (`self: nnx.Einsum`: how
    jax2onnx's plugins type their patches of `__call__`) when it takes neither
    `**kwargs` nor every keyword Flax 0.12.8's `__call__` takes:
    `out_sharding`, and for `Einsum` also `einsum_str`.

    ## Why is this bad?
    Flax 0.12.8 passes `out_sharding` into these layers (and `Einsum` callers
    may pass `einsum_str`). A patch installed while tracing replaces the real
    `__call__`, so a call that passes the keyword fails with `TypeError:
    unexpected keyword argument` during export. AGENTS.md: monkey-patches
    must accept and ignore it (sharding is a placement hint with no ONNX
    equivalent).

    ## Example
    ```python
    def _patched(self: nnx.Einsum, x: Any) -> Any:
        return cls._PRIM.bind(x, self.kernel.value, einsum_str=str(self.einsum_str))
    ```

    ## Use instead
    ```python
    def _patched(
        self: nnx.Einsum, x: Any, einsum_str: str | None = None,
        out_sharding: Any = None,
    ) -> Any:
        del out_sharding  # a placement hint: no ONNX equivalent
        ...
    ```
    """

    code = "GR409"
    name = "flax-patch-signature"
    # `\b{_LAYER}\b`, each word's literal first (see GR408's pre-scan).
    prescan = re.compile(
        r"(?:Linear(?<!\wLinear)(?:General)?|Conv(?<!\wConv)|Einsum(?<!\wEinsum))\b"
    )
    syntax_prescan = staticmethod(may_patch_layer)
    # A patch is defined inside the method that installs it: keep bodies that
    # define a function typed for a layer.
    body_prescan = re.compile(rf"\bself\s*:\s*[\w.\s]*?\b{_LAYER}\b")
    value_keys = frozenset[str]()
    VALID = (
        Sample(
            "def patched(self: nnx.Linear, x, *, out_sharding=None):\n"
            "    del out_sharding\n    return x\n"
        ),
        Sample("def patched(self: nnx.Conv, x, **kwargs):\n    return x\n"),
        Sample(
            "def patched(self: nnx.Einsum, x, einsum_str=None, out_sharding=None):\n"
            "    return x\n"
        ),
        Sample("def patched(self: nnx.Dropout, x):\n    return x\n"),
        Sample("def patched(self, x):\n    return x\n"),
        Sample("def patched(self: torch.nn.Linear, x):\n    return x\n"),
    )
    INVALID = (
        Sample(
            "class EinsumPlugin:\n    @classmethod\n    def binding_specs(cls):\n"
            "        def _make_patch(orig):\n"
            "            def _patched(self: nnx.Einsum, x: Any) -> Any:\n"
            "                return cls._PRIM.bind(x)\n"
            "            return _patched\n        return _make_patch\n",
            line=5,
            message=(
                "patch of `nnx.Einsum.__call__` without `einsum_str`, "
                "`out_sharding` (Flax 0.12.8 passes them): accept and ignore them"
            ),
        ),
        Sample(
            "def patched(self: flax.nnx.LinearGeneral, x, *, dtype=None):\n"
            "    return x\n",
            line=1,
            message=(
                "patch of `nnx.LinearGeneral.__call__` without `out_sharding` "
                "(Flax 0.12.8 passes them): accept and ignore them"
            ),
        ),
        Sample(
            "from flax.nnx import Conv\n\ndef patched(self: Conv, x):\n    return x\n",
            line=3,
            message=(
                "patch of `nnx.Conv.__call__` without `out_sharding` "
                "(Flax 0.12.8 passes them): accept and ignore them"
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        first = (*params.posonly_params, *params.params)[:1]
        if not first or first[0].annotation is None:
            return
        dotted = self.context.imports.qualify_or_local(first[0].annotation.annotation)
        if dotted is None or "nnx" not in dotted.split("."):
            return
        layer = dotted.rsplit(".", 1)[-1]
        if layer not in CALL_KEYWORDS:
            return
        if isinstance(params.star_kwarg, cst.Param):
            return
        missing = [k for k in CALL_KEYWORDS[layer] if k not in _parameter_names(params)]
        if missing:
            names = ", ".join(f"`{k}`" for k in missing)
            # At its name: the body may be left out of the parse, which moves
            # the end of the whole definition.
            self.report(
                node.name,
                f"patch of `nnx.{layer}.__call__` without {names} "
                "(Flax 0.12.8 passes them): accept and ignore them",
            )
