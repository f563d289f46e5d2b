"""What a command checks: the paths it names, and the source of installed packages
(`--package NAME`), found without importing them."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from guardrails.types import UsageError


def is_dotted_name(name: str) -> bool:
    """`a.b.c`: identifiers joined by dots (a module or attribute path)."""
    return all(part.isidentifier() for part in name.split("."))


def package_sources(name: str) -> list[Path]:
    """Where an installed package's source lives, found without importing it: one
    folder or file, or every folder of a namespace package spread over several.

    Only the top-level name goes through the import system (`find_spec` of a dotted
    name would import its parents, jax2onnx and all); subpackages are looked up
    below it as the import system would: a regular package or a module in the
    first folder that has one, else the namespace portions of every folder.
    """
    if not is_dotted_name(name):
        raise UsageError(f"--package {name!r}: not a dotted module name")
    top, *subpackages = name.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise UsageError(f"package {name!r} is not installed")
    if spec.submodule_search_locations:
        locations = [Path(folder) for folder in spec.submodule_search_locations]
    elif spec.origin is not None and not subpackages:
        return [Path(spec.origin)]
    else:
        raise UsageError(f"package {name!r} has no source files")
    for depth, part in enumerate(subpackages, 1):
        portions = []
        for location in locations:
            if (location / part / "__init__.py").is_file():
                portions = [location / part]
                break
            if (location / f"{part}.py").is_file():
                if depth < len(subpackages):
                    raise UsageError(f"package {name!r} is not installed")
                return [location / f"{part}.py"]
            if (location / part).is_dir():
                portions.append(location / part)
        if not portions:
            raise UsageError(f"package {name!r} is not installed")
        locations = portions
    return locations


def package_source(name: str) -> Path:
    """`package_sources` of a package that lives in one place."""
    sources = package_sources(name)
    if len(sources) != 1:
        raise UsageError(f"package {name!r} is spread over {len(sources)} folders")
    return sources[0]


def target_paths(paths: Sequence[Path], package: str | None) -> list[Path]:
    targets = list(paths)
    if package is not None:
        targets += package_sources(package)
    if not targets:
        targets = [Path(".")]
    for path in targets:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
    return targets


# Where installers put packages: a path through one is an installed copy, not
# the source of the project at hand (a virtual environment inside it included).
INSTALL_FOLDERS = frozenset({"site-packages", "dist-packages"})


def installed_package_folder(path: Path) -> Path | None:
    """The installed package `path` lies in (`…/site-packages/jax2onnx`), or
    None when it lies in no site-packages folder."""
    parts = Path(path).absolute().parts
    for index, part in enumerate(parts[:-1]):
        if part in INSTALL_FOLDERS:
            return Path(*parts[: index + 2])
    return None
