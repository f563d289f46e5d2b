"""A rule left at the defaults costs nothing and misses nothing its pre-scan marks.

A new rule that sets only `prescan` reads the function bodies and dict values
whose text the pre-scan matches (or that name what an import of a match binds);
the engine still leaves every other body out of LibCST's parse, so adding the
rule leaves the other rules' elision as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

import guardrails.engine.walk as walk
from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules
from guardrails.rules.base import ALL_BODIES, NO_BODIES, Rule
from guardrails.targets import package_source


class LeftoverDebugger(Rule):
    """A planted rule at the defaults: only `prescan` is set."""

    code = "GR499"
    name = "leftover-debugger"
    prescan = re.compile(r"breakpoint|set_trace")

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.imports.qualify_or_local(node.func)
        if qualified in {"breakpoint", "pdb.set_trace"}:
            self.report(node, "a debugger call left in the code")


def _lines(root: Path, source: str, rules: tuple[type[Rule], ...]) -> list[int]:
    (root / "module.py").write_text(source, encoding="utf-8")
    config = Config(root=root)
    files = collect_files([root], config.root, config.all_excludes)
    result = check_files(files, config, rules, root, jobs=1)
    return [f.line for f in result.findings if f.code == "GR499"]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("def f():\n    x = 1\n    breakpoint()\n", 3),
        ("class C:\n    def m(self):\n        breakpoint()\n", 3),
        # The body says only what the import binds.
        ("from pdb import set_trace as stop\n\n\ndef f():\n    stop()\n", 5),
        ("CASE = {'callable': lambda: breakpoint()}\n", 1),
    ],
)
def test_a_rule_at_the_defaults_reads_what_its_prescan_marks(
    tmp_path: Path, source: str, line: int
) -> None:
    assert _lines(tmp_path, source, (LeftoverDebugger,)) == [line]


def test_a_rule_at_the_defaults_leaves_the_other_rules_elision_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = package_source("jax2onnx") / "plugins" / "jax" / "lax"
    config = Config(root=tree.parent)
    files = collect_files([tree], config.root, config.all_excludes)
    parsed: list[int] = []
    parse = walk.parse

    def counting_parse(*args, parsed_source=None, **kwargs):  # type: ignore[no-untyped-def]
        source = parsed_source if parsed_source is not None else args[0]
        parsed.append(len(source) - source.count("..."))
        return parse(*args, parsed_source=parsed_source, **kwargs)

    monkeypatch.setattr(walk, "parse", counting_parse)

    def parsed_characters(rules: tuple[type[Rule], ...]) -> int:
        parsed.clear()
        check_files(files, config, rules, tree.parent, jobs=1)
        return sum(parsed)

    defaults = tuple(rule for rule in all_rules() if not rule.opt_in)
    # Walked in every plugin file (each registers a primitive), the planted
    # rule's pre-scan marks no body there: at the defaults it costs what a rule
    # that says it reads no body costs.
    walked = type(
        "WalkedEverywhere",
        (LeftoverDebugger,),
        {"prescan": re.compile(r"register_primitive|breakpoint|set_trace")},
    )
    no_bodies = type("ReadsNoBody", (walked,), {"body_prescan": NO_BODIES})
    cheapest = parsed_characters((*defaults, no_bodies))
    assert parsed_characters((*defaults, walked)) == cheapest
    # ...where leaving bodies out matters: every body parsed is far more.
    everything = type("ReadsEveryBody", (walked,), {"body_prescan": ALL_BODIES})
    assert parsed_characters((*defaults, everything)) > cheapest * 1.5
