"""GR3: testcase metadata. `run_only_f32_variant` and `skip_numeric_validation` hide
coverage, so each use must be listed, with a reason, in the allowlist."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import libcst as cst
from libcst.metadata import CodeRange

from guardrails.allowlist import (
    CheckedFile,
    FlaggedTestcase,
    allowlist_name,
    load_allowlist,
    stale_entries,
)
from guardrails.analysis.syntax_prescans import SyntaxIndex
from guardrails.analysis.testcases import FLAGS, REGISTER_FUNCTIONS, TestcaseScanner
from guardrails.analysis.upstream_skip_lists import FLAG as UPSTREAM_FLAG
from guardrails.analysis.upstream_skip_lists import SkipLists, covering, skip_lists
from guardrails.engine.paths import display_path
from guardrails.engine.positions import anchored_ranges, positions_of
from guardrails.rules.base import (
    FactCollector,
    FileContext,
    ProjectContext,
    Rule,
    Sample,
)
from guardrails.types import Finding

COLLECTOR_NAME = "testcase-flags"
# Every flag is spelled out somewhere in the file that sets it (a literal key, a
# keyword argument or a module-level dict merged in), so files without either
# name cannot hold one and are not parsed.
FLAG_PRESCAN = re.compile(r"run_only_f32_variant|skip_numeric_validation")


class TestcaseFlagsCollector(FactCollector):
    """Records each flagged testcase of a file as a `FlaggedTestcase` fact."""

    name = COLLECTOR_NAME
    prescan = FLAG_PRESCAN
    # Flags and registrations inside a method are spelled out there.
    body_prescan = re.compile(FLAG_PRESCAN.pattern + "|" + "|".join(REGISTER_FUNCTIONS))
    # What the testcase evaluator reads of registrations and testcase dicts.
    value_keys = frozenset({"testcase", "testcases", "context", "component", *FLAGS})
    value_calls = frozenset({"dict", *REGISTER_FUNCTIONS})

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.scanner = TestcaseScanner()

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        # The scanner's visits ride along the engine's one walk of the file.
        return {**self.scanner.get_visitors(), "leave_Module": self._record_flags}

    def _record_flags(self, module: cst.CSTNode) -> None:
        # An empty list still says "analysed, no flags", which GR302 relies on.
        self.context.facts.setdefault(self.name, [])
        flagged = [
            (testcase, flag, where)
            for testcase in self.scanner.testcases()
            for flag, where in testcase.flags.items()
        ]
        if not flagged:
            return
        spans = self._spans([where for _, _, where in flagged])
        for testcase, flag, where in flagged:
            span = spans[where]
            self.record(
                FlaggedTestcase(
                    flag=flag,
                    context=testcase.context,
                    component=testcase.component,
                    testcase=testcase.testcase,
                    line=span.start.line,
                    column=span.start.column + 1,
                    end_line=span.end.line,
                    end_column=span.end.column + 1,
                ).to_json()
            )

    def _spans(self, nodes: Sequence[cst.CSTNode]) -> Mapping[cst.CSTNode, CodeRange]:
        """Where the flags are: placed from CPython's tree when it can be done
        (each is a literal key or keyword), else by the engine's positions, which
        generate the module's whole code (shared with its report pass)."""
        syntax = self.context.syntax
        if syntax is not None:
            anchors = _flag_anchors(self.scanner, syntax.index)
            if anchors is not None and all(node in anchors for node in nodes):
                placed = anchored_ranges(
                    self.context.source, {node: anchors[node] for node in nodes}
                )
                if placed is not None:
                    return placed
        return positions_of(self.context.module)


