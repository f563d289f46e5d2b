"""A large generated file costs time linear in its size, with the same findings.

Timing is the benchmark's business (benchmarks/large_file.py); here the work is
counted instead, deterministically: how many characters of long strings go
through string methods while a file of one long line is checked (re-encoding
the line per value made that quadratic), and how many calls the engine's own
steps around LibCST make at two sizes of the same generated file (a scan of
every function per key producer, and a round over every call per helper kept,
made those quadratic).
"""

from __future__ import annotations

import ast
import cProfile
import pstats
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import guardrails
import guardrails.engine.elision as elision
import guardrails.text.columns as columns
from guardrails.analysis.syntax_prescans import SyntaxIndex
from guardrails.config import Config
from guardrails.engine.elision import ValuesNeeded, elide
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules
from guardrails.rules.randomness.prescans import _all_within
from guardrails.rules.testcase_metadata import collector as gr3_collector
from guardrails.text.columns import CharColumns
from guardrails.types import CheckResult

PLUGIN = "jax2onnx/plugins/generated.py"
HEAD = (
    "import jax.numpy as jnp\n"
    "from jax2onnx.plugins.plugin_system import register_primitive\n"
)


def _testcase(number: int) -> str:
    flag = ', "run_only_f32_variant": True' if number % 2 == 0 else ""
    return (
        f'{{"testcase": "add_{number}", "callable": lambda x: jnp.add(x, {number}), '
        f'"doc": "x \u00d7 {number} \u2014 généré \U0001d4c1"{flag}}}'
    )


def one_line_plugin(count: int) -> str:
    """`count` testcases in one registration, all on one line, with characters
    of two, three and four UTF-8 bytes before and between them."""
    cases = ", ".join(_testcase(number) for number in range(count))
    return (
        f'{HEAD}register_primitive(jaxpr_primitive="é", context="primitives.gen", '
        f'component="add", testcases=[{cases}])\n'
    )


def _check(root: Path, *, use_prescan: bool = True) -> CheckResult:
    files = [root / PLUGIN]
    return check_files(
        files, Config(root=root), all_rules(), root, use_prescan=use_prescan
    )


def _write(root: Path, source: str) -> Path:
    (root / PLUGIN).parent.mkdir(parents=True, exist_ok=True)
    (root / PLUGIN).write_text(source, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "line",
    [
        "plain ascii",
        "a é b ф c € d \U0001d4c1 e",
        "éé€€\U0001d4c1",
        "x = 'é' + \"€\"\n",
    ],
)
def test_character_columns_agree_with_utf8_at_every_byte(line: str) -> None:
    encoded = line.encode()
    converter = CharColumns([line])
    for offset in range(len(encoded) + 1):
        try:
            expected: int | None = len(encoded[:offset].decode())
        except UnicodeDecodeError:
            expected = None  # inside a character
        assert converter.column(0, offset) == expected, offset


def _counting(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str, size: Callable[..., int]
) -> list[int]:
    """Wrap `module.name` to add up `size(*arguments)` over its calls."""
    total = [0]
    original = getattr(module, name)

    def counted(*arguments: object) -> object:
        total[0] += size(*arguments)
        return original(*arguments)

    monkeypatch.setattr(module, name, counted)
    return total


def test_values_on_one_long_line_are_placed_and_blanked_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = one_line_plugin(400)
    measured = _counting(monkeypatch, columns, "_measure", len)
    spliced = _counting(monkeypatch, elision, "_splice", lambda line, _: len(line))
    tree = ast.parse(source)
    # What the GR3 collector reads, as the engine asks when only it is active.
    collector = gr3_collector.TestcaseFlagsCollector
    assert collector.value_keys is not None and collector.body_prescan is not None
    values = ValuesNeeded(
        collector.value_keys, collector.value_calls, (collector.body_prescan,)
    )
    calls = SyntaxIndex.of(tree).bare_calls
    elided = elide(source, tree, lambda *_: True, calls, values)

    # Each value no one reads becomes `...` padded to its width, placed here by
    # re-encoding the line per value (the quadratic way this replaced).
    line = source.splitlines(keepends=True)[2]
    expected = line
    unread: list[ast.expr] = [
        keyword.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "jaxpr_primitive"
    ]
    unread += [
        value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and key.value in ("callable", "doc")
    ]
    assert len(unread) == 1 + 2 * 400
    for value in unread:
        assert value.end_col_offset is not None
        start = len(line.encode()[: value.col_offset].decode())
        end = len(line.encode()[: value.end_col_offset].decode())
        expected = expected[:start] + "..." + " " * (end - start - 3) + expected[end:]
    assert elided.splitlines(keepends=True)[2] == expected
    # The long line went through each step once, not once per value.
    assert measured[0] <= len(source)
    assert spliced[0] <= len(source)


def _long_string_work(root: Path) -> tuple[CheckResult, int]:
    """A check of `root`, and the characters of the long strings (the source,
    its long line) whose methods it called (`line.encode()`...), call by call."""
    work = 0

    def count(frame: object, event: str, function: object) -> None:
        nonlocal work
        if event == "c_call":
            owner = getattr(function, "__self__", None)
            if isinstance(owner, str) and len(owner) > 1000:
                work += len(owner)

    sys.setprofile(count)
    try:
        result = _check(root)
    finally:
        sys.setprofile(None)
    return result, work


