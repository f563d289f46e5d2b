"""Where `gate --update` may write a spec: below the specs folder, through no link.

A spec's path is built from the testcase's context, component and name, which
the gated code chooses (`../../x` is a name like any other), and the specs
folder may hold links a pull request committed. A spec is read and written only
at a path inside the configuration's folder and the specs folder, with no
symbolic link anywhere below the configuration's folder, and only when what is
there is a regular file or nothing.
"""

from __future__ import annotations

from pathlib import Path

from guardrails import atomic


class UnsafeSpecPath(Exception):
    """A spec path the gate refuses to read or write."""


def _parts_below(folder: Path, path: Path, what: str) -> tuple[str, ...]:
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        raise UnsafeSpecPath(f"{path} is outside {what}") from None
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafeSpecPath(f"{path} leaves {what}")
    return parts


def checked_spec_path(path: Path, specs: Path, root: Path) -> Path:
    """`path`, when it is safe to read and replace; else `UnsafeSpecPath`."""
    specs_parts = _parts_below(root, specs, "the configuration's folder")
    spec_parts = _parts_below(specs, path, "the specs folder")
    current = root
    for part in (*specs_parts, *spec_parts):
        current = current / part
        if current.is_symlink():
            raise UnsafeSpecPath(f"{current} is a symbolic link")
    if path.exists() and not path.is_file():
        raise UnsafeSpecPath(f"{path} is not a regular file")
    return path


def write_spec(path: Path, specs: Path, root: Path, text: str) -> None:
    """Write a spec atomically; raises `UnsafeSpecPath` or `OSError`."""
    checked_spec_path(path, specs, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_atomically(path, text, follow_links=False)
