"""What a rule is: a LibCST visitor with a code, documentation and its own samples.

Rules are batched: the engine parses a file once and walks it once with every
selected rule. A rule reports nodes; positions are worked out by the engine only
when something was reported.

Rules that judge the whole project (the allowlist's stale entries, say) record JSON
facts per file through a `FactCollector` and turn them into findings in
`check_project`, so per-file results can be cached and still combine correctly.
"""

from __future__ import annotations

import ast
import inspect
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.pathnames import matches_any
from guardrails.types import JSON, FileRef

if TYPE_CHECKING:
    from guardrails.analysis.syntax_prescans import FileSyntax, SyntaxIndex
    from guardrails.config import Config
    from guardrails.types import Finding, SourceIssue

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# `body_prescan`s for rules that read no function body (it matches nothing) and
# for those that may read every one (it matches anything: no body is left out).
NO_BODIES = re.compile(r"(?!)")
ALL_BODIES = re.compile(r"")


class SyntaxPrescan(Protocol):
    """A second-stage pre-scan (see `analysis.syntax_prescans`): whether a rule
    could report anything in a file, asked of CPython's syntax tree."""

    __module__: str
    __qualname__: str

    def __call__(self, index: SyntaxIndex, config: Config, /) -> bool: ...


class SourceCheck(Protocol):
    """A rule judged from a file's decoded text alone, without a parse: a
    module-level function of a module that does not import LibCST."""

    __module__: str
    __qualname__: str

    def __call__(
        self, source: str, path: Path, relative: str, config: Config, /
    ) -> Sequence[SourceIssue]: ...


class SourceFix(Protocol):
    """A `SourceCheck`'s safe fix: the file's new text from its bytes, or None
    when there is nothing to fix or no safe fix (`guardrails check --fix`)."""

    __module__: str
    __qualname__: str

    def __call__(
        self, data: bytes, path: Path, relative: str, config: Config, /
    ) -> str | None: ...


@dataclass(frozen=True)
class Sample:
    """A code sample: `path` decides path-scoped rules (IR-only paths). An
    INVALID sample gives one finding: on `line`, saying `message` (both are
    required of INVALID samples; tests/test_rule_samples.py checks them)."""

    code: str
    path: str = "jax2onnx/plugins/sample.py"
    line: int | None = None
    message: str | None = None
    # Extra files written beside the sample: (relative path, text) pairs.
    files: tuple[tuple[str, str], ...] = ()
    # Codes selected beside the rule's own when the sample runs as a test.
    select: tuple[str, ...] = ()
    # Run in a git repository holding every file of the sample (GR405).
    git: bool = False


@lru_cache(maxsize=64)
def _anywhere(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p if p.startswith(("**/", "/")) else f"**/{p}" for p in patterns)


@dataclass(frozen=True)
class FileInfo(FileRef):
    """Where a file is and what applies to it, known before it is read or parsed."""

    config: Config

    def matches(self, patterns: Sequence[str]) -> bool:
        """Whether a configured path glob names this file: the one way every rule
        scopes itself. The absolute path is asked too, so that `**/jax2onnx/plugins/**`
        finds the installed package checked with `--package`, from anywhere; and a
        file outside the project (an installed package's) has no root to anchor a
        relative glob, so `jax2onnx/plugins/**` may start at any of its folders."""
        absolute = self.path.as_posix()
        if matches_any(self.relative_path, patterns) or matches_any(absolute, patterns):
            return True
        outside = self.relative_path == absolute
        return outside and matches_any(absolute, _anywhere(tuple(patterns)))

    @property
    def in_ir_only_paths(self) -> bool:
        return self.matches(self.config.ir_only_paths)


@dataclass
class FileContext:
    """What a rule knows of the file it is walking."""

    file: FileInfo
    source: str
    module: cst.Module
    imports: ImportMap
    # CPython's tree of the source, when it parsed; LibCST's `module` may have
    # left function bodies out (`engine.elision`), this never does.
    syntax: FileSyntax | None = None
    # What the rules reported: LibCST nodes, or CPython's of `syntax.tree`.
    reports: list[tuple[str, cst.CSTNode | ast.AST, str]] = field(default_factory=list)
    facts: dict[str, list[JSON]] = field(default_factory=dict)