def test_a_long_generated_line_is_checked_in_linear_work_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = one_line_plugin(300)
    root = _write(tmp_path, source)
    exhaustive = _check(root, use_prescan=False)  # nothing left out of the parse
    spliced = _counting(monkeypatch, elision, "_splice", lambda line, _: len(line))
    result, work = _long_string_work(root)
    assert result.findings == exhaustive.findings
    # The long line goes through string methods a few times per check (split,
    # scanned...), not once or twice per value or flag on it (600 values and
    # 150 flags here: that was some 2500 times); and it is rebuilt once.
    assert work <= 40 * len(source)
    assert spliced[0] <= len(source)
    # One GR301 per flag, each where the flag's key is (1-based characters).
    line = source.splitlines()[2]
    flags = []
    at = line.find('"run_only_f32_variant"')
    while at >= 0:
        flags.append((3, at + 1))
        at = line.find('"run_only_f32_variant"', at + 1)
    assert len(flags) == 150
    found = [(f.line, f.column) for f in result.findings if f.code == "GR301"]
    assert found == flags


def test_many_assignments_on_one_line_are_read_in_linear_work(tmp_path: Path) -> None:
    source = "".join(f"value_{number} = {number}; " for number in range(300)) + "\n"
    result, work = _long_string_work(_write(tmp_path, source))
    assert [finding.code for finding in result.findings].count("GR403") == 300
    # GR403 reads each value's text: from the line, not from the line encoded
    # once per assignment.
    assert work <= 40 * len(source)


def key_functions(count: int) -> str:
    """Many small functions that split and consume keys: GR203 reads them all."""
    functions = "".join(
        f"def sample_{n}(key, x):\n"
        "    k1, k2 = jax.random.split(key)\n"
        f"    return jax.random.normal(k1, (3,)) + jax.random.uniform(k2) * {n}\n\n"
        for n in range(count)
    )
    return f"import jax\n\n{functions}"


def helper_chain(count: int) -> str:
    """Testcases built by a chain of helpers, each called from the one before:
    every helper's body is kept, found one link at a time."""
    helpers = "".join(
        f"def helper_{n}():\n    return helper_{n + 1}() + {n}\n\n"
        for n in range(count)
    )
    return (
        f"{HEAD}\n{helpers}def helper_{count}():\n    return 0\n\n"
        'CASES = [{"testcase": "t", "callable": helper_0(), '
        '"run_only_f32_variant": True}]\n'
        'register_primitive(jaxpr_primitive="p", context="primitives.gen", '
        'component="c", testcases=CASES)\n'
    )


# The engine's own steps around LibCST's parse and walk: the syntax index and
# pre-scans, elision, and placing positions (paths in the guardrails package).
PACKAGE = Path(guardrails.__file__).resolve().parent
STEPS = (
    "analysis/syntax_prescans.py",
    "rules/randomness/prescans.py",
    "rules/upstream_policy/prescans.py",
    "engine/elision.py",
    "text/columns.py",
    "analysis/positions.py",
)


def _calls_in_steps(root: Path) -> int:
    """Function calls made by `STEPS`' code in a whole check of `root`."""
    _check(root)  # rule modules load on first use: not part of the count
    profile = cProfile.Profile()
    profile.enable()
    _check(root)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(
        calls
        for (filename, _, _), (_, calls, *_) in stats.items()
        if Path(filename).is_relative_to(PACKAGE)
        and Path(filename).relative_to(PACKAGE).as_posix() in STEPS
    )


@pytest.mark.parametrize("generate", [key_functions, helper_chain])
def test_four_times_the_file_is_about_four_times_the_calls(
    tmp_path: Path, generate: Callable[[int], str]
) -> None:
    small = _calls_in_steps(_write(tmp_path / "small", generate(60)))
    large = _calls_in_steps(_write(tmp_path / "large", generate(240)))
    # The quadratic steps made this 8-10x on these shapes; linear ones stay
    # under 4x (some of the work does not grow with the file).
    assert large <= 4.6 * small, (small, large)


def test_the_linear_steps_agree_with_their_quadratic_definitions() -> None:
    draw = random.Random(12)
    for _ in range(300):
        # Function spans that nest and overlap; lines inside and outside them.
        spans = [
            (first, first + draw.randrange(8)) for first in draw.sample(range(60), 12)
        ]
        lines = draw.sample(range(70), 3)
        naive = all(any(lo <= line <= hi for lo, hi in spans) for line in lines)
        assert _all_within(lines, spans) == naive

        # Disjoint bodies, named from a few names, and calls from anywhere.
        firsts = sorted(draw.sample(range(0, 200, 10), 8))
        spare = [(first, first + 5, f"f{draw.randrange(6)}", "") for first in firsts]
        calls = [(draw.randrange(210), f"f{draw.randrange(6)}") for _ in range(10)]
        assert elision._not_called(spare, calls) == _fixed_point(spare, calls)


def _fixed_point(
    spare: list[tuple[int, int, str, str]], calls: list[tuple[int, str]]
) -> list[tuple[int, int, str, str]]:
    """What `_not_called` computed before: rounds over every call until no body
    it calls is left out."""
    spare = sorted(spare)
    while True:
        called = {
            name
            for line, name in calls
            if not any(first <= line <= last for first, last, _, _ in spare)
        }
        still = [span for span in spare if span[2] not in called]
        if len(still) == len(spare):
            return spare
        spare = still
