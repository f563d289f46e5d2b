"""The allowlist under load and under edits.

- matching flagged testcases against entries is linear: the work is counted
  (entries compared one by one), never timed;
- `allowlist sync` loses no entry added by hand while it ran;
- `allowlist = "../../x"` (outside the project) or `""` is refused by `sync`.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

import guardrails.sync as sync_module
from guardrails.allowlist import model, staleness
from tests.check_support import run_main, write_files

PROJECT = "[project]\nname = 'load'\n\n[tool.guardrails]\n"
CASE = """\
        {{
            "testcase": "case_{index}",
            "callable": lambda x: x,
            "run_only_f32_variant": True,
        }},
"""
EXAMPLE = """\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="Component",
    context="examples.load",
    testcases=[
{cases}    ],
)
"""
ENTRY = """\
[[allow]]
flag = "run_only_f32_variant"
context = "examples.load"
component = "Component"
testcase = "case_{index}"
file = "jax2onnx/examples/load.py"
reason = "baseline"
"""


def flagged_tree(root: Path, count: int, *, listed: bool) -> Path:
    cases = "".join(CASE.format(index=index) for index in range(count))
    files: dict[str, str | bytes] = {
        "pyproject.toml": PROJECT,
        "jax2onnx/examples/load.py": EXAMPLE.format(cases=cases),
    }
    if listed:
        entries = "\n".join(ENTRY.format(index=index) for index in range(count))
        files["guardrails-allowlist.toml"] = entries
    return write_files(root, files)


class Comparisons:
    """Counts every glob comparison the allowlist code makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0

        def counted(name: str, pattern: str) -> bool:
            self.count += 1
            return fnmatch.fnmatchcase(name, pattern)

        for module in (model, staleness):
            monkeypatch.setattr(module, "fnmatchcase", counted)


@pytest.mark.parametrize("command", ["check", "sync"])
def test_matching_flags_to_entries_is_linear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    work = {}
    for count in (200, 400):
        root = flagged_tree(tmp_path / f"{command}{count}", count, listed=True)
        comparisons = Comparisons(monkeypatch)
        if command == "check":
            run = run_main("check", "--no-cache", "--select", "GR30", ".", cwd=root)
            assert run.exit_code == 0, run.stdout + run.stderr
        else:
            run = run_main("allowlist", "sync", "--prune", ".", cwd=root)
            assert run.exit_code == 0, run.stderr
            assert "up to date (" in run.stdout
        work[count] = comparisons.count
        monkeypatch.undo()
    # Quadratic matching makes 40,000 and 160,000 comparisons here.
    assert work[400] <= 20 * 400, work
    assert work[400] <= 2.5 * max(work[200], 1), work


def test_sync_loses_no_entry_added_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = flagged_tree(tmp_path, 2, listed=False)
    allowlist = root / "guardrails-allowlist.toml"
    by_hand = ENTRY.format(index="by_hand").replace("baseline", "added by hand")
    allowlist.write_text(by_hand, encoding="utf-8")
    real_scan = sync_module.scan

    def scan_while_someone_edits(*args: object, **kwargs: object) -> object:
        scanned = real_scan(*args, **kwargs)  # type: ignore[arg-type]
        with allowlist.open("a", encoding="utf-8") as stream:
            stream.write("\n" + ENTRY.format(index="meanwhile"))
        return scanned

    monkeypatch.setattr(sync_module, "scan", scan_while_someone_edits)
    run = run_main("allowlist", "sync", ".", cwd=root)
    text = allowlist.read_text(encoding="utf-8")
    assert "case_meanwhile" in text and "added by hand" in text
    assert run.exit_code == 2
    assert run.stderr.startswith("guardrails: error: ")
    assert "changed while sync ran" in run.stderr


@pytest.mark.parametrize("value", ["../../outside.toml", "", "{outside}"])
def test_sync_refuses_an_allowlist_outside_the_project(
    tmp_path: Path, value: str
) -> None:
    value = value.format(outside=tmp_path / "elsewhere.toml")
    root = flagged_tree(tmp_path / "a" / "b", 1, listed=False)
    (root / "pyproject.toml").write_text(
        PROJECT + f"allowlist = {value!r}\n", encoding="utf-8"
    )
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    run = run_main("allowlist", "sync", ".", cwd=root)
    assert run.exit_code == 2, run.stdout
    assert run.stderr.startswith("guardrails: error: ")
    assert run.stderr.count("\n") == 1
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == before
