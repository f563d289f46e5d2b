"""The gate's output helpers: the command that accepts a change, and repeated
functions that changed alike shown once (the real drift is in test_gate_drift)."""

from __future__ import annotations

import fnmatch
import shlex
from pathlib import Path

from guardrails.gate.grouping import grouped_sections, number_ranges
from guardrails.gate.report import accept_command, text_line
from guardrails.gate.results import TestcaseResult as Result

GELU = ["  ~ node 1: Gelu[approximate=none]  =>  Gelu[approximate=tanh]"]


def test_number_ranges() -> None:
    assert number_ranges([3, 1, 2]) == "1\u20133"
    assert number_ranges([1, 3, 4, 5, 7]) == "1, 3\u20135, 7"
    assert number_ranges([4]) == "4"


def test_alike_numbered_functions_are_grouped_in_place() -> None:
    changes = [
        ("graph vit", ["  op counts changed: Gelu 12→12"]),
        *[(f"function custom.DinoMlp.{n}:DinoMlp", GELU) for n in range(1, 13)],
        ("function custom.Block.3:Block", ["  - node 2: Add"]),
        ("function custom.Block.4:Block", ["  - node 5: Mul"]),
    ]
    assert grouped_sections(changes) == [
        ("graph vit", ["  op counts changed: Gelu 12→12"]),
        ("function custom.DinoMlp.1\u201312:DinoMlp (12 alike)", GELU),
        ("function custom.Block.3:Block", ["  - node 2: Add"]),
        ("function custom.Block.4:Block", ["  - node 5: Mul"]),
    ]


def test_functions_that_changed_differently_stay_apart() -> None:
    other = ["  ~ node 1: Gelu[approximate=none]  =>  Relu"]
    changes = [
        ("function custom.DinoMlp.1:DinoMlp", GELU),
        ("function custom.DinoMlp.2:DinoMlp", other),
        ("function custom.DinoMlp.3:DinoMlp", GELU),
    ]
    assert grouped_sections(changes) == [
        ("function custom.DinoMlp.1, 3:DinoMlp (2 alike)", GELU),
        ("function custom.DinoMlp.2:DinoMlp", other),
    ]


def test_accept_command_selects_exactly_its_testcase() -> None:
    testcase = "ctx[v2]::Comp*::case?"
    words = shlex.split(accept_command(testcase, Path("sub dir/pyproject.toml")))
    assert words[:4] == ["guardrails", "gate", "--update", "--only"]
    assert words[5:] == ["--config", "sub dir/pyproject.toml"]
    pattern = words[4]
    assert fnmatch.fnmatchcase(testcase, pattern)
    assert not fnmatch.fnmatchcase("ctxv::CompX::cases", pattern)


def test_text_line_names_the_next_step_only_where_update_accepts_it() -> None:
    for status in ("drift", "missing-spec"):
        line = text_line(Result(id="a::B::c", status=status, reason="r"))
        assert line.endswith("to accept it: guardrails gate --update --only a::B::c")
    for status in ("match", "parity-failed", "export-failed", "fixed"):
        assert "to accept it" not in text_line(Result(id="a::B::c", status=status))
