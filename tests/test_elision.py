"""Function bodies left out of LibCST's parse: lines stay put, needed bodies stay,
and positions placed from CPython's tree equal the engine's own."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from guardrails.analysis.positions import anchored_ranges, positions_of
from guardrails.analysis.syntax_prescans import SyntaxIndex
from guardrails.analysis.testcases import TestcaseScanner as Scanner
from guardrails.engine.elision import ValuesNeeded, elide
from guardrails.rules.testcase_metadata import FLAG_PRESCAN
from guardrails.rules.testcase_metadata.collector import _flag_anchors
from guardrails.targets import package_source

SOURCE = textwrap.dedent("""\
    import jax

    def helper(x):
        y = x + 1
        return y

    def lazy():
        import onnx
        return onnx

    def used():
        return {"testcase": "t", "run_only_f32_variant": True}

    class Plugin:
        def lower(self, ctx):
            a = 1
            b = 2
            return a + b

        def one_line(self): return 1

    cases = [used(), helper(1)]
    """)


def _elide(source: str) -> str:
    tree = ast.parse(source)
    index = SyntaxIndex.of(tree)
    return elide(source, tree, lambda _, body: "run_only" in body, index.bare_calls)


def test_bodies_no_rule_needs_become_ellipses_on_the_same_lines() -> None:
    elided = _elide(SOURCE)
    before, after = SOURCE.splitlines(), elided.splitlines()
    assert len(before) == len(after)
    cst.parse_module(elided)  # still Python
    changed = [
        n + 1 for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b
    ]
    # Only `Plugin.lower`: `helper` is called by name, `lazy` imports, `used`
    # holds a flag, `one_line` has its body on the `def` line.
    assert changed == [16, 17, 18]
    # One string as many lines long: a single token where blank lines would
    # each be a node.
    assert after[15:18] == ['        """', "", '"""']


def test_a_one_line_body_becomes_an_ellipsis() -> None:
    source = "class P:\n    def f(self):\n        return 1\n"
    tree = ast.parse(source)
    elided = elide(source, tree, lambda _, body: False, [])
    assert elided == "class P:\n    def f(self):\n        ...\n"


def test_nothing_changes_when_line_breaks_are_ambiguous() -> None:
    source = SOURCE.replace("a = 1", "a = 1\x0c")
    assert _elide(source) is source


def _flagged_files() -> list[Path]:
    root = package_source("jax2onnx")
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if FLAG_PRESCAN.search(path.read_text(encoding="utf-8"))
    ][:60]


@pytest.mark.parametrize("path", _flagged_files(), ids=lambda path: path.name)
def test_flag_positions_from_cpython_equal_the_engines(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    module = cst.parse_module(source)
    scanner = Scanner()
    cst.MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([scanner])
    anchors = _flag_anchors(scanner, SyntaxIndex.of(ast.parse(source)))
    assert anchors is not None
    assert anchors  # the file spells a flag, so something is placed
    placed = anchored_ranges(source, anchors)
    assert placed is not None
    positions = positions_of(module)
    assert {node: positions[node] for node in anchors} == placed


def test_a_node_not_where_cpython_says_is_declined() -> None:
    source = 'x = {"run_only_f32_variant": True}\n'
    module = cst.parse_module(source)
    scanner = Scanner()
    cst.MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([scanner])
    (element,) = scanner.flag_keys
    assert anchored_ranges(source, {element: (1, 5)}) is not None
    assert anchored_ranges(source, {element: (1, 6)}) is None
    assert anchored_ranges(source.replace("\n", "\r\n"), {element: (1, 5)}) is None


def test_calls_count_only_from_code_that_stays() -> None:
    source = textwrap.dedent("""\
        def leaf():
            return 1

        def only_from_dropped():
            return 2

        def kept_helper():
            return leaf()

        class Plugin:
            def lower(self):
                return only_from_dropped()

        X = kept_helper()
        """)
    elided = _elide(source)
    # `kept_helper` is called at module level, so its body stays, and with it
    # the call to `leaf`; `only_from_dropped` is called from a dropped body only.
    assert "return leaf()" in elided
    assert "return 1" in elided
    assert "return 2" not in elided
    assert "return only_from_dropped()" not in elided


VALUES = ValuesNeeded(
    keys=frozenset({"testcase", "run_only_f32_variant"}),
    calls=frozenset({"register_example"}),
    keep=(re.compile("run_only_f32_variant"),),
)


def _elide_values(source: str) -> str:
    tree = ast.parse(source)
    index = SyntaxIndex.of(tree)
    return elide(source, tree, lambda _, body: True, index.bare_calls, VALUES)


def test_values_no_rule_reads_become_ellipses_in_place() -> None:
    source = textwrap.dedent("""\
        register_example(
            component="Mlp", since="0.1",
            testcases=[
                {
                    "testcase": "mlp",
                    "callable": lambda x: x + 1, "input_shapes": [(3,), (
                        4,
                    )],
                    "run_only_f32_variant": True,
                    "post": [cases.append(1)],
                    "extra": {"run_only_f32_variant": True},
                },
            ],
        )
        """)
    elided = _elide_values(source)
    before, after = source.splitlines(), elided.splitlines()
    assert len(before) == len(after)
    cst.parse_module(elided)
    assert after[1] == "    component=...  , since=...  ,"
    assert after[2] == source.splitlines()[2]  # `testcases` is read
    assert after[4] == before[4]  # "testcase"
    assert after[5] == '            "callable": ...            , "input_shapes": ...'
    assert after[6] == ""
    assert after[7] == "              ,"
    # Read, binding, or holding a flag: kept.
    assert after[8:11] == before[8:11]


@pytest.mark.parametrize(
    "reader",
    ['x = CASE["input_shapes"]', "x = CASE[key]", "x = list(CASE.values())"],
)
def test_no_value_goes_when_the_code_could_read_one(reader: str) -> None:
    source = f'CASE = {{"testcase": "a", "input_shapes": [(3,)]}}\n{reader}\n'
    assert _elide_values(source) == source


def test_numbers_and_slices_read_no_dict_value() -> None:
    source = 'CASE = {"testcase": "a", "input_shapes": [(3,)]}\nx = [1][0:1]\n'
    assert '"input_shapes": ...' in _elide_values(source)
