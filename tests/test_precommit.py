"""The pre-commit hooks, driven through the real `pre-commit` client.

The `guardrails` hook is a `language: python` hook, so pre-commit builds its own
environment and pip-installs guardrails (and libcst) into it, as on a user's machine.
`try-repo` builds a fresh environment on every call; the README-configuration tests
share one environment through a per-session PRE_COMMIT_HOME.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrails import __version__
from tests.readme_snippets import (
    REPOSITORY_ROOT,
    git,
    published_repository,
    readme_block,
)

MANIFEST = REPOSITORY_ROOT / ".pre-commit-hooks.yaml"

ONNX_IMPORT = "import onnx\n\n\ndef to_proto(model):\n    return onnx.load(model)\n"
IR_ONLY_PLUGIN = (
    "import onnx_ir as ir\n\n\ndef make_value(name: str) -> ir.Value:\n"
    "    return ir.Value(name=name)\n"
)


def _clean_environment() -> dict[str, str]:
    # A GIT_DIR or GIT_INDEX_FILE inherited from a surrounding git hook would point
    # git and pre-commit at the wrong repository.
    return {
        key: value for key, value in os.environ.items() if not key.startswith("GIT_")
    }


@pytest.fixture(scope="session")
def pre_commit_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    environment = _clean_environment()
    environment["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    # `language: system` hooks find `guardrails` on PATH: the one installed beside the
    # interpreter running these tests.
    scripts = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([scripts, environment.get("PATH", "")])
    environment.pop("PRE_COMMIT", None)
    environment.pop("SKIP", None)
    return environment


RunPreCommit = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_pre_commit(pre_commit_environment: dict[str, str]) -> RunPreCommit:
    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=cwd,
            env=pre_commit_environment,
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run


ConsumerRepository = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def consumer_repository(tmp_path: Path) -> ConsumerRepository:
    """A git repository (like a jax2onnx checkout) with `files` written and staged."""

    def make(files: Mapping[str, str]) -> Path:
        root = tmp_path / "consumer"
        root.mkdir(exist_ok=True)
        if not (root / ".git").exists():
            git("init", "--quiet", cwd=root)
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git("add", "--all", cwd=root)
        return root

    return make


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository as a hook repository at a commit: HEAD plus the working tree,
    new files included (the code these tests import), as pre-commit clones it."""
    clone = tmp_path_factory.mktemp("hook-repository") / "guardrails"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPOSITORY_ROOT), str(clone)],
        check=True,
        env=_clean_environment(),
    )
    changed = git("diff", "--name-only", "-z", "HEAD", cwd=REPOSITORY_ROOT)
    untracked = git(
        "ls-files", "--others", "--exclude-standard", "-z", cwd=REPOSITORY_ROOT
    )
    for name in filter(None, f"{changed}\0{untracked}".split("\0")):
        source, target = REPOSITORY_ROOT / name, clone / name
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            target.unlink(missing_ok=True)
    git("add", "--all", cwd=clone)
    git(
        "-c",
        "user.name=guardrails tests",
        "-c",
        "user.email=tests@guardrails.invalid",
        "commit",
        "--quiet",
        "--allow-empty",
        "--no-verify",
        "-m",
        "working tree under test",
        cwd=clone,
    )
    return clone, git("rev-parse", "HEAD", cwd=clone)


def readme_pre_commit_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(readme_block("pre-commit-config"))
    return loaded


def readme_config_for(hook_repository: tuple[Path, str]) -> str:
    """The README's `.pre-commit-config.yaml`, with only the repository URL and rev
    pointed at the working tree under test."""
    path, rev = hook_repository
    config = readme_pre_commit_config()
    (entry,) = config["repos"]
    entry["repo"] = str(path)
    entry["rev"] = rev
    return str(yaml.safe_dump(config, sort_keys=False))


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# The manifest.