def _flag_anchors(
    scanner: TestcaseScanner, index: SyntaxIndex
) -> dict[cst.CSTNode, tuple[int, int]] | None:
    """Each flag key and keyword the scanner met, paired with where CPython's
    tree has the same one: the n-th of each kind in source order, in both."""
    keys = sorted(
        (key.lineno, key.col_offset)
        for node in index.dicts
        for key in node.keys
        if isinstance(key, ast.Constant) and key.value in FLAGS
    )
    keywords = sorted(
        (keyword.lineno, keyword.col_offset)
        for keyword in index.keywords
        if keyword.arg in FLAGS
    )
    flag_keywords = [
        arg
        for arg in scanner.keywords
        if arg.keyword is not None and arg.keyword.value in FLAGS
    ]
    if len(keys) != len(scanner.flag_keys) or len(keywords) != len(flag_keywords):
        return None
    anchors: dict[cst.CSTNode, tuple[int, int]] = dict(
        zip(scanner.flag_keys, keys, strict=True)
    )
    anchors.update(zip(flag_keywords, keywords, strict=True))
    return anchors


def _flagged_by_file(project: ProjectContext) -> Iterator[tuple[str, FlaggedTestcase]]:
    for shown, facts in project.facts.items():
        for fact in facts.get(COLLECTOR_NAME, ()):
            yield shown, FlaggedTestcase.from_json(fact)


class _UncoveredFlag(Rule):
    flag: ClassVar[str]
    prescan = FLAG_PRESCAN
    collector = TestcaseFlagsCollector

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        # Read even when nothing is flagged: a broken allowlist is always an error.
        allowlist = load_allowlist(
            project.config.allowlist_path, required=project.config.allowlist_required
        )
        # jax2onnx's own skip lists count until `allowlist sync` imports them.
        upstream = SkipLists()
        if cls.flag == UPSTREAM_FLAG:
            upstream = skip_lists(project.config)
            if upstream.note is not None:
                project.notes.append(upstream.note)
        for shown, flagged in _flagged_by_file(project):
            if flagged.flag != cls.flag:
                continue
            if allowlist.covers(flagged) or covering(upstream.entries, flagged):
                continue
            yield Finding(
                path=shown,
                line=flagged.line,
                column=flagged.column,
                code=cls.code,
                # The identity names the entry; `allowlist sync` writes it.
                message=(
                    f"{cls.flag} on {flagged.identity} is not in "
                    f"{project.config.allowlist_path.name}"
                ),
                end_line=flagged.end_line,
                end_column=flagged.end_column,
                rule=cls.name,
            )


_EXAMPLE = """\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="MlpExample",
    context="examples.eqx",
    testcases=[
        {
            "testcase": "mlp_batched",
            "callable": lambda x: x,
            "input_shapes": [("B", 30)],
%s        },
    ],
)
"""


def _covering_allowlist(flag: str) -> tuple[tuple[str, str], ...]:
    return (
        (
            "guardrails-allowlist.toml",
            "[[allow]]\n"
            f'flag = "{flag}"\n'
            'context = "examples.eqx"\n'
            'component = "MlpExample"\n'
            'testcase = "mlp_*"\n'
            'file = "jax2onnx/plugins/sample.py"\n'
            'reason = "ORT has no float64 kernel for this graph"\n',
        ),
    )


