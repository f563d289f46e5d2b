"""Rule metadata that can be had without importing a single rule.

Importing the rules means importing LibCST, which alone costs about half of what
a cache-warm check needs. So the engine works on
`RuleInfo` records: the code, name, documentation and pre-scan of each rule,
built from the classes once and then kept in the cache beside the results, keyed
by a fingerprint of guardrails' own source. A rule class is imported only when a
file actually has to be parsed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from guardrails import __version__
from guardrails.codes import selected_codes
from guardrails.types import Finding

if TYPE_CHECKING:
    from guardrails.analysis.syntax_prescans import FileSyntax
    from guardrails.config import Config
    from guardrails.rules.base import (
        FactCollector,
        Rule,
        SourceCheck,
        SourceFix,
        SyntaxPrescan,
    )


class RuleDoc(Protocol):
    """What formatters read of a rule; rule classes and `RuleInfo` both fit."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    def summary(self) -> str: ...

    def documentation(self) -> str: ...


def _walks(visitor: type[Any]) -> bool:
    # LibCST's visitor base defines a no-op visit_/leave_ for every node type;
    # a rule walks the tree only if it overrides one of them.
    return any(
        attribute.startswith(("visit_", "leave_"))
        and callable(value := getattr(visitor, attribute))
        and not getattr(value, "_is_no_op", False)
        for attribute in dir(visitor)
    )


def _overrides_check_project(rule: type[Rule]) -> bool:
    from guardrails.rules.base import Rule

    return getattr(rule.check_project, "__func__", None) is not getattr(
        Rule.check_project, "__func__", None
    )


@dataclass(frozen=True)
class Prescan:
    """A pre-scan regex as data, so it survives the JSON catalogue."""

    pattern: str
    flags: int

    @classmethod
    def of(cls, compiled: re.Pattern[str] | None) -> Prescan | None:
        return None if compiled is None else cls(compiled.pattern, compiled.flags)

    def compiled(self) -> re.Pattern[str]:
        return _compile(self.pattern, self.flags)


