"""The GR3 rules' fact collector: every flagged testcase of a file."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from guardrails.allowlist import FlaggedTestcase
from guardrails.analysis.positions import anchored_ranges, positions_of
from guardrails.analysis.syntax_prescans import SyntaxIndex
from guardrails.analysis.testcases import FLAGS, REGISTER_FUNCTIONS, TestcaseScanner
from guardrails.rules.base import FactCollector, FileContext
from guardrails.rules.testcase_metadata import COLLECTOR_NAME, FLAG_PRESCAN


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