class UncoveredRunOnlyF32Variant(_UncoveredFlag):
    """`run_only_f32_variant` on a testcase that no allowlist entry covers.

    ## What it does
    Finds every jax2onnx testcase (registered through `register_example` or
    `register_primitive`, as a call or a class decorator) that sets
    `"run_only_f32_variant": True`, directly, through `dict(...)` or through a
    module-level dict merged in with `**`, and reports it at the flag unless an
    entry of the allowlist (`guardrails-allowlist.toml`) covers its
    `(context, component, testcase)`. The message names the testcase as
    `context::component::testcase`;
    `guardrails allowlist sync` adds it with reason `baseline`. Names built in
    loops are folded where the loop runs over literals, else globbed
    (`maxtext_*`); a flag no registration accounts for (a testcase defined in
    another module) counts under context and component `*`.

    ## Why is this bad?
    The flag drops the generated float64 variant of the testcase, so double
    precision export is never tested for it. Each use should be a decision with a
    recorded reason, not a copy-pasted line; without the allowlist they pile up
    unreviewed (jax2onnx 0.17.1 sets it on 713 testcases).

    ## Example
    ```python
    register_example(
        component="MlpExample",
        context="examples.eqx",
        testcases=[{"testcase": "mlp_batched", "run_only_f32_variant": True}],
    )
    ```

    ## Use instead
    Drop the flag, or list the testcase with its reason:
    ```toml
    [[allow]]
    flag = "run_only_f32_variant"
    context = "examples.eqx"
    component = "MlpExample"
    testcase = "mlp_batched"
    reason = "ORT has no float64 kernel for this graph"
    ```
    """

    code = "GR301"
    name = "run-only-f32-unlisted"
    flag = "run_only_f32_variant"
    VALID = (
        Sample(_EXAMPLE % ""),
        Sample(
            _EXAMPLE % '            "run_only_f32_variant": True,\n',
            files=_covering_allowlist("run_only_f32_variant"),
        ),
        Sample(_EXAMPLE % '            "run_only_f32_variant": False,\n'),
    )
    INVALID = (
        Sample(_EXAMPLE % '            "run_only_f32_variant": True,\n', line=11),
        Sample(
            """\
from jax2onnx.plugins.plugin_system import register_primitive

_F32_ONLY = {"run_only_f32_variant": True}


@register_primitive(
    jaxpr_primitive="add",
    context="primitives.lax",
    component="add",
    testcases=[
        {"testcase": "add", "callable": lambda x: x + x},
        {"testcase": "add_f32", "callable": lambda x: x + x, **_F32_ONLY},
    ],
)
class AddPlugin:
    pass
""",
            line=12,
        ),
    )


class UncoveredSkipNumericValidation(_UncoveredFlag):
    """`skip_numeric_validation` on a testcase that no allowlist entry covers.

    ## What it does
    Like GR301 for `"skip_numeric_validation": True`: reports the flag unless an
    allowlist entry covers the testcase. An entry may cover a whole context by
    leaving out `component` and `testcase` (jax2onnx allows `examples.maxtext`
    that way). This is the check jax2onnx runs in
    `tests/extra_tests/framework/test_do_not_skip_numeric_validation.py`, made
    static so it needs no plugin imports and runs in a pre-commit hook.

    ## Why is this bad?
    With the flag the exported model is never run against JAX: it can compute
    anything and the testcase still passes. Skips are meant for inherently
    stochastic testcases (dropout) or graphs ONNX Runtime cannot execute yet.

    ## Example
    ```python
    register_example(
        component="MlpExample",
        context="examples.eqx",
        testcases=[{"testcase": "mlp_batched", "skip_numeric_validation": True}],
    )
    ```

    ## Use instead
    Validate numerically, or list the testcase with its reason:
    ```toml
    [[allow]]
    flag = "skip_numeric_validation"
    context = "examples.eqx"
    component = "MlpExample"
    testcase = "mlp_batched"
    reason = "dropout in training mode is random"
    ```
    """

    code = "GR303"
    name = "skip-numerics-unlisted"
    flag = "skip_numeric_validation"
    VALID = (
        Sample(_EXAMPLE % ""),
        Sample(
            _EXAMPLE % '            "skip_numeric_validation": True,\n',
            files=(
                (
                    "guardrails-allowlist.toml",
                    "# ORT cannot run these graphs yet: the whole context.\n"
                    "[[allow]]\n"
                    'flag = "skip_numeric_validation"\n'
                    'context = "examples.eqx"\n'
                    'reason = "ORT cannot execute these graphs yet"\n',
                ),
            ),
        ),
    )
    INVALID = (
        Sample(_EXAMPLE % '            "skip_numeric_validation": True,\n', line=11),
        Sample(
            _EXAMPLE % '            "skip_numeric_validation": True,\n',
            files=_covering_allowlist("run_only_f32_variant"),
            line=11,
        ),
    )


