from __future__ import annotations

from guardrails.rules.base import Rule


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
