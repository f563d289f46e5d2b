from __future__ import annotations

from guardrails.rules.base import Sample
from guardrails.rules.testcase_metadata._common import (
    EXAMPLE,
    UncoveredFlag,
    covering_allowlist,
)


class UncoveredRunOnlyF32Variant(UncoveredFlag):
    """`run_only_f32_variant` on a testcase that no allowlist entry covers.

    ## What it does
    Finds every jax2onnx testcase (registered through `register_example` or
    `register_primitive`, as a call or a class decorator) that sets
    `"run_only_f32_variant": True`, directly, through `dict(...)` or through a
    module-level dict merged in with `**`, and reports it at the flag unless an
    entry of the allowlist (`guardrails-allowlist.toml`) covers its
    `(context, component, testcase)`. The message names the testcase as
    `context::component::testcase`;
    `guardrails allowlist sync` adds it with reason `baseline`. Names built in
    loops are folded where the loop runs over literals, else globbed
    (`maxtext_*`); a flag no registration accounts for (a testcase defined in
    another module) counts under context and component `*`.

    ## Why is this bad?
    The flag drops the generated float64 variant of the testcase, so double
    precision export is never tested for it. Each use should be a decision with a
    recorded reason, not a copy-pasted line; without the allowlist they pile up
    unreviewed (jax2onnx 0.17.1 sets it on 713 testcases).

    ## Example
    ```python
    register_example(
        component="MlpExample",
        context="examples.eqx",
        testcases=[{"testcase": "mlp_batched", "run_only_f32_variant": True}],
    )
    ```

    ## Use instead
    Drop the flag, or list the testcase with its reason:
    ```toml
    [[allow]]
    flag = "run_only_f32_variant"
    context = "examples.eqx"
    component = "MlpExample"
    testcase = "mlp_batched"
    reason = "ORT has no float64 kernel for this graph"
    ```
    """

    code = "GR301"
    name = "run-only-f32-unlisted"
    flag = "run_only_f32_variant"
    VALID = (
        Sample(EXAMPLE % ""),
        Sample(
            EXAMPLE % '            "run_only_f32_variant": True,\n',
            files=covering_allowlist("run_only_f32_variant"),
        ),
        Sample(EXAMPLE % '            "run_only_f32_variant": False,\n'),
    )
    INVALID = (
        Sample(
            EXAMPLE % '            "run_only_f32_variant": True,\n',
            line=11,
            message=(
                "run_only_f32_variant on examples.eqx::MlpExample::mlp_batched is not "
                "in guardrails-allowlist.toml"
            ),
        ),
        Sample(
            """\
from jax2onnx.plugins.plugin_system import register_primitive

_F32_ONLY = {"run_only_f32_variant": True}


@register_primitive(
    jaxpr_primitive="add",
    context="primitives.lax",
    component="add",
    testcases=[
        {"testcase": "add", "callable": lambda x: x + x},
        {"testcase": "add_f32", "callable": lambda x: x + x, **_F32_ONLY},
    ],
)
class AddPlugin:
    pass
""",
            line=12,
            message=(
                "run_only_f32_variant on primitives.lax::add::add_f32 is not in "
                "guardrails-allowlist.toml"
            ),
        ),
    )
