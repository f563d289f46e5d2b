"""Text that is safe to print: control characters shown, never obeyed.

Messages quote what a checked project holds (a file's first line, a
suppression's codes, a file name, a testcase id), and a project is hostile
input. Printed raw, an escape sequence retitles the terminal, writes the
clipboard (OSC 52) or clears the screen; a newline in a file name starts a line
of its own, which a CI log reads as a workflow command (`::error ...`,
`::stop-commands::`); a bidirectional override reorders what a reviewer sees.
Each such character is shown as its Python escape (`\\x1b`, `\\n`, `\\u202e`).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the line and paragraph separators, the
# bidirectional formatting characters, and the surrogates that stand for the
# bytes of a file name that is not UTF-8 (which no stream could encode).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def printable(text: str) -> str:
    """`text` with every control character replaced by its visible escape."""
    if text.isascii() and text.isprintable():
        return text  # the common case, in C
    return _UNSAFE.sub(_escaped, text)


def printable_lines(text: str) -> str:
    """`printable` of each line, the line ends kept (`\\n` only)."""
    return "\n".join(printable(line) for line in text.split("\n"))
