"""What GR301 and GR303 share: a flag the allowlist does not cover, and the
sample they are shown on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from guardrails.allowlist import FlaggedTestcase, load_allowlist
from guardrails.allowlist.model import EntryIndex
from guardrails.allowlist.upstream_skip_lists import FLAG as UPSTREAM_FLAG
from guardrails.allowlist.upstream_skip_lists import SkipLists, skip_lists
from guardrails.rules.base import ProjectContext, Rule
from guardrails.rules.testcase_metadata import COLLECTOR_NAME, FLAG_PRESCAN
from guardrails.rules.testcase_metadata.collector import TestcaseFlagsCollector
from guardrails.types import Finding


def flagged_by_file(project: ProjectContext) -> Iterator[tuple[str, FlaggedTestcase]]:
    for shown, facts in project.facts.items():
        for fact in facts.get(COLLECTOR_NAME, ()):
            yield shown, FlaggedTestcase.from_json(fact)


class UncoveredFlag(Rule):
    """`flag` on a testcase that neither the allowlist nor jax2onnx's own skip
    lists cover."""

    flag: ClassVar[str]
    prescan = FLAG_PRESCAN
    collector = TestcaseFlagsCollector

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        # Read even when nothing is flagged: a broken allowlist is always an error.
        allowlist = load_allowlist(
            project.config.allowlist_path, required=project.config.allowlist_required
        )
        # jax2onnx's own skip lists count until `allowlist sync` imports them.
        upstream = SkipLists()
        if cls.flag == UPSTREAM_FLAG:
            upstream = skip_lists(project.config)
            if upstream.note is not None:
                project.notes.append(upstream.note)
        upstream_index = EntryIndex(upstream.entries)
        for shown, flagged in flagged_by_file(project):
            if flagged.flag != cls.flag:
                continue
            if allowlist.covers(flagged) or upstream_index.covering(flagged):
                continue
            yield Finding(
                path=shown,
                line=flagged.line,
                column=flagged.column,
                code=cls.code,
                # The identity names the entry; `allowlist sync` writes it.
                message=(
                    f"{cls.flag} on {flagged.identity} is not in "
                    f"{project.config.allowlist_path.name}"
                ),
                end_line=flagged.end_line,
                end_column=flagged.end_column,
                rule=cls.name,
            )


EXAMPLE = """\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="MlpExample",
    context="examples.eqx",
    testcases=[
        {
            "testcase": "mlp_batched",
            "callable": lambda x: x,
            "input_shapes": [("B", 30)],
%s        },
    ],
)
"""


def covering_allowlist(flag: str) -> tuple[tuple[str, str], ...]:
    return (
        (
            "guardrails-allowlist.toml",
            "[[allow]]\n"
            f'flag = "{flag}"\n'
            'context = "examples.eqx"\n'
            'component = "MlpExample"\n'
            'testcase = "mlp_*"\n'
            'file = "jax2onnx/plugins/sample.py"\n'
            'reason = "ORT has no float64 kernel for this graph"\n',
        ),
    )
