from __future__ import annotations

from guardrails.rules.base import Rule


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
