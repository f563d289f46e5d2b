"""How much of a tree LibCST parses, with the default rules and without some.

    python benchmarks/libcst_work.py [--tree DIR] [--without GR407,GR415] [--each]

LibCST's parse is most of a cold check's time, and it is proportional to what it
parses: the files no rule's pre-scan lets through are not parsed at all, and the
function bodies and dict values no rule reads are left out (`engine.elision`).
This counts, in one process and without timing anything (so a loaded machine
changes nothing), the files LibCST parses and their non-blank characters (left-out
code counts as nothing), for the default rules and for them without `--without`;
`--each` adds each of those rules alone to the rest. Default tree: the installed
jax2onnx release, configured at its site-packages.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import guardrails.engine.walk as walk
from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules
from guardrails.targets import package_source

_BLANK_OR_LEFT_OUT = re.compile(r"\s|\.\.\.")
parsed: list[int] = []
_parse = walk.parse


def _counting_parse(*args, parsed_source=None, **kwargs):  # type: ignore[no-untyped-def]
    source = parsed_source if parsed_source is not None else args[0]
    parsed.append(len(_BLANK_OR_LEFT_OUT.sub("", source)))
    return _parse(*args, parsed_source=parsed_source, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="default: installed jax2onnx")
    parser.add_argument("--without", default="GR407,GR408,GR409,GR41")
    parser.add_argument("--each", action="store_true")
    args = parser.parse_args()
    tree = args.tree or package_source("jax2onnx")
    root = tree if args.tree else tree.parent
    config = Config(root=root)
    files = collect_files([tree], config.root, config.all_excludes)
    left_out = [code for code in args.without.split(",") if code]
    walk.parse = _counting_parse  # type: ignore[assignment]

    def measure(label: str, ignore: list[str]) -> None:
        parsed.clear()
        rules = selected_rules([], ignore)
        check_files(files, config, rules, root, jobs=1)
        print(
            f"{label}: {len(rules)} rules, LibCST parses {len(parsed)} of "
            f"{len(files)} files, {sum(parsed)} non-blank characters"
        )

    measure(f"without {args.without}", left_out)
    measure("default rules", [])
    if args.each:
        codes = [r.code for r in selected_rules(left_out, []) if not r.opt_in]
        for code in codes:
            measure(f"+{code}", [c for c in codes if c != code])


if __name__ == "__main__":
    main()