def test_manifest_validates(run_pre_commit: RunPreCommit) -> None:
    result = run_pre_commit("validate-manifest", str(MANIFEST), cwd=REPOSITORY_ROOT)
    assert result.returncode == 0, output_of(result)


def manifest_hooks() -> dict[str, dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_check_hook_runs_on_python_files_without_configuration() -> None:
    hook = manifest_hooks()["guardrails"]
    assert hook["entry"] == "guardrails check --force-exclude"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    # pre-commit passes the staged file names; no args, no config file needed.
    assert hook.get("pass_filenames", True) is True
    assert "args" not in hook


@pytest.mark.parametrize(
    ("path", "triggers"),
    [
        ("jax2onnx/plugins/jax/lax/add.py", True),
        ("jax2onnx/converter/ir_builder.py", True),
        ("plugins/examples/eqx/dino.py", True),
        ("guardrails-specs/examples.eqx_dino/PatchEmbed/patch_embed.spec", True),
        ("docs/readme.md", False),
        ("jax2onnx/sandbox/plugins_notes.py", False),
        ("tests/test_converter_helpers.py", False),
    ],
)
def test_gate_hook_triggers_on_plugins_converter_and_specs(
    path: str, triggers: bool
) -> None:
    hook = manifest_hooks()["guardrails-gate"]
    # pre-commit matches `files` with re.search against repository-relative paths.
    assert bool(re.search(hook["files"], path)) is triggers


@pytest.mark.parametrize(
    ("hook", "name", "summary"),
    [
        ("guardrails", "import{}.py", "Found 12 findings in 12 files checked."),
        (
            "guardrails-artifacts",
            "model{}.onnx",
            "Found 12 findings in 12 files in git's index checked.",
        ),
    ],
)
def test_check_hooks_run_as_one_batch(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    pre_commit_environment: dict[str, str],
    hook: str,
    name: str,
    summary: str,
) -> None:
    assert manifest_hooks()[hook]["require_serial"] is True
    root = consumer_repository(
        {
            f"jax2onnx/plugins/{name.format(index)}": "import onnx\n"
            for index in range(12)
        }
    )
    # pre-commit splits a parallel hook's files into one batch per core (TRAVIS
    # makes that two on any machine): each batch would be a run of its own.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(REPOSITORY_ROOT),
            hook,
            "--all-files",
        ],
        cwd=root,
        env={**pre_commit_environment, "TRAVIS": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = output_of(result)
    assert result.returncode == 1, output
    summaries = [line for line in output.splitlines() if line.startswith("Found ")]
    assert summaries == [summary], output


def test_gate_hook_runs_on_push_and_on_demand_only() -> None:
    hook = manifest_hooks()["guardrails-gate"]
    assert hook["entry"] == "guardrails gate"
    assert hook["pass_filenames"] is False
    assert hook["stages"] == ["pre-push", "manual"]


# `pre-commit try-repo <this repository> guardrails`.


def test_try_repo_fails_on_onnx_import_under_plugins(
    run_pre_commit: RunPreCommit, consumer_repository: ConsumerRepository
) -> None:
    root = consumer_repository(
        {
            "jax2onnx/plugins/jax/numpy/export.py": ONNX_IMPORT,
            "jax2onnx/plugins/jax/numpy/ok.py": IR_ONLY_PLUGIN,
        }
    )
    result = run_pre_commit(
        "try-repo", str(REPOSITORY_ROOT), "guardrails", "--all-files", cwd=root
    )
    output = output_of(result)
    assert result.returncode == 1, output
    assert "jax2onnx/plugins/jax/numpy/export.py:1:8: GR101" in output
    assert "ok.py" not in output


def test_try_repo_passes_on_clean_tree(
    run_pre_commit: RunPreCommit, consumer_repository: ConsumerRepository
) -> None:
    root = consumer_repository(
        {
            "jax2onnx/plugins/jax/numpy/ok.py": IR_ONLY_PLUGIN,
            # Outside the IR-only paths `import onnx` is allowed.
            "tests/test_roundtrip.py": ONNX_IMPORT,
        }
    )
    result = run_pre_commit(
        "try-repo", str(REPOSITORY_ROOT), "guardrails", "--all-files", cwd=root
    )
    output = output_of(result)
    assert result.returncode == 0, output
    assert re.search(r"guardrails check\.+Passed", output), output


# The `.pre-commit-config.yaml` a jax2onnx maintainer pastes from the README.


def test_readme_config_names_this_repository_and_release() -> None:
    config = readme_pre_commit_config()
    (entry,) = config["repos"]
    assert entry["repo"] == f"https://github.com/{published_repository()}"
    assert entry["rev"] == f"v{__version__}"
    assert [hook["id"] for hook in entry["hooks"]] == list(manifest_hooks())


def test_readme_config_checks_staged_files_on_commit(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "jax2onnx/plugins/jax/numpy/export.py": ONNX_IMPORT,
        }
    )
    result = run_pre_commit("run", cwd=root)
    output = output_of(result)
    assert result.returncode == 1, output
    assert "jax2onnx/plugins/jax/numpy/export.py:1:8: GR101" in output
    # The gate belongs to pre-push, not to every commit.
    assert "guardrails gate" not in output


