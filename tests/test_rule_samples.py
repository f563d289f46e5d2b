"""Every rule's VALID/INVALID samples are its tests (and its documentation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.rules import all_rules
from guardrails.rules.base import Rule, Sample
from tests.conftest import check_tree
from tests.readme_snippets import git, readme_table

CASES = [
    pytest.param(
        rule, sample, valid, id=f"{rule.code}-{'valid' if valid else 'invalid'}-{n}"
    )
    for rule in all_rules()
    for valid, samples in ((True, rule.VALID), (False, rule.INVALID))
    for n, sample in enumerate(samples)
]


@pytest.mark.parametrize(("rule", "sample", "valid"), CASES)
def test_sample(tmp_path: Path, rule: type[Rule], sample: Sample, valid: bool) -> None:
    target = tmp_path / sample.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(sample.code, encoding="utf-8")
    for name, text in sample.files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    if sample.git:
        git("init", "--quiet", cwd=tmp_path)
        git("add", "--all", cwd=tmp_path)
    findings = [
        f
        for f in check_tree(tmp_path, [rule.code, *sample.select]).findings
        if f.code == rule.code
    ]
    if valid:
        assert findings == [], sample.code
    else:
        assert findings, f"{rule.code} missed:\n{sample.code}"
        got = [(f.line, f.message) for f in findings]
        assert got == [(sample.line, sample.message)], sample.code


def test_every_rule_is_documented_and_has_samples() -> None:
    for rule in all_rules():
        doc = rule.documentation()
        for heading in (
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ):
            assert heading in doc, f"{rule.code} lacks {heading}"
        if not rule.code.startswith("GR0"):
            assert rule.VALID and rule.INVALID, rule.code


def test_every_invalid_sample_pins_its_line_and_message() -> None:
    for rule in all_rules():
        for sample in rule.INVALID:
            assert sample.line is not None, f"{rule.code}: {sample.code!r}"
            assert sample.message, f"{rule.code}: {sample.code!r}"


def test_readme_rules_table_is_the_registry() -> None:
    rows = readme_table("rules-table")
    rules = all_rules()
    assert [(code, name) for code, name, _ in rows] == [
        (rule.code, rule.name) for rule in rules
    ]
    for (code, _, forbids), rule in zip(rows, rules, strict=True):
        # The third column is written by hand; opt-in rules say so first.
        assert forbids, code
        assert forbids.startswith("opt-in:") == rule.opt_in, code
