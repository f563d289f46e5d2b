"""GR0: bad input (files that cannot be analysed, suppressions that cannot be
right). The engine reports these; they never visit."""

from __future__ import annotations

from guardrails.rules.base import Rule, Sample


class SyntaxErrorRule(Rule):
    """A file that cannot be parsed as Python.

    ## What it does
    Reports a file that LibCST cannot parse, at the position of the error.

    ## Why is this bad?
    A file that cannot be parsed cannot be checked, so every guardrail is blind to
    it; jax2onnx's own policy tests treat such a file as a failure too.

    ## Example
    ```python
    def broken(:
        pass
    ```

    ## Use instead
    ```python
    def fixed():
        pass
    ```
    """

    code = "GR001"
    name = "syntax-error"


class UnreadableFileRule(Rule):
    """A file that cannot be read or decoded.

    ## What it does
    Reports a file that cannot be read (permissions, a broken link), holds a NUL
    byte, or is not valid in its declared encoding (UTF-8 unless a PEP 263
    coding cookie or a byte-order mark says otherwise).

    ## Why is this bad?
    Python itself would refuse to import such a file, and no rule can check it.

    ## Example
    A file saved as latin-1 with no `# -*- coding: latin-1 -*-` line.

    ## Use instead
    Save it as UTF-8, or declare its encoding on the first or second line.
    """

    code = "GR002"
    name = "unreadable-file"


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
        Sample("import onnx  # guardrails: ignore\n", line=1),
        Sample("x = 1\nimport onnx  #guardrails:ignore[]\n", line=2),
        Sample("import onnx  # guardrails: ignore[GR999]\n", line=1),
        Sample("import onnx  # Guardrails : Ignore [GR101, XYZ]\n", line=1),
    )


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
        ),
        Sample(
            "import onnx  # guardrails: ignore[GR101, GR102]\n",
            select=("GR1",),
            line=1,
        ),
    )
