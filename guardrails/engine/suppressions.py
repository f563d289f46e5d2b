"""`# guardrails: ignore[GR101, GR2]` comments, and what is wrong with them.

A suppression is a comment naming the codes (or prefixes) it silences on its
line. Only comments count, not strings that hold the same text, and the spelling
may vary in spaces and case (`#guardrails:ignore[gr101]`). As ruff's RUF100 does
for `# noqa`, suppressions that silence nothing are findings: GR003 for one that
names no code or an unknown one, GR004 for a code that ran and found nothing on
that line. GR004 is judged once every finding is known, project rules' included,
so it is computed from each file's (cacheable) suppressions and the codes they
silenced, never cached itself.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

from guardrails.types import Finding, Suppression

INVALID_SUPPRESSION = "GR003"
UNUSED_SUPPRESSION = "GR004"
NO_CODES = "suppression names no codes; write `# guardrails: ignore[CODE]`"

_MARKER = "guardrails"
_DIRECTIVE = re.compile(
    r"#\s*guardrails\s*:\s*ignore\b(?:\s*\[(?P<codes>[^\]\r\n]*)\])?",
    re.IGNORECASE,
)
_CODE_SEPARATORS = re.compile(r"[\s,]+")
_BRACKET_OR_LINE_END = re.compile(r"[()\[\]{}]|\r\n|\r|\n")
# Code, strings and comments, left to right, so a `#` in a string is no comment.
# Prefixes never change where a string ends (a raw one too ends only at an
# unescaped quote), so they are left out. An unterminated string ends with its
# line (triple-quoted: with the file), so no match ever fails and one pass is
# linear whatever the text. On valid code it finds the comments `tokenize`
# finds (checked on every .py file of the standard library and site-packages),
# some 30 times faster. A backslash escapes a whole CRLF line end: in a CRLF file
# a backslash-continued string goes on, as in an LF one.
CODE_STRING_OR_COMMENT = re.compile(
    r"""[^"'\#]+
    | (?P<string>
        \"\"\" [^"\\]* (?: (?: \\. | "(?!"") ) [^"\\]* )* (?: \"\"\" | \Z )
      | ''' [^'\\]* (?: (?: \\. | '(?!'') ) [^'\\]* )* (?: ''' | \Z )
      | " [^"\\\r\n]* (?: \\(?:\r\n|.) [^"\\\r\n]* )* (?: " | (?=[\r\n]) | \Z )
      | ' [^'\\\r\n]* (?: \\(?:\r\n|.) [^'\\\r\n]* )* (?: ' | (?=[\r\n]) | \Z )
    )
    | (?P<comment> \# [^\r\n]* )""",
    re.DOTALL | re.VERBOSE,
)


def suppressions_of(source: str) -> tuple[Suppression, ...]:
    """Every directive in the source's comments, in order."""
    # The cheap tests first: almost no file mentions guardrails at all.
    if _MARKER not in source.lower() or not _DIRECTIVE.search(source):
        return ()
    found = [
        _suppression(line, column, match)
        for line, column, text in _comments(source)
        for match in _DIRECTIVE.finditer(text)
    ]
    reach = _reach(source)
    return tuple(
        replace(suppression, first_line=reach.get(suppression.line, 0))
        for suppression in found
    )