class Reads:
    """What a rule or fact collector reads of a file, beyond what its visitors
    see: the engine leaves the rest out of LibCST's parse (`engine.elision`).

    By default a function body or a dict value is read when `prescan` matches
    its text or it names what an import of something `prescan` matches binds
    (`from importlib import import_module as load` marks a body that says
    `load`); without a `prescan`, none is. A rule whose findings in a body show
    in neither says which bodies it reads in `body_prescan` or `needs_body`:
    tests/test_prescan_variants.py moves every sample into a function and
    compares the findings with and without pre-scans and elision, so a wrong
    default fails a test, never a check.
    """

    # A file is walked only if this matches its source; None: always.
    # It must be conservative: a file that can hold a finding always matches.
    prescan: ClassVar[re.Pattern[str] | None] = None
    # The function bodies the walker may need: those whose text this matches
    # (or that `needs_body` asks for); None: the default above. `NO_BODIES`,
    # `ALL_BODIES` say none, every one.
    body_prescan: ClassVar[re.Pattern[str] | None] = None
    # The dict keys whose values the walker reads, in dict displays and in
    # keyword arguments of calls to `value_calls`, beside the values its
    # `body_marks` match; others are parsed as `...` when no active walker
    # reads them. None: every value.
    value_keys: ClassVar[frozenset[str] | None] = frozenset()
    value_calls: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def body_marks(cls, syntax: FileSyntax) -> tuple[re.Pattern[str], ...]:
        """The patterns that mark, in this file, a body or dict value the walker
        may read: `body_prescan`, or the default above."""
        if cls.body_prescan is not None:
            return (cls.body_prescan,)
        if cls.prescan is None:
            return (NO_BODIES,)
        per_file = _marks.setdefault(syntax, {})
        if cls not in per_file:
            per_file[cls] = (cls.prescan, *_imported_as(cls.prescan, syntax))
        return per_file[cls]

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        """Whether the walker may need this function's body (a module-level
        function or a method; `body` is its text): by default, whether one of
        `body_marks` matches it."""
        return any(mark.search(body) for mark in cls.body_marks(syntax))


# Each file's `Reads.body_marks` of each walker, while its syntax tree lives.
_marks: weakref.WeakKeyDictionary[
    FileSyntax, dict[type[Reads], tuple[re.Pattern[str], ...]]
] = weakref.WeakKeyDictionary()


def _imported_as(prescan: re.Pattern[str], syntax: FileSyntax) -> list[re.Pattern[str]]:
    """A pattern of the local names the file's imports bind to something
    `prescan` matches (`load` for `from importlib import import_module as
    load`), if any."""
    names = sorted(
        local
        for local, imported in syntax.index.imports.bindings.items()
        if prescan.search(imported)
    )
    if not names:
        return []
    return [re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")]


class FactCollector(Reads, cst.BatchableCSTVisitor):
    """Records JSON facts about one file for project-level rules."""

    name: ClassVar[str]

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context

    def record(self, fact: JSON) -> None:
        self.context.facts.setdefault(self.name, []).append(fact)


@dataclass(frozen=True)
class ProjectContext:
    """What a project-level rule sees: the config and every checked file's facts."""

    config: Config
    # display path -> collector name -> facts
    facts: Mapping[str, Mapping[str, Sequence[JSON]]]
    checked_files: Sequence[Path]
    # What the check was asked for (files and folders; empty: the config root)
    # and the folder paths are shown relative to.
    targets: Sequence[Path] = ()
    cwd: Path | None = None
    # One-line notes for stderr: what a rule could not judge, and why.
    notes: list[str] = field(default_factory=list)
    # Files beyond the Python ones that a rule judged (GR405's models in git's
    # index), so the summary can count them.
    index_files: list[Path] = field(default_factory=list)


class Rule(Reads, cst.BatchableCSTVisitor):
    """One guardrail. Subclasses set the class attributes and visit nodes.

    The docstring is the rule's documentation, in four sections: What it does,
    Why is this bad?, Example, Use instead (`guardrails rule CODE` prints it).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    # `prescan`, `body_prescan`, `value_keys`, `value_calls`: see `Reads`.
    # Asked when the pre-scan matched: a module-level function of a module that
    # does not import LibCST (the family's `prescans`), just as conservative.
    syntax_prescan: ClassVar[SyntaxPrescan | None] = None
    # Project-level rules name the collector whose facts they read.
    collector: ClassVar[type[FactCollector] | None] = None
    # Rules judged from the text alone name their check (and its safe fix).
    source_check: ClassVar[SourceCheck | None] = None
    source_fix: ClassVar[SourceFix | None] = None
    # Run only when `select` or `extend-select` names the rule, not by default.
    opt_in: ClassVar[bool] = False
    VALID: ClassVar[Sequence[Sample]] = ()
    INVALID: ClassVar[Sequence[Sample]] = ()

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        """Path scoping: whether the rule looks at this file at all."""
        return True

    def report(self, node: cst.CSTNode | ast.AST, message: str) -> None:
        """A finding at `node`: LibCST's, or CPython's (a rule decided on
        `context.syntax`), placed where LibCST would place the same node."""
        self.context.reports.append((self.code, node, message))

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        """Findings that need every file's facts; empty for per-file rules."""
        return ()

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.documentation().split("\n\n", 1)[0].strip()


class AttributeUseRule(Rule):
    """A rule that judges attribute chains as uses, where the module names of
    import statements (`import onnx.helper`) are not: `in_import` says when the
    walk is inside one."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._import_depth = 0

    @property
    def in_import(self) -> bool:
        return self._import_depth > 0

    def visit_Import(self, node: cst.Import) -> None:
        self._import_depth += 1

    def leave_Import(self, original_node: cst.Import) -> None:
        self._import_depth -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._import_depth -= 1
