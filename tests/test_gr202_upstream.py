"""GR202 on jax2onnx's own testcases (excerpts of its repository at 3901899d in
tests/fixtures/upstream/gr202/, labelled): every construction that freezes
parameters, a dtype, a key or `rngs` is reported, and none that holds nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import check_tree

EXCERPTS = Path(__file__).parent / "fixtures" / "upstream" / "gr202"
_LABEL = re.compile(r"^\s*# (stateful|stateless): ")


def _labelled_callables(text: str) -> dict[int, str]:
    """Line of each labelled testcase's `"callable"` -> its label."""
    found, label = {}, None
    for number, line in enumerate(text.splitlines(), start=1):
        marked = _LABEL.match(line)
        if marked:
            label = marked.group(1)
        elif '"callable":' in line and label is not None:
            found[number] = label
            label = None
    return found


def test_gr202_reports_exactly_the_stateful_constructions(tmp_path: Path) -> None:
    plugins = tmp_path / "jax2onnx" / "plugins"
    shutil.copytree(EXCERPTS, plugins)
    findings = check_tree(tmp_path, ["GR202"]).findings
    reported = {
        (Path(f.path).relative_to("jax2onnx/plugins").as_posix(), f.line)
        for f in findings
        if f.code == "GR202"
    }
    labels = {
        (path.relative_to(EXCERPTS).as_posix(), line): label
        for path in EXCERPTS.rglob("*.py")
        for line, label in _labelled_callables(path.read_text(encoding="utf-8")).items()
    }
    stateful = {where for where, label in labels.items() if label == "stateful"}
    # The count: 47 findings, of which 24 froze nothing.
    assert (len(labels), len(stateful)) == (47, 23)
    assert reported == stateful
