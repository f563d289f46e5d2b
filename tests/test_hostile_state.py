"""Nothing lost, nothing touched: what `check` reads, writes and survives.

- `check` never imports or runs checked code and writes nothing but its cache;
- the cache survives corruption, truncation, hostile entries and concurrent runs
  (the report is always the one a run without cache gives);
- `allowlist sync` killed at random moments leaves the old file or the new one,
  never a partial one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz_harness import JAX2ONNX_SOURCE

TIMEOUT_SECONDS = 120
PROJECT = "[project]\nname = 'state'\n\n[tool.guardrails]\n"
CACHE = ".guardrails_cache"
FLAGGED_EXAMPLE = """\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="Component{index}",
    context="examples.state",
    testcases=[
        {{
            "testcase": "case_{index}",
            "callable": lambda x: x,
            "input_shapes": [("B", 30)],
            "run_only_f32_variant": True,
        }},
    ],
)
"""


def guardrails(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
        env=env,
    )
    assert "Traceback" not in completed.stderr
    return completed


def report(root: Path, *options: str) -> dict[str, Any]:
    completed = guardrails(root, "check", "--format", "json", *options, ".")
    assert completed.returncode in (0, 1), completed.stderr
    assert completed.stderr == ""
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path below `root` but the cache: (size, mtime, mode)."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == CACHE:
            continue
        info = path.lstat()
        found[relative.as_posix()] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return found


def copy_real_files(root: Path, count: int, seed: int) -> None:
    """`count` real jax2onnx files at their own paths, and a project file."""
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    files = sorted(JAX2ONNX_SOURCE.rglob("*.py"))
    for source in random.Random(seed).sample(files, count):
        target = root / source.relative_to(JAX2ONNX_SOURCE.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (root / "jax2onnx/plugins/bad.py").write_text("import onnx\n", encoding="utf-8")


# --- nothing touched ----------------------------------------------------------------


def test_check_never_runs_checked_code_and_writes_only_its_cache(
    tmp_path: Path,
) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}-imported.marker"
    side_effect = f"open({str(marker)!r}, 'a').write(__name__)\n"
    tree = tmp_path / "tree"
    files = {
        "pyproject.toml": PROJECT,
        "conftest.py": side_effect,
        "setup.py": side_effect,
        "sitecustomize.py": side_effect,
        "usercustomize.py": side_effect,
        "guardrails_plugins.py": side_effect,
        "src/jax2onnx/__init__.py": side_effect,
        "src/jax2onnx/__main__.py": side_effect,
        "src/jax2onnx/plugins/__init__.py": side_effect,
        "src/jax2onnx/plugins/hook.py": side_effect + "import onnx\n",
        "src/jax2onnx/plugins/examples.py": side_effect
        + FLAGGED_EXAMPLE.format(index=1),
    }
    for name, text in files.items():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    before = snapshot(tree)
    # Bytecode writing on: an import would leave __pycache__ folders behind.
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONDONTWRITEBYTECODE"
    }
    # The package is findable (for --package); the interpreter's own start-up
    # hooks in the working folder (sitecustomize.py) are not on the path.
    env["PYTHONPATH"] = str(tree / "src")
    for options in (
        ["--format", "json"],
        ["--format", "sarif"],
        ["--format", "github"],
        ["--statistics"],
        ["--no-cache"],
    ):
        completed = guardrails(tree, "check", *options, ".", env=env)
        assert completed.returncode == 1, completed.stderr
        assert "GR101" in completed.stdout
    completed = guardrails(tree, "check", "--package", "jax2onnx", env=env)
    assert completed.returncode == 1
    assert not marker.exists()
    assert snapshot(tree) == before
    assert (tree / CACHE).is_dir()


# --- the cache ----------------------------------------------------------------------


def _entries(root: Path) -> list[Path]:
    return sorted(
        path
        for path in (root / CACHE).rglob("*")
        if path.is_file() and path.suffix == ".json"
    )


def _nested_json(_: bytes) -> bytes:
    return b"[" * 200_000 + b"]" * 200_000


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: bytes(random.Random(len(data)).randbytes(len(data))),
    "not_utf8": lambda data: b"\xff\xfe" + data,
    "null": lambda data: b"null",
    "wrong_shape": lambda data: b'{"key": 1, "findings": "no"}',
    "deeply_nested": _nested_json,
    "absurd_number": lambda data: b"1e999999999",
    "huge_integer": lambda data: b"9" * 100_000,
}


@pytest.fixture(scope="module")
def real_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A tree of real files, and the report of a run without any cache."""
    root = tmp_path_factory.mktemp("real")
    copy_real_files(root, 12, seed=8)
    for index in range(3):
        target = root / f"jax2onnx/plugins/examples/flagged_{index}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(FLAGGED_EXAMPLE.format(index=index), encoding="utf-8")
    expected = report(root, "--no-cache")
    assert expected["findings"], "the tree should have findings to cache"
    return root, expected


@pytest.fixture
def tree_copy(
    real_tree: tuple[Path, dict[str, Any]], tmp_path: Path
) -> tuple[Path, dict[str, Any]]:
    """A fresh copy of the real tree, with its cache-free report."""
    source, expected = real_tree
    root = tmp_path / "tree"
    shutil.copytree(source, root, symlinks=True)
    return root, expected


