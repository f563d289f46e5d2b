"""mkdocs hook: one page per rule, generated from the rule itself, as ruff's are.

A rule's page is its docstring (`guardrails rule CODE` prints the same text)
followed by its own samples, the ones tests/test_rule_samples.py runs, so the
documentation and the tests cannot drift apart. `rules/index.md` lists them all.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from guardrails.rules import all_rules
from guardrails.rules.base import Rule, Sample


def _sample_block(sample: Sample) -> str:
    where = f"`{sample.path}`"
    if sample.line is not None and sample.message is not None:
        where += f", line {sample.line}: {sample.message}"
    return f"{where}\n\n```python\n{sample.code.rstrip()}\n```\n"


def rule_page(rule: type[Rule]) -> str:
    """The Markdown page of one rule: its documentation, then its samples."""
    parts = [f"# {rule.code} {rule.name}\n", rule.documentation().rstrip() + "\n"]
    if rule.opt_in:
        parts.insert(
            1, "*Opt-in: runs only when `select` or `extend-select` names it.*\n"
        )
    for title, samples in (("Reported", rule.INVALID), ("Not reported", rule.VALID)):
        if samples:
            parts.append(f"## Samples: {title.lower()}\n")
            parts.extend(_sample_block(sample) for sample in samples)
    return "\n".join(parts)


def rules_index() -> str:
    rows = [
        f"| [{rule.code}]({rule.code}.md) | {rule.name} | "
        f"{rule.summary().replace('|', '&#124;')} |"
        for rule in all_rules()
    ]
    return "\n".join(
        [
            "# Rules\n",
            "Each rule's page is generated from the rule's docstring and samples;",
            "`guardrails rule CODE` prints the same documentation.\n",
            "| code | name | what it reports |",
            "| --- | --- | --- |",
            *rows,
            "",
        ]
    )


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    files.append(File.generated(config, "rules/index.md", content=rules_index()))
    for rule in all_rules():
        page = rule_page(rule)
        files.append(File.generated(config, f"rules/{rule.code}.md", content=page))
    return files
