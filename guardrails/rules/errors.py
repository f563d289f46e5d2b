"""GR0: files that cannot be analysed. The engine reports these; they never visit."""

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