class StaleAllowlistEntry(Rule):
    """An allowlist entry that covers no flagged testcase.

    ## What it does
    Reports, at its `[[allow]]` line in the allowlist file, an entry that matches
    no testcase setting its flag. Only entries for modules that were part of the
    check are judged: an entry's `file` (written by `guardrails allowlist sync`)
    must have been checked or no longer exist; an entry without `file` is judged
    when a checked file flags a testcase of its context and component. So a
    pre-commit run on a few changed files never reports the rest of the
    allowlist.

    ## Why is this bad?
    A stale entry silently allows the flag back: when someone re-adds
    `run_only_f32_variant` to that testcase later, nothing asks why. The
    allowlist should list exactly the exceptions that exist.

    ## Example
    ```toml
    [[allow]]  # the testcase no longer sets the flag
    flag = "run_only_f32_variant"
    context = "primitives.lax"
    component = "add"
    testcase = "add_const"
    file = "jax2onnx/plugins/jax/lax/add.py"
    reason = "baseline"
    ```

    ## Use instead
    Delete the entry, or let `guardrails allowlist sync --prune` delete every
    stale entry among the checked files.
    """

    code = "GR302"
    name = "stale-allowlist-entry"
    # Staleness is judged per project; a file is only parsed for its flags.
    prescan = FLAG_PRESCAN
    collector = TestcaseFlagsCollector
    VALID = (
        Sample(_EXAMPLE % ""),
        Sample(
            _EXAMPLE % '            "run_only_f32_variant": True,\n',
            files=_covering_allowlist("run_only_f32_variant"),
        ),
    )
    INVALID = (
        Sample(
            _EXAMPLE % "",
            files=(
                (
                    "guardrails-allowlist.toml",
                    "# mlp_batched used to skip float64\n"
                    "\n"
                    "[[allow]]\n"
                    'flag = "run_only_f32_variant"\n'
                    'context = "examples.eqx"\n'
                    'component = "MlpExample"\n'
                    'testcase = "mlp_batched"\n'
                    'file = "jax2onnx/plugins/sample.py"\n'
                    'reason = "baseline"\n',
                ),
            ),
            line=3,
        ),
    )

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        config = project.config
        allowlist = load_allowlist(
            config.allowlist_path, required=config.allowlist_required
        )
        if not allowlist.entries:
            return
        shown_paths = _display_paths(project)
        checked = []
        for path in project.checked_files:
            facts = project.facts.get(shown_paths[path], {}).get(COLLECTOR_NAME)
            name, anchor = allowlist_name(path, config.root)
            checked.append(
                CheckedFile(
                    relative_path=name,
                    anchor=anchor,
                    flagged=tuple(
                        FlaggedTestcase.from_json(fact) for fact in facts or ()
                    ),
                    analysed=facts is not None or not _may_flag(path),
                )
            )
        shown_allowlist = display_path(config.allowlist_path, _display_base(project))
        lines = allowlist.text.splitlines()
        for entry in stale_entries(allowlist, checked, config.root):
            yield Finding(
                path=shown_allowlist,
                line=entry.line,
                column=1,
                code=cls.code,
                message=(
                    f"stale allowlist entry: {entry.describe()} covers no flagged "
                    "testcase; delete it (guardrails allowlist sync --prune)"
                ),
                end_line=entry.line,
                end_column=len(lines[entry.line - 1]) + 1,
                rule=cls.name,
            )


def _display_paths(project: ProjectContext) -> dict[Path, str]:
    """Each checked file's display path: the engine keys facts by it, one per
    file, in the order of `checked_files`."""
    if len(project.facts) == len(project.checked_files):
        return dict(zip(project.checked_files, project.facts, strict=True))
    return {path: display_path(path, Path.cwd()) for path in project.checked_files}


def _display_base(project: ProjectContext) -> Path:
    """The folder display paths are relative to, so the allowlist is shown the
    way the checked files are."""
    for path, shown in _display_paths(project).items():
        if not Path(shown).is_absolute() and path.as_posix().endswith("/" + shown):
            return Path(path.as_posix()[: -len(shown) - 1] or "/")
    return Path.cwd()


def _may_flag(path: Path) -> bool:
    """Whether a file without facts could still set a flag: it mentions one but
    could not be analysed (unreadable, or a syntax error reported as GR001)."""
    try:
        return FLAG_PRESCAN.search(path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return True
