"""Formatters: each turns the same findings into one output format.

A formatter gets the check's result, the rules that ran, and `base`: the folder the
findings' relative paths are relative to (the working directory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from guardrails.engine.catalogue import RuleDoc
from guardrails.report import github, json_format, sarif, text
from guardrails.types import CheckResult

Formatter = Callable[[CheckResult, Sequence[RuleDoc], Path], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}

# `--statistics` replaces the per-finding output with per-rule counts; annotations
# and SARIF results are per finding by nature, so only these two formats have it.
STATISTICS_FORMATTERS: dict[str, Formatter] = {
    "text": text.render_statistics,
    "json": json_format.render_statistics,
}