def _line_ends(text: str) -> int:
    """How many lines end in `text`, as Python counts them."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _reach(source: str) -> dict[int, int]:
    """Line -> the earliest line a bracket or string that ends on it began on,
    for those that began on an earlier line (and as far back as that line
    reaches: `)[` continues what its `)` closes), or that the innermost bracket
    still open at its end began on. A formatter splitting a long line (black
    does) moves its trailing comment to where the bracket closes or into the
    brackets it adds, and a comment cannot go inside a multi-line string: either
    way the comment ends up on this line, and what it silences began above (ruff
    maps `# noqa` at a multi-line string's end the same way)."""
    reach: dict[int, int] = {}
    openers: list[int] = []
    line = 1
    for match in CODE_STRING_OR_COMMENT.finditer(source):
        text = match.group()
        if match.lastgroup is None:
            for bracket in _BRACKET_OR_LINE_END.finditer(text):
                token = bracket.group()
                if token in "([{":
                    openers.append(line)
                elif token in ")]}":
                    if openers and (opened := openers.pop()) < line:
                        # From where the opener's own line reaches, too: `)[`.
                        start = reach.get(opened, opened)
                        reach[line] = min(reach.get(line, start), start)
                else:
                    if openers and openers[-1] < line:
                        # A line inside brackets reaches back to where the
                        # innermost one opened: black, wrapping a too-long
                        # `x = value  # directive` as `x = (\n value  # directive\n)`,
                        # leaves the comment on the value's line inside them.
                        start = reach.get(openers[-1], openers[-1])
                        reach[line] = min(reach.get(line, start), start)
                    line += 1
        elif match.lastgroup == "string":
            ends = _line_ends(text)
            if ends:
                start = reach.get(line, line)
                reach[line + ends] = min(reach.get(line + ends, start), start)
                line += ends
    return reach


def _comments(source: str) -> Iterator[tuple[int, int, str]]:
    """(line, 0-based column, text) of each comment that may hold a directive."""
    line, line_start = 1, 0  # `line` is the number of the line at `line_start`
    for match in CODE_STRING_OR_COMMENT.finditer(source):
        if match.lastgroup != "comment" or not _DIRECTIVE.search(match.group()):
            continue
        start = match.start()
        # Lines as Python counts them: "\r\n", a lone "\r" and "\n" end one each.
        ends = (
            source.count("\n", line_start, start)
            + source.count("\r", line_start, start)
            - source.count("\r\n", line_start, start)
        )
        if ends:
            line += ends
            newline = max(source.rfind("\n", 0, start), source.rfind("\r", 0, start))
            line_start = newline + 1
        yield line, start - line_start, match.group()


def _suppression(line: int, column: int, match: re.Match[str]) -> Suppression:
    listed = match.group("codes") or ""
    codes = tuple(dict.fromkeys(c.upper() for c in _CODE_SEPARATORS.split(listed) if c))
    return Suppression(
        line=line,
        column=column + match.start() + 1,
        end_column=column + match.end() + 1,
        codes=codes,
    )


def codes_by_line(suppressions: Iterable[Suppression]) -> dict[int, tuple[str, ...]]:
    """Line -> the codes suppressions silence on it."""
    found: dict[int, tuple[str, ...]] = {}
    for suppression in suppressions:
        for line in suppression.lines:
            found[line] = found.get(line, ()) + suppression.codes
    return found


def is_suppressed(
    code: str, line: int, suppressions: Mapping[int, Sequence[str]]
) -> bool:
    return any(code.startswith(prefix) for prefix in suppressions.get(line, ()))


def split_suppressed(
    findings: Iterable[Finding], suppressions: Mapping[int, Sequence[str]]
) -> tuple[list[Finding], list[Finding]]:
    """(kept, silenced): the findings no suppression on their line names, and
    the others."""
    kept: list[Finding] = []
    silenced: list[Finding] = []
    for finding in findings:
        if is_suppressed(finding.code, finding.line, suppressions):
            silenced.append(finding)
        else:
            kept.append(finding)
    return kept, silenced


def silenced_codes(findings: Iterable[Finding]) -> dict[int, list[str]]:
    """Line -> codes of the silenced findings on it (what made a suppression used)."""
    found: dict[int, list[str]] = {}
    for finding in findings:
        codes = found.setdefault(finding.line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    return found


def suppression_findings(
    path: str,
    suppressions: Sequence[Suppression],
    silenced: Mapping[int, Collection[str]],
    *,
    known: Collection[str],
    selected: Collection[str],
    names: Mapping[str, str],
    analysed: bool,
) -> list[Finding]:
    """GR003 and GR004 for one file's suppressions, themselves suppressible.

    `silenced`: line -> codes of every finding suppressions silenced there;
    `known`: every rule code; `selected`: the codes that ran; `analysed`: false
    when the file could not be read or parsed, so no rule ran on it. A code is
    judged unused only when every rule it names ran (so a partial `--select`
    never calls it unused), and never when it names GR004 itself.
    """
    by_line = codes_by_line(suppressions)
    used = {line: set(codes) for line, codes in silenced.items()}
    found: list[Finding] = []

    def report(code: str, suppression: Suppression, message: str) -> None:
        if code not in selected:
            return
        if is_suppressed(code, suppression.line, by_line):
            used.setdefault(suppression.line, set()).add(code)
            return
        found.append(
            Finding(
                path=path,
                line=suppression.line,
                column=suppression.column,
                code=code,
                message=message,
                end_line=suppression.line,
                end_column=suppression.end_column,
                rule=names.get(code, code),
            )
        )

    def covered(prefix: str) -> list[str]:
        return [code for code in known if code.startswith(prefix)]

    for suppression in suppressions:
        unknown = [code for code in suppression.codes if not covered(code)]
        if not suppression.codes:
            report(INVALID_SUPPRESSION, suppression, NO_CODES)
        elif unknown:
            one = len(unknown) == 1
            report(
                INVALID_SUPPRESSION,
                suppression,
                f"unknown rule code{'' if one else 's'} {_listed(unknown)} in "
                f"suppression: no rule code starts with {'it' if one else 'them'}",
            )
    if not analysed:
        return found
    for suppression in suppressions:
        unused = [
            prefix
            for prefix in suppression.codes
            if (codes := covered(prefix))
            and all(code in selected for code in codes)
            and not UNUSED_SUPPRESSION.startswith(prefix)
            and not any(
                code.startswith(prefix)
                for line in suppression.lines
                for code in used.get(line, ())
            )
        ]
        if unused:
            report(
                UNUSED_SUPPRESSION,
                suppression,
                f"unused suppression of {_listed(unused)}: "
                "no such finding on this line",
            )
    return found


def _listed(codes: Sequence[str]) -> str:
    return ", ".join(f"`{code}`" for code in codes)