def test_readme_config_only_checks_the_files_given(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "jax2onnx/plugins/jax/numpy/export.py": ONNX_IMPORT,
            "jax2onnx/plugins/jax/numpy/ok.py": IR_ONLY_PLUGIN,
        }
    )
    result = run_pre_commit(
        "run", "--files", "jax2onnx/plugins/jax/numpy/ok.py", cwd=root
    )
    assert result.returncode == 0, output_of(result)


def test_readme_config_gate_skips_changes_outside_plugins_converter_specs(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "docs/conf.py": "project = 'jax2onnx'\n",
        }
    )
    result = run_pre_commit(
        "run", "guardrails-gate", "--hook-stage", "pre-push", "--all-files", cwd=root
    )
    output = output_of(result)
    assert result.returncode == 0, output
    assert re.search(r"guardrails gate\.+\(no files to check\)Skipped", output)


def test_readme_config_gate_runs_in_the_project_on_plugin_changes(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    # A configuration error stops `guardrails gate` before any export: proof that
    # the hook ran the gate at the project's root with the project's configuration.
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "pyproject.toml": "[tool.guardrails]\nno-such-setting = true\n",
            "jax2onnx/plugins/jax/numpy/ok.py": IR_ONLY_PLUGIN,
        }
    )
    result = run_pre_commit(
        "run", "guardrails-gate", "--hook-stage", "pre-push", "--all-files", cwd=root
    )
    output = output_of(result)
    assert result.returncode == 1, output
    assert "- exit code: 2" in output
    assert "guardrails: error:" in output
    assert "no-such-setting" in output


def example_module(component: str, flagged: bool) -> str:
    flag = '            "run_only_f32_variant": True,\n' if flagged else ""
    return (
        "from jax2onnx.plugins.plugin_system import register_example\n\n"
        "register_example(\n"
        f'    component="{component}",\n'
        '    context="examples.eqx", since="0.1.0",\n'
        "    testcases=[\n"
        "        {\n"
        f'            "testcase": "{component.lower()}_batched",\n'
        '            "callable": lambda x: x,\n'
        f"{flag}"
        "        },\n"
        "    ],\n"
        ")\n"
    )


