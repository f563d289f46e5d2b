"""Identifiers as Python binds them: NFKC-normalised (PEP 3131).

`import \uff4fnnx` (a fullwidth o) imports `onnx`, and `\uff4aax.random.PRNGKey(0)`
calls `jax.random.PRNGKey`: the parser normalises every identifier, so the rules
must compare the normalised names too, or a fullwidth letter walks past every
one of them. The source's identifiers (never its strings or comments, which
Python leaves as they are) are replaced by their NFKC form before pre-scans and
parsing; a pure-ASCII source, nearly all of them, is returned as is.
"""

from __future__ import annotations

import re
import unicodedata

from guardrails.engine.suppressions import CODE_STRING_OR_COMMENT

# A run of anything but whitespace and ASCII punctuation (`_` aside): in the
# code between strings and comments, the identifiers, numbers and keywords.
_WORD = re.compile(r"[^\s!-/:-@\[-^`{-~]+")


def _normalised(match: re.Match[str]) -> str:
    word = match.group()
    # Only what Python reads as an identifier is normalised: a character it
    # refuses stays, and so does the syntax error it makes.
    if word.isascii() or not f"_{word}".isidentifier():
        return word
    return unicodedata.normalize("NFKC", word)


def normalised_identifiers(source: str) -> str:
    if source.isascii():
        return source
    parts = []
    for match in CODE_STRING_OR_COMMENT.finditer(source):
        text = match.group()
        if match.lastgroup is None and not text.isascii():
            text = _WORD.sub(_normalised, text)
        parts.append(text)
    return "".join(parts)