@cache
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the engine and the formatters see it, class not imported."""

    code: str
    name: str
    module: str
    qualname: str
    doc: str
    # The tree is walked for this rule only if `walks` and the pre-scan matches
    # (no pre-scan: always). Engine-reported codes (GR0) do not walk.
    walks: bool
    prescan: Prescan | None
    # The rule's fact collector, walked when its own pre-scan matches.
    collector: str | None
    collector_prescan: Prescan | None
    # Whether the rule has project-level findings (`check_project`).
    project: bool
    # "module:function" of the second-stage pre-scan, asked of CPython's tree.
    syntax_prescan: str | None = None
    # "module:function" of a check on the text alone and of its safe fix.
    source_check: str | None = None
    source_fix: str | None = None
    # Selected only by name (`select`, `extend-select`), never by default.
    opt_in: bool = False

    @classmethod
    def of(cls, rule: type[Rule]) -> RuleInfo:
        collector: type[FactCollector] | None = rule.collector
        return cls(
            code=rule.code,
            name=rule.name,
            module=rule.__module__,
            qualname=rule.__qualname__,
            doc=rule.documentation(),
            walks=_walks(rule),
            prescan=Prescan.of(rule.prescan),
            collector=collector.name if collector is not None else None,
            collector_prescan=Prescan.of(collector.prescan) if collector else None,
            project=_overrides_check_project(rule),
            syntax_prescan=_function_path(rule.syntax_prescan),
            source_check=_function_path(rule.source_check),
            source_fix=_function_path(rule.source_fix),
            opt_in=rule.opt_in,
        )

    def load(self) -> type[Rule]:
        """The rule class (imports its module, and so LibCST)."""
        value: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            value = getattr(value, part)
        return value  # type: ignore[no-any-return]

    def summary(self) -> str:
        return self.doc.split("\n\n", 1)[0].strip()

    def documentation(self) -> str:
        return self.doc

    def to_json(self) -> dict[str, Any]:
        def scan(prescan: Prescan | None) -> list[Any] | None:
            return None if prescan is None else [prescan.pattern, prescan.flags]

        return {
            "code": self.code,
            "name": self.name,
            "module": self.module,
            "qualname": self.qualname,
            "doc": self.doc,
            "walks": self.walks,
            "prescan": scan(self.prescan),
            "collector": self.collector,
            "collector_prescan": scan(self.collector_prescan),
            "project": self.project,
            "syntax_prescan": self.syntax_prescan,
            "source_check": self.source_check,
            "source_fix": self.source_fix,
            "opt_in": self.opt_in,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleInfo:
        """Raises KeyError, TypeError or ValueError on anything malformed."""

        def text(key: str) -> str:
            value = data[key]
            if not isinstance(value, str):
                raise TypeError(key)
            return value

        def flag(key: str) -> bool:
            value = data[key]
            if not isinstance(value, bool):
                raise TypeError(key)
            return value

        def scan(key: str) -> Prescan | None:
            value = data[key]
            if value is None:
                return None
            pattern, flags = value
            if not isinstance(pattern, str) or not isinstance(flags, int):
                raise TypeError(key)
            return Prescan(pattern, flags)

        def optional_text(key: str) -> str | None:
            value = data[key]
            if value is not None and not isinstance(value, str):
                raise TypeError(key)
            return value

        return cls(
            code=text("code"),
            name=text("name"),
            module=text("module"),
            qualname=text("qualname"),
            doc=text("doc"),
            walks=flag("walks"),
            prescan=scan("prescan"),
            collector=optional_text("collector"),
            collector_prescan=scan("collector_prescan"),
            project=flag("project"),
            syntax_prescan=optional_text("syntax_prescan"),
            source_check=optional_text("source_check"),
            source_fix=optional_text("source_fix"),
            opt_in=flag("opt_in"),
        )


def _function_path(
    function: SyntaxPrescan | SourceCheck | SourceFix | None,
) -> str | None:
    if function is None:
        return None
    return f"{function.__module__}:{function.__qualname__}"


@cache
def _syntax_prescan(path: str) -> SyntaxPrescan:
    module, _, name = path.partition(":")
    function: SyntaxPrescan = getattr(importlib.import_module(module), name)
    return function


@cache
def source_check(path: str) -> SourceCheck:
    module, _, name = path.partition(":")
    function: SourceCheck = getattr(importlib.import_module(module), name)
    return function


@cache
def source_fix(path: str) -> SourceFix:
    module, _, name = path.partition(":")
    function: SourceFix = getattr(importlib.import_module(module), name)
    return function


def info_of(rule: type[Rule] | RuleInfo) -> RuleInfo:
    return rule if isinstance(rule, RuleInfo) else RuleInfo.of(rule)


@cache
def tool_fingerprint() -> str:
    """Changes whenever anything that decides a finding could: guardrails' own
    source (an editable install changes without a version bump), the LibCST
    release and the interpreter's version (its compiler checks skipped files)."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{sys.version_info[:2]}\0".encode())
    package = Path(__file__).resolve().parents[1]
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0")
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.origin is not None:
        version_file = Path(spec.origin).parent / "_version.py"
        try:
            digest.update(version_file.read_bytes())
        except OSError:
            digest.update(b"libcst version unknown")
    return digest.hexdigest()


def build_catalogue() -> tuple[RuleInfo, ...]:
    from guardrails.rules import all_rules

    return tuple(RuleInfo.of(rule) for rule in all_rules())


