"""Every rule's VALID/INVALID samples are its tests (and its documentation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.rules import all_rules
from guardrails.rules.base import Rule, Sample
from tests.conftest import check_tree
from tests.readme_snippets import git

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
        if sample.line is not None:
            assert [f.line for f in findings] == [sample.line], sample.code


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
