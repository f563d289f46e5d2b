"""The gate under stress: what it writes, and how its failures are told apart.

A tiny project of its own (two examples registered through jax2onnx: one that
exports, one whose callable raises) keeps every run short, with the real
jax2onnx, onnxruntime and command line.

- without `--update` the gate writes nothing in the project;
- an export failure, a drift and a configuration error each have their own
  status and message; the exit code tells configuration errors (2) from gate
  failures (1), as the gate's documentation fixes;
- `--update` killed at random moments leaves the old spec or the new one.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

TIMEOUT_SECONDS = 600  # a cold JAX start on a loaded machine
PROJECT = """\
[tool.guardrails.gate]
examples = ["examples.hostile"]
modules = ["hostile_examples"]
specs = "specs"
"""
EXAMPLES = '''\
"""Tiny gate examples: one that exports, one that cannot."""

from jax2onnx.plugins.plugin_system import register_example


def add_one(x):
    return x + 1.0


def cannot_export(x):
    raise ValueError("deliberately not exportable")


register_example(
    component="Tiny",
    context="examples.hostile",
    testcases=[
        {"testcase": "add_one", "callable": add_one, "input_shapes": [(3,)]},
        {"testcase": "broken", "callable": cannot_export, "input_shapes": [(3,)]},
    ],
)
'''
ADD_ONE = "examples.hostile::Tiny::add_one"
BROKEN = "examples.hostile::Tiny::broken"
SPEC = Path("specs/examples.hostile/Tiny/add_one.spec")


def gate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", "gate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr
    return completed


def by_id(completed: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    report = json.loads(completed.stdout)
    return {testcase["id"]: testcase for testcase in report["testcases"]}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        # Caches are not the project's files: byte code, and guardrails' own
        # git-ignored folder (the gate's verdicts).
        and not {"__pycache__", ".guardrails_cache"} & set(path.parts)
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with the add_one spec written by a real `--update`."""
    root = tmp_path_factory.mktemp("gate-project")
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (root / "hostile_examples.py").write_text(EXAMPLES, encoding="utf-8")
    created = gate(root, "--update", "--only", ADD_ONE)
    assert created.returncode == 0, created.stdout + created.stderr
    assert f"created {SPEC.as_posix()}" in created.stdout
    return root


def copy_of(project: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_export_failure_is_its_own_status_and_nothing_is_written(
    project: Path, tmp_path: Path
) -> None:
    root = copy_of(project, tmp_path)
    before = snapshot(root)
    completed = gate(root, "--format", "json")
    assert completed.returncode == 1
    results = by_id(completed)
    assert results[ADD_ONE]["status"] == "match"
    assert results[BROKEN]["status"] == "export-failed"
    assert "ValueError: deliberately not exportable" in results[BROKEN]["reason"]
    assert snapshot(root) == before


def test_drift_is_its_own_status_and_the_spec_is_left_alone(
    project: Path, tmp_path: Path
) -> None:
    root = copy_of(project, tmp_path)
    spec = root / SPEC
    committed = spec.read_text(encoding="utf-8")
    drifted = committed.replace("node Add ->", "node Mul ->")
    assert drifted != committed
    spec.write_text(drifted, encoding="utf-8")
    before = snapshot(root)
    completed = gate(root, "--only", ADD_ONE)
    assert completed.returncode == 1
    assert completed.stdout.startswith("drift ")
    assert "gate failed: 1 drift" in completed.stdout
    assert snapshot(root) == before


CONFIG_ERRORS = {
    "unregistered_example": (
        'examples = ["examples.hostile", "examples.nowhere"]',
        "gate example 'examples.nowhere' is not registered",
    ),
    "module_that_fails_to_import": (
        'modules = ["hostile_examples", "no_such_module_here"]',
        "gate module 'no_such_module_here' failed to import",
    ),
}


@pytest.mark.parametrize("case_name", sorted(CONFIG_ERRORS))
def test_configuration_error_is_a_one_line_error_exit_2(
    project: Path, tmp_path: Path, case_name: str
) -> None:
    root = copy_of(project, tmp_path)
    line, message = CONFIG_ERRORS[case_name]
    key = line.split(" = ")[0]
    config = [
        line if current.startswith(f"{key} = ") else current
        for current in PROJECT.splitlines()
    ]
    (root / "pyproject.toml").write_text("\n".join(config) + "\n", encoding="utf-8")
    completed = gate(root)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == f"guardrails: error: {message}\n" or (
        completed.stderr.startswith(f"guardrails: error: {message}")
        and completed.stderr.count("\n") == 1
    )


def test_only_matching_nothing_is_a_one_line_error_exit_2(
    project: Path, tmp_path: Path
) -> None:
    root = copy_of(project, tmp_path)
    completed = gate(root, "--only", "*::nothing")
    assert completed.returncode == 2
    assert completed.stderr == (
        "guardrails: error: --only '*::nothing' matches no gated testcase\n"
    )


@pytest.mark.slow
def test_update_killed_at_any_moment_leaves_old_or_new_spec(
    project: Path, tmp_path: Path
) -> None:
    template = copy_of(project, tmp_path / "template")
    spec = template / SPEC
    new = spec.read_bytes()
    old = new.replace(b"node Add ->", b"node Mul ->")
    assert old != new
    spec.write_bytes(old)
    started = time.monotonic()
    finished = gate(template, "--update", "--only", ADD_ONE)
    duration = time.monotonic() - started
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert spec.read_bytes() == new

    rng = random.Random(5)
    for attempt in range(3):
        root = tmp_path / f"attempt-{attempt}"
        shutil.copytree(template, root)
        (root / SPEC).write_bytes(old)
        process = subprocess.Popen(
            [sys.executable, "-m", "guardrails", "gate", "--update", "--only", ADD_ONE],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The spec is written after the export and its comparison: late in a run.
        time.sleep(duration * rng.uniform(0.6, 1.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=TIMEOUT_SECONDS)
        assert (root / SPEC).read_bytes() in (old, new), f"partial spec, kill {attempt}"


def test_corrupt_spec_is_a_drift_and_update_rewrites_it(
    project: Path, tmp_path: Path
) -> None:
    root = copy_of(project, tmp_path)
    spec = root / SPEC
    fresh = spec.read_bytes()
    spec.write_bytes(fresh[: len(fresh) // 2] + b"\xff\xfe\x00")  # truncated, binary
    completed = gate(root, "--only", ADD_ONE)
    assert completed.returncode == 1
    assert completed.stdout.startswith("drift ")
    assert f"{SPEC.as_posix()}: unreadable spec" in completed.stdout
    updated = gate(root, "--update", "--only", ADD_ONE)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert spec.read_bytes() == fresh
