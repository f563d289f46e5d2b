"""A pre-scan written too literally is caught here, not in a user's check.

Every rule's samples are re-spelled (`tests/prescan_variants.py`) and checked
with and without pre-scans; the findings must be the same. A planted pre-scan
that only knows its author's spelling shows that the comparison catches it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules, rule_by_code
from guardrails.rules.base import Rule, Sample
from guardrails.types import Finding
from tests.prescan_variants import variants

VARIANT_CASES = [
    pytest.param(rule, sample, name, text, id=f"{rule.code}-{n}-{name}")
    for rule in all_rules()
    if not rule.source_check
    for n, sample in enumerate((*rule.INVALID, *rule.VALID))
    if not sample.git
    for name, text in variants(sample.code)
]


def _findings(
    root: Path, rules: tuple[type[Rule], ...], *, use_prescan: bool
) -> set[Finding]:
    config = Config(root=root)
    files = collect_files([root], config.root, config.all_excludes)
    result = check_files(files, config, rules, root, use_prescan=use_prescan)
    return set(result.findings)


def _missed_by_prescans(
    root: Path, sample: Sample, text: str, rules: tuple[type[Rule], ...]
) -> list[Finding]:
    for relative, extra in ((sample.path, text), *sample.files):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(extra, encoding="utf-8")
    scanned = _findings(root, rules, use_prescan=True)
    exhaustive = _findings(root, rules, use_prescan=False)
    assert scanned <= exhaustive, "a pre-scan added a finding"
    return sorted(exhaustive - scanned)


@pytest.mark.parametrize(("rule", "sample", "variant", "text"), VARIANT_CASES)
def test_respelled_samples_find_the_same_with_and_without_prescans(
    tmp_path: Path, rule: type[Rule], sample: Sample, variant: str, text: str
) -> None:
    rules = (rule, *(r for r in all_rules() if r.code in sample.select))
    assert _missed_by_prescans(tmp_path, sample, text, rules) == []


def test_a_planted_literal_prescan_is_caught(tmp_path: Path) -> None:
    """GR201 with a pre-scan that knows only `jax.random.PRNGKey` written solid."""
    real = rule_by_code("GR201")
    assert real is not None
    planted = type(
        "PlantedImportTimeSeeding",
        (real,),
        {"prescan": re.compile(r"jax\.random\.PRNGKey"), "syntax_prescan": None},
    )
    sample = next(s for s in real.INVALID if "jax.random.PRNGKey" in s.code)
    # Its own sample passes the planted pre-scan...
    assert (
        _missed_by_prescans(tmp_path / "as-is", sample, sample.code, (planted,)) == []
    )
    # ...and a re-spelling of it shows what the pre-scan misses.
    missed = [
        finding
        for name, text in variants(sample.code)
        for finding in _missed_by_prescans(tmp_path / name, sample, text, (planted,))
    ]
    assert missed and {f.code for f in missed} == {"GR201"}
