"""SARIF 2.1.0 for GitHub code scanning: rule metadata plus one result per finding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from guardrails import __version__
from guardrails.engine.runner import CheckResult
from guardrails.rules.base import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/enpasos/jax2onnx"


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.documentation()},
        "help": {"text": rule.documentation(), "markdown": rule.documentation()},
        "defaultConfiguration": {"level": "error"},
    }


def render(result: CheckResult, rules: Sequence[type[Rule]]) -> str:
    reported = {f.code for f in result.findings}
    listed = list(rules) + [
        rule for rule in _all_rules() if rule.code in reported and rule not in rules
    ]
    index = {rule.code: position for position, rule in enumerate(listed)}
    results = []
    for f in result.findings:
        entry: dict[str, Any] = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
        }
        if f.code in index:
            entry["ruleIndex"] = index[f.code]
        results.append(entry)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "guardrails",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule) for rule in listed],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _all_rules() -> Sequence[type[Rule]]:
    from guardrails.rules import all_rules

    return all_rules()
