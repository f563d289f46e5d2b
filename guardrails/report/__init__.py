"""Formatters: each turns the same findings into one output format."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from guardrails.engine.runner import CheckResult
from guardrails.report import github, json_format, sarif, text
from guardrails.rules.base import Rule

Formatter = Callable[[CheckResult, Sequence[type[Rule]]], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}
