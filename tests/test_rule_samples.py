"""Every rule's VALID/INVALID samples are its tests (and its documentation)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules, selected_rules
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


# Samples that stand alone: not those that need files or a git repository around
# them, nor GR404's, whose verdict is the repository path itself.
OUTSIDE_CASES = [
    case
    for case in CASES
    if not (case.values[1].git or case.values[1].files or case.values[0].source_check)
]


# Path globs as an adopting project writes them, relative to its root.
ROOT_RELATIVE = {
    "ir_only_paths": ("jax2onnx/converter/**", "jax2onnx/plugins/**"),
    "reflection_paths": ("jax2onnx/converter/**",),
}


@pytest.mark.parametrize("globs", ["default", "root-relative"])
@pytest.mark.parametrize(("rule", "sample", "valid"), OUTSIDE_CASES)
def test_sample_outside_the_project(
    tmp_path: Path, rule: type[Rule], sample: Sample, valid: bool, globs: str
) -> None:
    """As `--package` checks an installed package: the file lies outside the
    configuration root, so rules see its absolute path. Same verdict, with the
    default globs and with globs written relative to a project root."""
    project, site = tmp_path / "project", tmp_path / "site-packages"
    project.mkdir()
    target = site / sample.path
    target.parent.mkdir(parents=True)
    target.write_text(sample.code, encoding="utf-8")
    config = Config(root=project)
    if globs == "root-relative":
        config = replace(config, **ROOT_RELATIVE)
    files = collect_files([site], config.root, config.all_excludes)
    assert files == [target]
    selected = selected_rules([rule.code, *sample.select], ())
    findings = [
        (f.line, f.message)
        for f in check_files(files, config, selected, project).findings
        if f.code == rule.code
    ]
    assert findings == ([] if valid else [(sample.line, sample.message)]), sample.code
