"""SARIF 2.1.0 for GitHub code scanning: rule metadata plus one result per finding.

Relative paths become relative URIs against `%SRCROOT%`, which the run maps to the
working directory; paths outside it become absolute `file://` URIs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from guardrails import __version__
from guardrails.engine.catalogue import RuleDoc
from guardrails.types import CheckResult, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/enpasos/jax2onnx"
SOURCE_ROOT = "%SRCROOT%"


def _folder_uri(folder: Path) -> str:
    uri = folder.absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _artifact_location(path: str) -> dict[str, str]:
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    # Relative display paths are posix already; percent-encode what a URI forbids.
    # A name that is not UTF-8: its own bytes, percent-encoded.
    uri = quote(PurePosixPath(path).as_posix(), errors="surrogateescape")
    return {"uri": uri, "uriBaseId": SOURCE_ROOT}


def _what_it_does(documentation: str) -> str | None:
    _, found, rest = documentation.partition("## What it does")
    return rest.split("\n## ", 1)[0].strip() if found else None


def _rule_descriptor(rule: RuleDoc) -> dict[str, Any]:
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": _what_it_does(documentation) or rule.summary()},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": "error"},
    }


def _result(finding: Finding, rule_index: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(finding.path),
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.end_line,
                        "endColumn": finding.end_column,
                    },
                }
            }
        ],
    }
    if rule_index is not None:
        entry["ruleIndex"] = rule_index
    return entry


def render(result: CheckResult, rules: Sequence[RuleDoc], base: Path) -> str:
    """`rules`: the rules that ran, which include every code a finding can carry
    (the bad-input codes GR0 are always selected unless ignored, and an ignored
    code's findings are dropped); a finding of any other code has no `ruleIndex`."""
    listed = list(rules)
    index = {rule.code: position for position, rule in enumerate(listed)}
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
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": _folder_uri(base)}},
                "results": [_result(f, index.get(f.code)) for f in result.findings],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
