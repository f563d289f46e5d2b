"""Tests and tools read no absolute path of one machine: a fresh clone must pass.

The released jax2onnx source is found from the installed package, as `--package`
finds it; anything else a test needs is built in a temporary folder.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# Roots where one machine's checkouts, downloads and home folders live.
MACHINE_PATH = re.compile(r"^/(?:work|home|root|Users|opt|srv|mnt|data|src)/")
CHECKED = sorted(
    path
    for folder in ("tests", "benchmarks", "scripts", "guardrails")
    for path in (PROJECT / folder).rglob("*.py")
    if "fixtures" not in path.relative_to(PROJECT).parts
)


def machine_paths(source: str) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and MACHINE_PATH.match(node.value)
    ]


def test_the_detector_sees_a_machine_path() -> None:
    machine_path = "/" + "work/src/jax2onnx-0.17.1/jax2onnx"  # not itself a literal
    source = f'RELEASE = Path("{machine_path}")\nURI = "file:///tmp/x"\n'
    assert machine_paths(source) == [(1, machine_path)]


def test_no_absolute_machine_path() -> None:
    found = [
        f"{path.relative_to(PROJECT)}:{line}: {value}"
        for path in CHECKED
        for line, value in machine_paths(path.read_text(encoding="utf-8"))
    ]
    assert CHECKED and found == []
