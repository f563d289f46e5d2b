"""GR404's logic: a Python file opens with `# <its repository path>` and a blank line.

This mirrors jax2onnx's `scripts/ensure_path_markers.py`: lines as text mode
reads them (`\\n`, `\\r\\n` and `\\r` all end one); the marker is line 1, or
line 2 after a `#!` line; the line after it must be empty; an empty file has no
marker. Its `--fix` rewrite is mirrored too (replace, or insert, the marker;
insert or empty the blank line; write LF line endings and one final newline),
with differences that keep the fix safe: only a comment that looks like an old
path marker is replaced (upstream replaces any `# ` line, a licence header's or a
coding cookie's included), a byte-order mark stays first (upstream's marker lands
before it, which Python then refuses), and a fix is offered only when the file is
UTF-8 and the rewritten file parses to the same program (CPython's syntax tree,
positions aside). The text is judged as Python reads it, after a byte-order mark
(upstream counts the mark as part of line 1). No LibCST here: the engine runs
this on every file, parsed or not.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

from guardrails.config import Config
from guardrails.pathnames import matches_any
from guardrails.types import SourceIssue

# Folders an installed package's files are named from, as their markers show
# (`# jax2onnx/plugins/...` in site-packages).
_PACKAGE_FOLDERS = frozenset({"site-packages", "dist-packages"})
# A comment that names some Python file: a marker left behind by a move.
_OLD_MARKER = re.compile(r"# \S+\.pyi?")
_BOM = "\ufeff"


@dataclass(frozen=True)
class MarkerProblem:
    line: int  # 1-based: where the marker (or the blank line after it) belongs
    message: str


def _lines(text: str) -> list[str]:
    # Upstream reads in text mode: `\r\n` and a lone `\r` end lines, as for Python.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def marker_problem(text: str, marker: str) -> MarkerProblem | None:
    """What is wrong with `text`'s header, as upstream's check (without --fix)
    judges it; None when the marker and the blank line are in place."""
    lines = _lines(text)
    at = 1 if lines[0].startswith("#!") else 0
    where = "after the shebang" if at else "as line 1"
    current = lines[at] if at < len(lines) else None
    if current != marker:
        if current is not None and _OLD_MARKER.fullmatch(current.rstrip()):
            return MarkerProblem(
                at + 1, f"path marker `{current.rstrip()}` should be `{marker}`"
            )
        return MarkerProblem(
            min(at, len(lines) - 1) + 1, f"missing path marker `{marker}` {where}"
        )
    if (lines[at + 1] if at + 1 < len(lines) else None) != "":
        return MarkerProblem(
            at + 1, f"path marker `{marker}` must be followed by a blank line"
        )
    return None


def rewrite(text: str, marker: str) -> str:
    """Upstream's `--fix` rewrite of a file with a marker problem, except that a
    `# ` line is replaced only when it is an old marker (else kept, below)."""
    lines = _lines(text)
    at = 1 if lines[0].startswith("#!") else 0
    current = lines[at] if at < len(lines) else None
    if current != marker:
        if current is None:
            lines.append(marker)
        elif _OLD_MARKER.fullmatch(current.rstrip()):
            lines[at] = marker
        else:
            lines.insert(at, marker)
    after = lines[at + 1] if at + 1 < len(lines) else None
    if after != "":
        if after is not None and not after.strip():
            lines[at + 1] = ""
        else:
            lines.insert(at + 1, "")
    # Upstream then drops blank lines above the marker; with the marker (or a
    # shebang) on line 1 there are none.
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------ which marker


def _is_repository_top(folder: Path) -> bool:
    # `.git` is a folder in a clone, a file in a worktree or submodule.
    return os.path.lexists(folder / ".git")


def marker_root(path: Path, config: Config) -> Path | None:
    """The folder a file's marker is relative to: `path-marker.root` when set;
    else the `site-packages` the file is installed in; else the configuration
    root when the file is under it (as upstream's script, a work tree nested in
    it changes nothing); else the top of the git work tree holding the file.
    None when there is none. All but the last follow from the file's path,
    which the cache's key holds."""
    configured = config.path_marker.root
    if configured is not None:
        root = Path(os.path.normpath(config.root / configured))
        return root if path.is_relative_to(root) else None
    for folder in path.parents:
        if folder.name in _PACKAGE_FOLDERS:
            return folder
    if path.is_relative_to(config.root):
        return config.root
    return next((folder for folder in path.parents if _is_repository_top(folder)), None)


def expected_marker(path: Path, relative: str, config: Config) -> str | None:
    """`# <path from the marker root>`, or None when the file needs none: not
    in `path-marker.include`, in `path-marker.exclude`, under no marker root,
    or a symbolic link or reached through one (upstream's walk never meets
    those, and a link's text names its target)."""
    settings = config.path_marker
    if not matches_any(relative, settings.include) or matches_any(
        relative, settings.exclude
    ):
        return None
    root = marker_root(path, config)
    if root is None:
        return None
    inside = path.relative_to(root)
    try:
        if path.is_symlink() or Path(os.path.realpath(path)) != Path(
            os.path.realpath(root)
        ).joinpath(inside):
            return None
    except (OSError, ValueError):
        return None
    return f"# {inside.as_posix()}"


# ------------------------------------------------------------ engine entry points


def check_path_marker(
    source: str, path: Path, relative: str, config: Config
) -> list[SourceIssue]:
    """GR404 on one file's decoded text (the rule's `source_check`)."""
    marker = expected_marker(path, relative, config)
    if marker is None:
        return []
    problem = marker_problem(source, marker)
    if problem is None:
        return []
    line_text = _lines(source)[problem.line - 1]
    return [
        SourceIssue(
            line=problem.line,
            column=1,
            end_line=problem.line,
            end_column=len(line_text) + 1,
            message=problem.message,
        )
    ]


def fix_path_marker(
    data: bytes, path: Path, relative: str, config: Config
) -> str | None:
    """The file's new text (UTF-8, a byte-order mark kept as `\\ufeff`) with
    its marker fixed, or None when it needs no fix or none is safe (the rule's
    `source_fix`)."""
    marker = expected_marker(path, relative, config)
    if marker is None:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    # The fix is written as UTF-8: a file in another encoding is left alone.
    if encoding not in ("utf-8", "utf-8-sig") or marker_problem(text, marker) is None:
        return None
    fixed = rewrite(text, marker)
    if marker_problem(fixed, marker) is not None:
        return None
    bom = _BOM if encoding == "utf-8-sig" else ""
    if not same_program(data, (bom + fixed).encode("utf-8")):
        return None
    return bom + fixed


def same_program(before: bytes, after: bytes) -> bool:
    """Whether CPython reads both as the same module, positions aside (each
    decoded as the interpreter would: cookie, byte-order mark or UTF-8)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like
            return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
