"""GR405: ONNX models in git's index, asked of the real `git` in real repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.check_support import Run, run_main, write_files
from tests.readme_snippets import git
from tests.test_precommit import (  # noqa: F401 (fixtures)
    RunPreCommit,
    hook_repository,
    output_of,
    pre_commit_environment,
    run_pre_commit,
)

MODEL = b"\x08\x07\x12\x07pytorch\x00\x00binary"  # NUL bytes: not text, not Python


def _repository(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", cwd=root)
    return root


def _paths(run: Run) -> list[str]:
    return sorted(
        finding["path"]
        for finding in json.loads(run.stdout)["findings"]
        if finding["code"] == "GR405"
    )


def _check(root: Path, *args: str) -> Run:
    return run_main("check", "--select", "GR405", "--format", "json", *args, cwd=root)


def test_reports_committed_and_staged_models_only(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    write_files(
        root,
        {
            ".gitignore": "ignored/\n",
            "jax2onnx/__init__.py": "",
            "docs/onnx/model.onnx": MODEL,
            "docs/onnx/model.onnx.data": MODEL,
            "docs/onnx/model[1].onnx": MODEL,
            "docs/onnx/two words.onnx": MODEL,
            "docs/onnx/new\nline.onnx": MODEL,
            "docs/onnx/notes.md": "not a model\n",
            "ignored/local.onnx": MODEL,
        },
    )
    git("add", "--all", cwd=root)
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "models",
        cwd=root,
    )
    write_files(root, {"out/staged.onnx": MODEL, "out/untracked.onnx": MODEL})
    git("add", "out/staged.onnx", cwd=root)

    result = _check(root)
    assert result.exit_code == 1, result.stderr
    assert _paths(result) == [
        "docs/onnx/model.onnx",
        "docs/onnx/model.onnx.data",
        "docs/onnx/model[1].onnx",
        "docs/onnx/new\nline.onnx",
        "docs/onnx/two words.onnx",
        "out/staged.onnx",
    ]
    assert result.stderr == ""
    # Each says how it got there, and so how to take it back.
    messages = {
        finding["path"]: finding["message"]
        for finding in json.loads(result.stdout)["findings"]
    }
    assert messages["out/staged.onnx"] == (
        "ONNX artifact `staged.onnx` is staged; keep generated models out of git "
        "(git restore --staged, .gitignore)"
    )
    assert messages["docs/onnx/model.onnx"] == (
        "ONNX artifact `model.onnx` is committed; keep generated models out of git "
        "(git rm --cached, .gitignore)"
    )
    # Removed from the index (the file stays on disk): nothing to report.
    git("rm", "--cached", "--quiet", "-r", "docs", "out", cwd=root)
    assert _check(root).exit_code == 0


def test_named_files_are_judged_alone_and_never_parsed(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    write_files(
        root,
        {
            "a.onnx": MODEL,
            "b.onnx": MODEL,
            "untracked.onnx": MODEL,
            "ok.py": "x = 1\n",
        },
    )
    git("add", "a.onnx", "b.onnx", "ok.py", cwd=root)
    result = _check(root, "a.onnx", "untracked.onnx", "ok.py")
    assert _paths(result) == ["a.onnx"]
    # A model is not Python: no GR002 for its NUL bytes, and not counted.
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert codes == {"GR405"}
    assert json.loads(result.stdout)["files_checked"] == 1
    text = run_main("check", "--select", "GR405", "a.onnx", "ok.py", cwd=root)
    assert text.stdout.splitlines()[-1] == (
        "Found 1 finding in 1 file and 1 in git's index checked."
    )
    # From a subfolder, by a relative name.
    write_files(root, {"sub/c.onnx": MODEL})
    git("add", "sub/c.onnx", cwd=root)
    assert _paths(_check(root / "sub", "c.onnx")) == ["c.onnx"]


def test_outside_a_work_tree_a_note_and_no_findings(tmp_path: Path) -> None:
    write_files(tmp_path, {"model.onnx": MODEL, "a.py": "x = 1\n"})
    result = _check(tmp_path)
    assert result.exit_code == 0
    assert _paths(result) == []
    (note,) = result.stderr.splitlines()
    assert note == (
        f"guardrails: note: GR405 judges what git tracks: {tmp_path} is not in a "
        "git work tree"
    )
    # Only Python files named: git is not asked, so there is nothing to note.
    assert _check(tmp_path, "a.py").stderr == ""


def test_without_git_a_note_and_no_findings(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    write_files(root, {"model.onnx": MODEL})
    git("add", "model.onnx", cwd=root)
    environment = {**os.environ, "PATH": str(tmp_path / "no-programs-here")}
    result = subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--select", "GR405"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert result.stderr.startswith("guardrails: note: GR405 needs git (")
    assert len(result.stderr.splitlines()) == 1


def test_never_served_stale_from_the_cache(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    write_files(root, {"a.py": "x = 1\n", "model.onnx": MODEL})
    git("add", "a.py", cwd=root)
    # Warm the cache: nothing committed yet.
    assert _check(root).exit_code == 0
    assert any((root / ".guardrails_cache").iterdir())
    # The Python files are unchanged (cached); the index is not.
    git("add", "model.onnx", cwd=root)
    assert _paths(_check(root)) == ["model.onnx"]
    git("rm", "--cached", "--quiet", "model.onnx", cwd=root)
    assert _paths(_check(root)) == []


def test_opt_in_patterns_and_excludes_are_configurable(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    write_files(
        root,
        {
            "models/a.onnx": MODEL,
            "models/b.pb": MODEL,
            "tests/data/tiny.onnx": MODEL,
        },
    )
    git("add", "--all", cwd=root)
    # Opt-in: the default rules leave it out.
    assert run_main("check", cwd=root).exit_code == 0
    write_files(
        root,
        {
            "pyproject.toml": "[tool.guardrails]\n"
            'extend-select = ["GR405"]\n'
            'artifact-patterns = ["**/*.onnx", "**/*.pb"]\n'
            'extend-exclude = ["tests/data"]\n'
        },
    )
    result = run_main("check", "--format", "json", cwd=root)
    assert _paths(result) == ["models/a.onnx", "models/b.pb"]


def test_bad_pattern_is_a_one_line_error(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"pyproject.toml": "[tool.guardrails]\nartifact-patterns = 1\n"}
    )
    result = run_main("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        "guardrails: error: pyproject.toml: tool.guardrails.artifact-patterns must "
        "be a list of strings\n"
    )


# The pre-commit hook, through the real `pre-commit` client.


@pytest.mark.parametrize(
    ("staged", "fails"),
    [({"docs/onnx/model.onnx": MODEL}, True), ({"docs/conf.py": "x = 1\n"}, False)],
)
def test_hook_refuses_a_staged_model(
    run_pre_commit: RunPreCommit,  # noqa: F811 (the fixture)
    hook_repository: tuple[Path, str],  # noqa: F811 (the fixture)
    tmp_path: Path,
    staged: dict[str, bytes | str],
    fails: bool,
) -> None:
    path, rev = hook_repository
    config = {
        "repos": [
            {"repo": str(path), "rev": rev, "hooks": [{"id": "guardrails-artifacts"}]}
        ]
    }
    root = _repository(tmp_path / "consumer")
    write_files(root, {".pre-commit-config.yaml": yaml.safe_dump(config), **staged})
    git("add", "--all", cwd=root)
    result = run_pre_commit("run", cwd=root)
    output = output_of(result)
    if fails:
        assert result.returncode == 1, output
        assert (
            "docs/onnx/model.onnx:1:1: GR405 ONNX artifact `model.onnx` is staged"
        ) in output
        assert "GR002" not in output
        # No Python file was checked, but the model in git's index was.
        assert "Found 1 finding in 1 file in git's index checked." in output
    else:
        assert result.returncode == 0, output
        assert "(no files to check)Skipped" in output