def test_readme_config_judges_allowlist_entries_of_checked_files_only(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    mlp = "jax2onnx/plugins/examples/eqx/mlp.py"
    cnn = "jax2onnx/plugins/examples/eqx/cnn.py"
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            mlp: example_module("Mlp", flagged=True),
            cnn: example_module("Cnn", flagged=True),
        }
    )
    # Adoption: a baseline allowlist of every flag, then one flag goes away.
    baseline = subprocess.run(
        [sys.executable, "-m", "guardrails", "allowlist", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    consumer_repository({cnn: example_module("Cnn", flagged=False)})

    # A commit touching only mlp.py leaves cnn.py's entry alone...
    result = run_pre_commit("run", "--files", mlp, cwd=root)
    assert result.returncode == 0, output_of(result)
    # ...while one touching cnn.py is told that its entry is stale.
    result = run_pre_commit("run", "--files", cnn, cwd=root)
    output = output_of(result)
    assert result.returncode == 1, output
    assert re.search(r"guardrails-allowlist\.toml:\d+:1: GR302 .*cnn_batched", output)
    assert "mlp_batched" not in output


def test_readme_config_leaves_configured_excludes_unchecked(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
) -> None:
    # Fixtures that break the rules on purpose, excluded in the project's config.
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "pyproject.toml": '[tool.guardrails]\nextend-exclude = ["tests/data"]\n',
            "tests/data/plugins/bad_import.py": ONNX_IMPORT,
            "jax2onnx/plugins/jax/numpy/export.py": ONNX_IMPORT,
        }
    )
    result = run_pre_commit("run", "--all-files", cwd=root)
    output = output_of(result)
    assert result.returncode == 1, output
    assert "jax2onnx/plugins/jax/numpy/export.py:1:8: GR101" in output
    assert "bad_import.py" not in output


@pytest.mark.parametrize(
    ("args", "reported"),
    [
        (
            ["tests/data/jax2onnx/plugins/bad_import.py"],
            ["tests/data/jax2onnx/plugins/bad_import.py"],
        ),
        (["--force-exclude", "tests/data/jax2onnx/plugins/bad_import.py"], []),
        (
            [
                "--force-exclude",
                "tests/data/jax2onnx/plugins/bad_import.py",
                "jax2onnx/plugins/x.py",
            ],
            ["jax2onnx/plugins/x.py"],
        ),
        (["--force-exclude", "tests/data"], []),
    ],
)
def test_force_exclude_applies_configured_excludes_to_named_files(
    tmp_path: Path, args: list[str], reported: list[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.guardrails]\nextend-exclude = ["tests/data"]\n', encoding="utf-8"
    )
    for name in ("tests/data/jax2onnx/plugins/bad_import.py", "jax2onnx/plugins/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(ONNX_IMPORT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--format", "json", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    findings = json.loads(result.stdout)["findings"]
    assert sorted({finding["path"] for finding in findings}) == reported


def test_readme_config_gate_stops_a_git_push(
    run_pre_commit: RunPreCommit,
    consumer_repository: ConsumerRepository,
    hook_repository: tuple[Path, str],
    pre_commit_environment: dict[str, str],
    tmp_path: Path,
) -> None:
    root = consumer_repository(
        {
            ".pre-commit-config.yaml": readme_config_for(hook_repository),
            "pyproject.toml": "[tool.guardrails]\nno-such-setting = true\n",
            "jax2onnx/converter/ir_builder.py": IR_ONLY_PLUGIN,
        }
    )
    installed = run_pre_commit("install", "--hook-type", "pre-push", cwd=root)
    assert installed.returncode == 0, output_of(installed)
    identity = ("-c", "user.name=maintainer", "-c", "user.email=m@example.invalid")
    git(*identity, "commit", "--quiet", "-m", "converter change", cwd=root)
    remote = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)

    push = subprocess.run(
        ["git", "push", str(remote), "HEAD:refs/heads/main"],
        cwd=root,
        env=pre_commit_environment,
        capture_output=True,
        text=True,
    )
    output = output_of(push)
    assert push.returncode != 0, output
    assert re.search(r"guardrails gate\.+Failed", output), output
    assert "no-such-setting" in output
    assert not git("for-each-ref", cwd=remote), "nothing may reach the remote"
