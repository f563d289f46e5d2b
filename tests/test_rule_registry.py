"""The rule registry refuses what would silently change the rule set."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import guardrails.rules as registry
from guardrails.cli import main
from tests.conftest import run_python

DUPLICATE_RULE = '''
import libcst as cst

from guardrails.rules.base import Rule


class SecondComprehensionRule(Rule):
    """A planted rule that takes an existing rule's code."""

    code = "GR406"
    name = "planted-duplicate"
    summary = "nothing"
'''


@pytest.fixture
def planted_family(tmp_path: Path) -> Iterator[Path]:
    """A rule module the registry's walk finds beside the real families."""
    family = tmp_path / "planted_family"
    family.mkdir()
    (family / "__init__.py").write_text("")
    (family / "duplicate_code.py").write_text(DUPLICATE_RULE)
    registry.__path__.append(str(tmp_path))
    registry.all_rules.cache_clear()
    try:
        yield family
    finally:
        registry.__path__.remove(str(tmp_path))
        registry.all_rules.cache_clear()
        for name in [m for m in sys.modules if "planted_family" in m]:
            del sys.modules[name]


def test_every_code_is_one_rule() -> None:
    codes = [rule.code for rule in registry.all_rules()]
    assert len(codes) == len(set(codes))


def test_loading_every_rule_leaves_libcst_matchers_unimported(tmp_path: Path) -> None:
    # A cold check loads every rule; the matchers module alone costs about a
    # third of LibCST's import.
    probe = (
        "import sys\n"
        "from guardrails.rules import all_rules\n"
        "all_rules()\n"
        "print('libcst.matchers' in sys.modules, 'libcst' in sys.modules)\n"
    )
    result = run_python(probe, tmp_path, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_a_second_rule_with_an_existing_code_is_refused(
    planted_family: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert "two rules have the code GR406" in error
    assert "planted_family.duplicate_code.SecondComprehensionRule" in error
