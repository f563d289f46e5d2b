"""The gate writes specs below its specs folder and nothing else, and talks to
its float64 worker on a channel the gated code cannot write to.

- `gate --update` never follows a spec that is a link (to a file outside, or
  dangling), never writes outside the specs folder (a testcase named
  `../../../../escape`), and a folder or a file in the way is a finding, not a
  traceback;
- `--summary` naming a source file or a folder is refused before the run;
- the gated code writing to file descriptor 1, and a `guardrails/` folder in the
  project, leave the float64 probes' answers alone;
- `guardrails gate | head -1` (a pipe no one reads) ends quietly.

One real gate run (real jax2onnx and onnxruntime) covers the spec cases at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_hostile_process import run_into_closed_pipe

TIMEOUT_SECONDS = 600
PROJECT = """\
[tool.guardrails.gate]
examples = ["examples.hostile"]
modules = ["hostile_examples"]
specs = "specs"
"""
EXAMPLES = '''\
"""Gate examples whose names and prints are hostile."""

import os

from jax2onnx.plugins.plugin_system import register_example

os.write(1, b"{not json from the module\\n")


def add_one(x):
    os.write(1, b'{"id": "forged", "status": "passes"}\\n')
    return x + 1.0


def case(name):
    return {
        "testcase": name,
        "callable": add_one,
        "input_shapes": [(3,)],
        "run_only_f32_variant": True,
    }


register_example(
    component="Tiny",
    context="examples.hostile",
    testcases=[
        case(name)
        for name in ("add_one", "linked", "dangling", "folder", "../../../../escape")
    ],
)
register_example(
    component="Blocked",
    context="examples.hostile",
    testcases=[case("in_the_way")],
)
'''
TINY = "examples.hostile::Tiny::"
SPECS = Path("specs/examples.hostile")


def gate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # `-P`: the project's own `guardrails/` folder must not shadow the tool here;
    # the worker is the one under test.
    completed = subprocess.run(
        [sys.executable, "-P", "-m", "guardrails", "gate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def hostile_project(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.spec").write_text("keep me\n", encoding="utf-8")
    root = tmp_path / "a" / "b" / "project"
    (root / SPECS / "Tiny").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (root / "hostile_examples.py").write_text(EXAMPLES, encoding="utf-8")
    tiny = root / SPECS / "Tiny"
    (tiny / "linked.spec").symlink_to(outside / "target.spec")
    (tiny / "dangling.spec").symlink_to(outside / "created.spec")
    (tiny / "folder.spec").mkdir()
    (root / SPECS / "Blocked").write_text("a file where a folder goes\n")
    # A package of the project's own named like the tool: the worker must not
    # import it (it would answer for the probes).
    (root / "guardrails" / "gate").mkdir(parents=True)
    (root / "guardrails" / "__init__.py").write_text("", encoding="utf-8")
    (root / "guardrails" / "gate" / "__init__.py").write_text("", encoding="utf-8")
    (root / "guardrails" / "gate" / "f64_worker.py").write_text(
        "print('{\"id\": 1}')\nprint('garbage')\n", encoding="utf-8"
    )
    return root, outside


def test_update_writes_only_below_the_specs_folder(tmp_path: Path) -> None:
    root, outside = hostile_project(tmp_path)
    completed = gate(root, "--update", "--parallel", "--format", "json")
    assert completed.returncode == 1, completed.stderr
    results: dict[str, dict[str, Any]] = {
        testcase["id"]: testcase
        for testcase in json.loads(completed.stdout)["testcases"]
    }
    assert results[TINY + "add_one"]["status"] == "match", results[TINY + "add_one"]
    assert (root / SPECS / "Tiny" / "add_one.spec").is_file()
    # Nothing outside the specs folder was written or followed.
    assert (outside / "target.spec").read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in outside.iterdir()) == ["target.spec"]
    assert not list(tmp_path.rglob("escape*"))
    assert (root / SPECS / "Tiny" / "linked.spec").is_symlink()
    assert (root / SPECS / "Tiny" / "dangling.spec").is_symlink()
    for name in ("linked", "dangling", "folder", "../../../../escape"):
        result = results[TINY + name]
        assert result["status"] == "check-failed", (name, result)
        assert "spec" in result["reason"], (name, result)
    blocked = results["examples.hostile::Blocked::in_the_way"]
    assert blocked["status"] == "check-failed", blocked
    assert "cannot write" in blocked["reason"]
    # The float64 worker's answers came through, whatever the gated code wrote.
    for result in results.values():
        assert result["f64"]["status"] in {"passes", "fails"}, result["f64"]


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    source = EXAMPLES.replace('os.write(1, b"{not json from the module\\n")\n', "")
    (root / "hostile_examples.py").write_text(source, encoding="utf-8")
    return root


def test_summary_over_a_source_file_or_a_folder_is_refused_first(
    small_project: Path,
) -> None:
    source = small_project / "hostile_examples.py"
    before = source.read_bytes()
    for summary in ("hostile_examples.py", "."):
        completed = gate(small_project, "--summary", summary)
        assert completed.returncode == 2, completed.stderr
        assert completed.stdout == ""  # refused before any testcase ran
        assert completed.stderr.startswith("guardrails: error: --summary")
        assert completed.stderr.count("\n") == 1
    assert source.read_bytes() == before


def test_gate_output_into_a_closed_pipe_ends_quietly(small_project: Path) -> None:
    completed = run_into_closed_pipe(
        [sys.executable, "-P", "-m", "guardrails", "gate", "--only", f"{TINY}add_one"],
        small_project,
        TIMEOUT_SECONDS,
    )
    # What the gated code itself writes (to stderr, here) is its own business.
    assert "BrokenPipe" not in completed.stderr, completed.stderr
    assert "Exception" not in completed.stderr, completed.stderr
    assert completed.returncode == 141
