"""The docs site builds with --strict, and its worked example is a working rule."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import guardrails.rules as registry
from guardrails.rules.base import Rule
from tests.conftest import check_tree

PROJECT = Path(__file__).resolve().parents[1]
WRITING_A_RULE = PROJECT / "docs" / "writing-a-rule.md"


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    for rule in registry.all_rules():
        page = tmp_path / "rules" / rule.code / "index.html"
        assert rule.name in page.read_text(encoding="utf-8")


def _worked_example() -> str:
    """The first Python block of *Writing a rule*: the whole rule file."""
    text = WRITING_A_RULE.read_text(encoding="utf-8")
    found = re.search(r"^```python\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)
    assert found is not None
    return found.group(1)


@pytest.fixture
def worked_example_rule(tmp_path: Path) -> Iterator[type[Rule]]:
    family = tmp_path / "worked_example"
    family.mkdir()
    (family / "__init__.py").write_text("")
    (family / "breakpoint_call.py").write_text(_worked_example())
    registry.__path__.append(str(tmp_path))
    registry.all_rules.cache_clear()
    try:
        rule = registry.rule_by_code("GR499")
        assert rule is not None
        yield rule
    finally:
        registry.__path__.remove(str(tmp_path))
        registry.all_rules.cache_clear()
        for name in [m for m in sys.modules if "worked_example" in m]:
            del sys.modules[name]


def test_the_worked_example_is_a_rule_that_finds_what_it_says(
    worked_example_rule: type[Rule], tmp_path: Path
) -> None:
    code_folder = tmp_path / "code"
    for n, sample in enumerate(
        (*worked_example_rule.INVALID, *worked_example_rule.VALID)
    ):
        target = code_folder / str(n) / sample.path
        target.parent.mkdir(parents=True)
        target.write_text(sample.code, encoding="utf-8")
    findings = check_tree(code_folder, ["GR499"]).findings
    assert [(f.line, f.message) for f in findings] == [
        (s.line, s.message) for s in worked_example_rule.INVALID
    ]
    assert worked_example_rule.documentation().count("## ") == 4
