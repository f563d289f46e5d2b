"""GR418: GR401's reflection check over jax2onnx's plugins (opt-in)."""

from __future__ import annotations

from guardrails.rules.base import FileInfo, Sample
from guardrails.rules.upstream_policy._common import in_plugins
from guardrails.rules.upstream_policy.forbidden_reflection import ForbiddenReflection

# The module the reflection guidelines allow to inspect graphs generically.
EXEMPT_MODULE = "_post_check_onnx_graph.py"


class PluginReflection(ForbiddenReflection):
    """Reflection on IR internals in the plugins (opt-in).

    ## What it does
    GR401's check (`getattr` / `hasattr` of a `reflection-attributes` name,
    `isinstance` against a `reflection-types` type) over the files under
    `jax2onnx/plugins/`, but for `_post_check_onnx_graph.py`, the graph
    matcher behind `expect_graph`, which inspects graphs generically by
    design.

    It is opt-in (`extend-select = ["GR418"]`): jax2onnx's
    `scripts/check_forbidden_reflection.py` checks only `converter/`, and on
    jax2onnx's main branch (3901899d) the plugins hold 47 such probes in
    ~25 files (`getattr(node, "inputs", ())` walks of producers, mostly),
    which an adopting repository pays down before turning it on.

    ## Why is this bad?
    jax2onnx's IR reflection guidelines
    (`docs/developer_guide/advanced_topics/ir_reflection_guidelines.md`) make
    `ir.Graph`, `ir.Node` and `ir.Value` the one runtime model in the
    plugins as in the converter: a probe for whichever container an object
    has hides a typing gap and takes the wrong branch silently when
    `onnx_ir` changes.

    ## Example
    ```python
    inputs = list(getattr(node, "inputs", ()))
    ```

    ## Use instead
    ```python
    inputs = list(node.inputs)  # node: ir.Node
    ```
    """

    code = "GR418"
    name = "plugin-reflection"
    opt_in = True
    VALID = (
        Sample(
            "inputs = getattr(node, 'inputs', ())\n", path="jax2onnx/converter/x.py"
        ),
        Sample(
            "inputs = getattr(node, 'inputs', ())\n",
            path="jax2onnx/plugins/_post_check_onnx_graph.py",
        ),
        Sample("name = getattr(node, 'name', None)\n"),
    )
    INVALID = (
        Sample(
            "def producer_inputs(node):\n"
            "    return list(getattr(node, 'inputs', ()))\n",
            line=2,
            message=(
                "reflection on IR internals: `getattr(..., 'inputs')`; use the "
                "typed onnx_ir API"
            ),
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return in_plugins(file) and file.path.name != EXEMPT_MODULE
