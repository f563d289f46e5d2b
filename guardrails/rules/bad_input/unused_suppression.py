from __future__ import annotations

from guardrails.rules.base import Rule, Sample


class UnusedSuppressionRule(Rule):
    """A suppression comment naming a code that reported nothing on its line.

    ## What it does
    Reports a `# guardrails: ignore[...]` comment naming a code (or prefix) whose
    rules all ran and none of which reported anything on the comment's line, as
    ruff's RUF100 does for `# noqa`. Only codes that ran are judged: with
    `--select GR1`, `ignore[GR203]` is left alone. A suppression that names
    GR004 itself silences this report on its line.

    ## Why is this bad?
    A suppression outlives the code it was written for: once the import or the
    key reuse is gone, the comment stays and would silently hide the next,
    unrelated finding on that line.

    ## Example
    ```python
    import onnx_ir as ir  # guardrails: ignore[GR101]
    ```

    ## Use instead
    ```python
    import onnx_ir as ir
    ```
    """

    code = "GR004"
    name = "unused-suppression"
    VALID = (
        Sample("import onnx  # guardrails: ignore[GR101]\n", select=("GR1",)),
        # GR101 did not run: the suppression cannot be judged.
        Sample("import onnx_ir as ir  # guardrails: ignore[GR101]\n"),
        Sample(
            "import onnx_ir as ir  # guardrails: ignore[GR101, GR004]\n",
            select=("GR1",),
        ),
        Sample("import onnx  # guardrails: ignore[GR1]\n", select=("GR101",)),
    )
    INVALID = (
        Sample(
            "import onnx_ir as ir  # guardrails: ignore[GR101]\n",
            select=("GR101",),
            line=1,
            message="unused suppression of `GR101`: no such finding on this line",
        ),
        Sample(
            "import onnx  # guardrails: ignore[GR101, GR102]\n",
            select=("GR1",),
            line=1,
            message="unused suppression of `GR102`: no such finding on this line",
        ),
    )
