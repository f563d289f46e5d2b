from __future__ import annotations

from guardrails.rules.base import Rule, Sample


class InvalidSuppressionRule(Rule):
    """A suppression comment that names no rule code, or one no rule has.

    ## What it does
    Reports a `# guardrails: ignore` comment without codes (or with empty
    brackets), and one naming a code or prefix that no rule code starts with,
    such as `GR999` or `XYZ`.

    ## Why is this bad?
    A bare `ignore` silences nothing, since a suppression must say what it is
    for, and an unknown code is usually a typo: either way the finding the
    comment was meant for is still reported, or was never there.

    ## Example
    ```python
    import onnx  # guardrails: ignore
    import onnx.helper  # guardrails: ignore[GR1O4]
    ```

    ## Use instead
    ```python
    import onnx  # guardrails: ignore[GR101]
    import onnx.helper  # guardrails: ignore[GR101]
    ```
    """

    code = "GR003"
    name = "invalid-suppression"
    VALID = (
        Sample("import onnx  # guardrails: ignore[GR101]\n"),
        Sample("import onnx  # guardrails: ignore[gr1, GR104]\n"),
        Sample('note = "# guardrails: ignore"  # a string, not a comment\n'),
        Sample("x = 1  # guardrails ignore[XYZ]: not a suppression (no colon)\n"),
    )
    INVALID = (
        Sample(
            "import onnx  # guardrails: ignore\n",
            line=1,
            message="suppression names no codes; write `# guardrails: ignore[CODE]`",
        ),
        Sample(
            "x = 1\nimport onnx  #guardrails:ignore[]\n",
            line=2,
            message="suppression names no codes; write `# guardrails: ignore[CODE]`",
        ),
        Sample(
            "import onnx  # guardrails: ignore[GR999]\n",
            line=1,
            message=(
                "unknown rule code `GR999` in suppression: no rule code starts with it"
            ),
        ),
        Sample(
            "import onnx  # Guardrails : Ignore [GR101, XYZ]\n",
            line=1,
            message=(
                "unknown rule code `XYZ` in suppression: no rule code starts with it"
            ),
        ),
    )
