from __future__ import annotations

from guardrails.rules.base import Sample
from guardrails.rules.testcase_metadata._common import (
    EXAMPLE,
    UncoveredFlag,
    covering_allowlist,
)


class UncoveredSkipNumericValidation(UncoveredFlag):
    """`skip_numeric_validation` on a testcase that no allowlist entry covers.

    ## What it does
    Like GR301 for `"skip_numeric_validation": True`: reports the flag unless an
    allowlist entry covers the testcase. An entry may cover a whole context by
    leaving out `component` and `testcase` (jax2onnx allows `examples.maxtext`
    that way). This is the check jax2onnx runs in
    `tests/extra_tests/framework/test_do_not_skip_numeric_validation.py`, made
    static so it needs no plugin imports and runs in a pre-commit hook.

    ## Why is this bad?
    With the flag the exported model is never run against JAX: it can compute
    anything and the testcase still passes. Skips are meant for inherently
    stochastic testcases (dropout) or graphs ONNX Runtime cannot execute yet.

    ## Example
    ```python
    register_example(
        component="MlpExample",
        context="examples.eqx",
        testcases=[{"testcase": "mlp_batched", "skip_numeric_validation": True}],
    )
    ```

    ## Use instead
    Validate numerically, or list the testcase with its reason:
    ```toml
    [[allow]]
    flag = "skip_numeric_validation"
    context = "examples.eqx"
    component = "MlpExample"
    testcase = "mlp_batched"
    reason = "dropout in training mode is random"
    ```
    """

    code = "GR303"
    name = "skip-numerics-unlisted"
    flag = "skip_numeric_validation"
    VALID = (
        Sample(EXAMPLE % ""),
        Sample(
            EXAMPLE % '            "skip_numeric_validation": True,\n',
            files=(
                (
                    "guardrails-allowlist.toml",
                    "# ORT cannot run these graphs yet: the whole context.\n"
                    "[[allow]]\n"
                    'flag = "skip_numeric_validation"\n'
                    'context = "examples.eqx"\n'
                    'reason = "ORT cannot execute these graphs yet"\n',
                ),
            ),
        ),
    )
    INVALID = (
        Sample(
            EXAMPLE % '            "skip_numeric_validation": True,\n',
            line=11,
            message=(
                "skip_numeric_validation on examples.eqx::MlpExample::mlp_batched is "
                "not in guardrails-allowlist.toml"
            ),
        ),
        Sample(
            EXAMPLE % '            "skip_numeric_validation": True,\n',
            files=covering_allowlist("run_only_f32_variant"),
            line=11,
            message=(
                "skip_numeric_validation on examples.eqx::MlpExample::mlp_batched is "
                "not in guardrails-allowlist.toml"
            ),
        ),
    )