class RuleSet:
    """The selected rules: metadata at once, each class only when first needed.

    A file loads only the rules its pre-scans let in, so a pre-commit run on one
    file imports no more rule modules than it must.
    """

    def __init__(
        self, rules: Sequence[type[Rule] | RuleInfo], *, use_prescan: bool = True
    ) -> None:
        # Without pre-scans every rule walks every file it applies to: slower,
        # never different (tests/test_prescan.py holds the engine to that).
        self.use_prescan = use_prescan
        self.infos = tuple(info_of(rule) for rule in rules)
        self._loaded: dict[str, type[Rule]] = {
            rule.code: rule for rule in rules if not isinstance(rule, RuleInfo)
        }
        self.codes = frozenset(info.code for info in self.infos)
        self.names = {info.code: info.name for info in self.infos}
        self.has_project_rules = any(info.project for info in self.infos)
        self.source_checks = tuple(
            info for info in self.infos if info.source_check is not None
        )

    def load(self, info: RuleInfo) -> type[Rule]:
        if info.code not in self._loaded:
            self._loaded[info.code] = info.load()
        return self._loaded[info.code]

    def classes(self) -> tuple[type[Rule], ...]:
        return tuple(self.load(info) for info in self.infos)

    def project_rules(self) -> tuple[type[Rule], ...]:
        return tuple(self.load(info) for info in self.infos if info.project)

    def source_findings(
        self, source: str, path: Path, relative: str, shown: str, config: Config
    ) -> list[Finding]:
        """The findings of the rules judged from the text alone (no parse)."""
        found = []
        for info in self.source_checks:
            assert info.source_check is not None
            check = source_check(info.source_check)
            for issue in check(source, path, relative, config):
                found.append(
                    Finding(
                        path=shown,
                        line=issue.line,
                        column=issue.column,
                        code=info.code,
                        message=issue.message,
                        end_line=issue.end_line,
                        end_column=issue.end_column,
                        rule=info.name,
                    )
                )
        return found

    def scan(self, source: str) -> tuple[Candidate, ...]:
        """The rules that walk this source or collect facts from it, by their
        pre-scans, each pattern searched once. Conservative: path scoping is
        only known to the classes, so it is left to the parse step."""
        if not self.use_prescan:
            return tuple(
                Candidate(info, info.walks, info.collector is not None)
                for info in self.infos
                if info.walks or info.collector is not None
            )
        searched: dict[Prescan, bool] = {}

        def matches(prescan: Prescan | None) -> bool:
            if prescan is None:
                return True
            if prescan not in searched:
                searched[prescan] = prescan.compiled().search(source) is not None
            return searched[prescan]

        found = []
        for info in self.infos:
            walks = info.walks and matches(info.prescan)
            collects = info.collector is not None and matches(info.collector_prescan)
            if walks or collects:
                found.append(Candidate(info, walks, collects))
        return tuple(found)

    def refine(
        self,
        candidates: Sequence[Candidate],
        syntax: FileSyntax,
        config: Config,
    ) -> tuple[Candidate, ...]:
        """The candidates whose syntax pre-scans, asked of CPython's tree, still
        say a rule could report something."""
        if not self.use_prescan:
            return tuple(candidates)
        found = []
        for candidate in candidates:
            path = candidate.info.syntax_prescan
            walks = candidate.walks and (
                path is None or _syntax_prescan(path)(syntax.index, config)
            )
            if walks or candidate.collects:
                found.append(Candidate(candidate.info, walks, candidate.collects))
        return tuple(found)


@dataclass(frozen=True)
class Candidate:
    """A rule a file's pre-scans let in: to walk it, to collect its facts, or both."""

    info: RuleInfo
    walks: bool
    collects: bool


def selected_infos(
    catalogue: Sequence[RuleInfo],
    select: Sequence[str],
    ignore: Sequence[str],
    extend: Sequence[str] = (),
) -> tuple[RuleInfo, ...]:
    """`--select`/`--ignore`/`extend-select` applied to the catalogue (see
    `selected_rules`)."""
    chosen = set(
        selected_codes(
            [info.code for info in catalogue],
            select,
            ignore,
            extend=extend,
            opt_in={info.code for info in catalogue if info.opt_in},
        )
    )
    return tuple(info for info in catalogue if info.code in chosen)
