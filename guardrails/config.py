"""`[tool.guardrails]` from the nearest pyproject.toml: defaults, validation, errors.

Every key is declared once in `_KEYS`; an unknown key or a wrong type is a one-line
`UsageError` naming it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.bounded import RefusedFile, read_regular
from guardrails.codes import refuse_unknown_codes
from guardrails.pathnames import glob_problem
from guardrails.targets import is_dotted_name
from guardrails.types import UsageError

DEFAULT_IR_ONLY_PATHS = ("**/jax2onnx/converter/**", "**/jax2onnx/plugins/**")
DEFAULT_EXCLUDE = (
    "**/.git",
    "**/.hg",
    "**/.venv",
    "**/venv",
    "**/.tox",
    "**/.nox",
    "**/build",
    "**/dist",
    "**/__pycache__",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "**/.pytest_cache",
    "**/.guardrails_cache",
    "**/*.egg-info",
    "**/node_modules",
)
# Parameter names that GR203 treats as PRNG keys (fnmatch patterns).
DEFAULT_KEY_NAMES = ("key", "rng", "rng_key", "prng_key", "*_key", "subkey", "k[0-9]*")
DEFAULT_ALLOWLIST = "guardrails-allowlist.toml"
# GR401, as jax2onnx's scripts/check_forbidden_reflection.py: where reflection on
# IR internals is banned, the attributes it may not probe, the types it may not test.
DEFAULT_REFLECTION_PATHS = ("**/jax2onnx/converter/**",)
DEFAULT_REFLECTION_ATTRIBUTES = (
    "node",
    "_nodes",
    "nodes",
    "input",
    "inputs",
    "output",
    "outputs",
    "initializer",
    "initializers",
)
DEFAULT_REFLECTION_TYPES = ("ir.Graph", "Graph", "onnx_ir.Graph")
# GR406: what JAX 0.11 removed from `jax.core` (AGENTS.md, "JAX 0.11 specifics"),
# and the module that resolves it on both supported JAX stacks.
DEFAULT_JAX_COMPAT_APIS = (
    "jax.core.concrete_or_error",
    "jax.core.new_jaxpr_eqn",
    "jax.core.Literal",
    "jax.core.ClosedJaxpr",
    "jax.core.JaxprEqn",
    "jax.core.AbstractToken",
    "jax.core.InconclusiveDimensionOperation",
)
DEFAULT_COMPAT_MODULE = "jax2onnx._compat.jax"
# GR404, as jax2onnx's scripts/ensure_path_markers.py: the files that open with
# their path, and what that script never touches (generated tests, scratch, venvs).
DEFAULT_PATH_MARKER_INCLUDE = ("**/*.py",)
DEFAULT_PATH_MARKER_EXCLUDE = (
    "tests/examples/**",
    "tests/primitives/**",
    "tmp/**",
    "**/python-venv/**",
    "**/debugvenv/**",
)
# GR405: ONNX models, which AGENTS.md says must never be committed.
DEFAULT_ARTIFACT_PATTERNS = ("**/*.onnx", "**/*.onnx.data")
# GR303 honours jax2onnx's own skip lists in this module until they are imported.
DEFAULT_UPSTREAM_SKIP_LISTS = (
    "tests/extra_tests/framework/test_do_not_skip_numeric_validation.py"
)


@dataclass(frozen=True)
class GateConfig:
    examples: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    specs: str = "guardrails-specs"
    known_failures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PathMarkerConfig:
    """GR404: which files carry a path marker, and the folder it is relative to
    (None: site-packages, the configuration root, or a git work tree's top)."""

    root: str | None = None
    include: tuple[str, ...] = DEFAULT_PATH_MARKER_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_PATH_MARKER_EXCLUDE


@dataclass(frozen=True)
class Config:
    """Resolved settings; `root` is where relative globs and paths are anchored."""

    root: Path
    source: Path | None = None
    # The dotted key holding the settings in `source`; "" when they are top-level.
    section: str = "tool.guardrails"
    ir_only_paths: tuple[str, ...] = DEFAULT_IR_ONLY_PATHS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    # Added to `select` (or to the default rules): how opt-in rules are enabled.
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    key_names: tuple[str, ...] = DEFAULT_KEY_NAMES
    # None: the default file, which may be absent (nothing allowed yet); a
    # configured allowlist must exist, so a typo cannot silently allow nothing.
    allowlist: str | None = None
    reflection_paths: tuple[str, ...] = DEFAULT_REFLECTION_PATHS
    reflection_attributes: tuple[str, ...] = DEFAULT_REFLECTION_ATTRIBUTES
    reflection_types: tuple[str, ...] = DEFAULT_REFLECTION_TYPES
    jax_compat_apis: tuple[str, ...] = DEFAULT_JAX_COMPAT_APIS
    compat_module: str = DEFAULT_COMPAT_MODULE
    gate: GateConfig = field(default_factory=GateConfig)
    path_marker: PathMarkerConfig = field(default_factory=PathMarkerConfig)
    artifact_patterns: tuple[str, ...] = DEFAULT_ARTIFACT_PATTERNS
    # Relative to `root`; "": none.
    upstream_skip_lists: str = DEFAULT_UPSTREAM_SKIP_LISTS

    @property
    def allowlist_path(self) -> Path:
        return self.root / (self.allowlist or DEFAULT_ALLOWLIST)

    @property
    def allowlist_required(self) -> bool:
        return self.allowlist is not None

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    @property
    def excludes_configured(self) -> bool:
        """Whether the configuration changed what is excluded."""
        return self.exclude != DEFAULT_EXCLUDE or bool(self.extend_exclude)

    def key_location(self, key: str) -> str:
        """Where `key` is set, as errors name it:
        `pyproject.toml: tool.guardrails.select`."""
        dotted = _key(self.section, key)
        return f"{_shown(self.source)}: {dotted}" if self.source else dotted

    def refuse_unknown_codes(self, known: Sequence[str]) -> None:
        """A configured code or prefix that names no rule in `known` is an error
        naming the file and the key (the rules are not known when reading it)."""
        for key, codes in (
            ("select", self.select),
            ("extend-select", self.extend_select),
            ("ignore", self.ignore),
        ):
            try:
                refuse_unknown_codes(known, codes)
            except UsageError as error:
                raise UsageError(f"{self.key_location(key)}: {error}") from None


def _string_list(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of strings")
    return tuple(value)


def _glob_list(where: str, value: Any, *, paths: bool = True) -> tuple[str, ...]:
    globs = _string_list(where, value)
    for glob in globs:
        problem = glob_problem(glob, paths=paths)
        if problem is not None:
            raise UsageError(f"{where}: {problem}")
    return globs


def _pattern_list(where: str, value: Any) -> tuple[str, ...]:
    return _glob_list(where, value, paths=False)


def _code_list(where: str, value: Any) -> tuple[str, ...]:
    codes = _string_list(where, value)
    if not all(code.strip() for code in codes):
        # An empty code would be a prefix of every code: select everything.
        raise UsageError(f"{where}: empty rule code")
    return codes


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{where} must be a string")
    return value


def _file_name(where: str, value: Any) -> str:
    name = _string(where, value)
    if not name.strip() or "\0" in name:
        raise UsageError(f"{where}: {name!r} is not a file name")
    return name


def _dotted_names(where: str, value: Any) -> tuple[str, ...]:
    names = _string_list(where, value)
    for name in names:
        if not is_dotted_name(name):
            raise UsageError(f"{where}: {name!r} is not a dotted name")
    return names


def _dotted_name(where: str, value: Any) -> str:
    return _dotted_names(where, [_string(where, value)])[0]


def _string_table(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str) for v in value.values()
    ):
        raise UsageError(f"{where} must be a table of strings")
    return dict(value)


_KEYS = {
    "ir-only-paths": ("ir_only_paths", _glob_list),
    "exclude": ("exclude", _glob_list),
    "extend-exclude": ("extend_exclude", _glob_list),
    "select": ("select", _code_list),
    "extend-select": ("extend_select", _code_list),
    "ignore": ("ignore", _code_list),
    "key-names": ("key_names", _pattern_list),
    "allowlist": ("allowlist", _file_name),
    "reflection-paths": ("reflection_paths", _glob_list),
    "reflection-attributes": ("reflection_attributes", _string_list),
    "reflection-types": ("reflection_types", _dotted_names),
    "jax-compat-apis": ("jax_compat_apis", _dotted_names),
    "compat-module": ("compat_module", _dotted_name),
    "artifact-patterns": ("artifact_patterns", _glob_list),
    "upstream-skip-lists": ("upstream_skip_lists", _string),
}
_GATE_KEYS = {
    "examples": ("examples", _string_list),
    "modules": ("modules", _string_list),
    "specs": ("specs", _string),
    "known-failures": ("known_failures", _string_table),
}
_PATH_MARKER_KEYS = {
    "root": ("root", _string),
    "include": ("include", _glob_list),
    "exclude": ("exclude", _glob_list),
}
_TABLES = ("gate", "path-marker")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = read_regular(path)
    except OSError as error:
        raise UsageError(f"{_shown(path)}: cannot read: {error.strerror}") from None
    except RefusedFile as error:
        raise UsageError(f"{_shown(path)}: cannot read: {error}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{_shown(path)}: invalid TOML: {error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{_shown(path)}: invalid TOML: not UTF-8") from None
    except RecursionError:  # tomllib recurses per level of nesting
        raise UsageError(f"{_shown(path)}: invalid TOML: nested too deeply") from None


def _section(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    section = tool.get("guardrails")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise UsageError(f"{_shown(path)}: tool.guardrails must be a table")
    return section


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _parse_table(
    where: str,
    table: Mapping[str, Any],
    keys: Mapping[str, Any],
    tables: Sequence[str] = (),
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            known = ", ".join(sorted([*keys, *tables]))
            raise UsageError(f"unknown key {_key(where, key)!r} (known: {known})")
        attribute, convert = keys[key]
        values[attribute] = convert(_key(where, key), value)
    return values


def config_from_table(
    root: Path,
    source: Path | None,
    table: Mapping[str, Any],
    where: str = "tool.guardrails",
) -> Config:
    """A `Config` from the keys of `table`; `where` names it in error messages."""
    table = dict(table)
    subtables = {}
    for name in _TABLES:
        subtables[name] = table.pop(name, {})
        if not isinstance(subtables[name], dict):
            raise UsageError(f"{_key(where, name)} must be a table")
    values = _parse_table(where, table, _KEYS, tables=_TABLES)
    gate = GateConfig(
        **_parse_table(_key(where, "gate"), subtables["gate"], _GATE_KEYS)
    )
    path_marker = PathMarkerConfig(
        **_parse_table(
            _key(where, "path-marker"), subtables["path-marker"], _PATH_MARKER_KEYS
        )
    )
    return Config(
        root=root,
        source=source,
        section=where,
        gate=gate,
        path_marker=path_marker,
        **values,
    )


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _config_from_file(
    root: Path, source: Path, table: Mapping[str, Any], where: str
) -> Config:
    try:
        return config_from_table(root, source, table, where)
    except UsageError as error:
        # Name the file too: the key alone does not say which file to fix.
        raise UsageError(f"{_shown(source)}: {error}") from None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """Read `--config FILE`, else the nearest pyproject.toml with `[tool.guardrails]`.

    Without any, the defaults apply, anchored at the nearest pyproject.toml's folder
    (a jax2onnx checkout) or else the working directory.
    """
    if explicit is not None:
        if explicit.is_dir():
            raise UsageError(f"--config {explicit}: is a directory, not a file")
        data = _read_toml(explicit)
        # A pyproject.toml carries the section under [tool.guardrails]; a dedicated
        # file (guardrails.toml) holds the keys at top level.
        section = _section(data, explicit)
        if section is not None or explicit.name == "pyproject.toml":
            table, where = section or {}, "tool.guardrails"
        else:
            table, where = data, ""
        return _config_from_file(explicit.resolve().parent, explicit, table, where)

    here = (start or Path.cwd()).resolve()
    nearest_project: Path | None = None
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        nearest_project = nearest_project or folder
        section = _section(_read_toml(candidate), candidate)
        if section is not None:
            return _config_from_file(folder, candidate, section, "tool.guardrails")
    return Config(root=nearest_project or here)