@pytest.mark.parametrize("shift", [0, 1])
def test_cache_survives_corrupt_entries(
    tree_copy: tuple[Path, dict[str, Any]], shift: int
) -> None:
    """Every entry spoilt (each corruption on a share of them, the shares shifted
    between the two runs): the report is the cache-free one, every time."""
    root, expected = tree_copy
    assert report(root) == expected  # cold: writes every entry
    entries = _entries(root)
    assert len(entries) > len(CORRUPTIONS)
    kinds = sorted(CORRUPTIONS)
    for index, entry in enumerate(entries):
        spoil = CORRUPTIONS[kinds[(index + shift) % len(kinds)]]
        entry.write_bytes(spoil(entry.read_bytes()))
    assert report(root) == expected  # no entry usable: recomputed
    assert report(root) == expected  # and rewritten


def test_cache_entry_altered_in_place_is_not_trusted(
    tree_copy: tuple[Path, dict[str, Any]],
) -> None:
    """Entries still naming the right file but with their findings, facts and
    positions edited (a flagged testcase moved to line -11): not used."""
    root, expected = tree_copy
    report(root)
    altered = 0
    for entry in _entries(root):
        data = entry.read_bytes()
        edited = data.replace(b'"line": ', b'"line": -').replace(b'"GR', b'"XX')
        if edited != data:
            entry.write_bytes(edited)
            altered += 1
    assert altered
    assert report(root) == expected


def test_cache_entries_swapped_between_files_are_not_trusted(
    tree_copy: tuple[Path, dict[str, Any]],
) -> None:
    root, expected = tree_copy
    report(root)
    entries = _entries(root)
    contents = [entry.read_bytes() for entry in entries]
    for entry, content in zip(entries, contents[1:] + contents[:1], strict=True):
        entry.write_bytes(content)
    assert report(root) == expected


def test_cache_entries_that_are_not_files_are_ignored(
    tree_copy: tuple[Path, dict[str, Any]],
) -> None:
    root, expected = tree_copy
    report(root)
    entries = _entries(root)
    for index, entry in enumerate(entries):
        entry.unlink()
        if index % 3 == 0:
            entry.mkdir()
        elif index % 3 == 1:
            os.mkfifo(entry)  # reading it would block forever
        else:
            entry.symlink_to(entry.name + ".nowhere")
    assert report(root) == expected


def test_cache_folder_that_is_a_file_is_not_used(
    tree_copy: tuple[Path, dict[str, Any]],
) -> None:
    root, expected = tree_copy
    (root / CACHE).write_text("not a folder\n", encoding="utf-8")
    assert report(root) == expected
    assert (root / CACHE).read_text(encoding="utf-8") == "not a folder\n"


def test_concurrent_runs_share_the_cache_safely(
    tree_copy: tuple[Path, dict[str, Any]],
) -> None:
    root, expected = tree_copy
    for round_ in range(2):  # cold cache, then warm
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "guardrails", "check", "--format", "json", "."],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for run in runs:
            stdout, stderr = run.communicate(timeout=TIMEOUT_SECONDS)
            assert stderr == "", f"round {round_}: {stderr}"
            assert json.loads(stdout) == expected
    assert not list((root / CACHE).rglob("*.tmp")), "temporary files left behind"


# --- atomic writes ------------------------------------------------------------------


def _sync_tree(root: Path, flagged: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    for index in range(flagged):
        target = root / f"jax2onnx/plugins/examples/example_{index:03d}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(FLAGGED_EXAMPLE.format(index=index), encoding="utf-8")


OLD_ALLOWLIST = (
    "# Reviewed by hand: keep this comment.\n"
    "[[allow]]\n"
    'flag = "run_only_f32_variant"\n'
    'context = "examples.state"\n'
    'component = "Component000"\n'
    'reason = "kept"\n'
)


def test_allowlist_sync_killed_at_any_moment_leaves_old_or_new_file(
    tmp_path: Path,
) -> None:
    template = tmp_path / "template"
    _sync_tree(template, 120)
    allowlist = "guardrails-allowlist.toml"
    (template / allowlist).write_text(OLD_ALLOWLIST, encoding="utf-8")
    # The complete result, and how long a whole run takes.
    finished = tmp_path / "finished"
    shutil.copytree(template, finished)
    started = time.monotonic()
    completed = guardrails(finished, "allowlist", "sync", ".")
    duration = time.monotonic() - started
    assert completed.returncode == 0, completed.stderr
    new = (finished / allowlist).read_bytes()
    old = OLD_ALLOWLIST.encode()
    assert new != old and new.startswith(old)

    rng = random.Random(8)
    outcomes = {"old": 0, "new": 0}
    for attempt in range(12):
        root = tmp_path / f"attempt-{attempt}"
        shutil.copytree(template, root)
        process = subprocess.Popen(
            [sys.executable, "-m", "guardrails", "allowlist", "sync", "."],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Most kills land late in the run, where the writing happens.
        time.sleep(duration * rng.uniform(0.3, 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=TIMEOUT_SECONDS)
        content = (root / allowlist).read_bytes()
        assert content in (old, new), f"partial allowlist after kill {attempt}"
        outcomes["old" if content == old else "new"] += 1
        # Whatever is there reads back, and a rerun completes the sync.
        assert guardrails(root, "allowlist", "sync", ".").returncode == 0
        assert (root / allowlist).read_bytes() == new
    assert sum(outcomes.values()) == 12, outcomes
