"""The README's replacement of jax2onnx's own scripts: its pre-commit configuration,
`pyproject.toml` setting, CI job and `--fix` sample, checked against copies of
jax2onnx's files (tests/fixtures/upstream), this repository's hooks and workflow,
and real runs of pre-commit and guardrails."""

from __future__ import annotations

import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrails import __version__
from guardrails.cli import main
from guardrails.config import PathMarkerConfig, config_from_table
from guardrails.targets import package_source
from tests.check_support import run_main, write_files
from tests.readme_snippets import (
    REPOSITORY_ROOT,
    git,
    published_repository,
    readme_block,
    reusable_workflow,
    workflow_trigger,
)
from tests.test_precommit import (  # noqa: F401 (fixtures)
    MANIFEST,
    RunPreCommit,
    hook_repository,
    manifest_hooks,
    output_of,
    pre_commit_environment,
    run_pre_commit,
)
from tests.test_workflows import check_jsonschema

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"
# The local hooks whose scripts guardrails' rules replace (mypy stays).
REPLACED = {
    "ensure-path-markers",
    "forbid-reflection-patterns",
    "check-ir-builder-usage",
    "enforce-variable-annotations",
}


def _dropin() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(readme_block("upstream-pre-commit-config"))
    return loaded


def _upstream_config() -> dict[str, Any]:
    text = (UPSTREAM / "pre-commit-config.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _local_hooks(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        hook
        for repo in config["repos"]
        if repo["repo"] == "local"
        for hook in repo["hooks"]
    ]


def test_dropin_keeps_black_ruff_and_mypy_and_replaces_the_scripts() -> None:
    upstream, dropin = _upstream_config(), _dropin()
    remote = [repo for repo in upstream["repos"] if repo["repo"] != "local"]
    assert remote and all(repo in dropin["repos"] for repo in remote)
    upstream_local = _local_hooks(upstream)
    kept = [hook for hook in upstream_local if hook["id"] not in REPLACED]
    assert [hook["id"] for hook in kept] == ["mypy"]
    assert _local_hooks(dropin) == kept
    assert {hook["id"] for hook in upstream_local} - {"mypy"} == REPLACED


def test_dropin_uses_this_repository_and_hooks_it_declares() -> None:
    (entry,) = [repo for repo in _dropin()["repos"] if "guardrails" in repo["repo"]]
    assert entry["repo"] == f"https://github.com/{published_repository()}"
    assert entry["rev"] == f"v{__version__}"
    ids = [hook["id"] for hook in entry["hooks"]]
    assert ids == ["guardrails", "guardrails-artifacts", "guardrails-gate"]
    assert set(ids) <= set(manifest_hooks())


def test_dropin_validates_with_pre_commit(
    run_pre_commit: RunPreCommit,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(readme_block("upstream-pre-commit-config"), encoding="utf-8")
    result = run_pre_commit("validate-config", str(config), cwd=tmp_path)
    assert result.returncode == 0, output_of(result)
    manifest = run_pre_commit("validate-manifest", str(MANIFEST), cwd=REPOSITORY_ROOT)
    assert manifest.returncode == 0, output_of(manifest)


def test_pyproject_setting_turns_on_both_rules_with_upstreams_defaults() -> None:
    table = tomllib.loads(readme_block("upstream-pyproject"))["tool"]["guardrails"]
    config = config_from_table(REPOSITORY_ROOT, None, table)
    assert config.extend_select == ("GR404", "GR405")
    settings = tomllib.loads(readme_block("path-marker-config"))
    marker = settings["tool"]["guardrails"]["path-marker"]
    # The block says it shows the defaults.
    assert tuple(marker["include"]) == PathMarkerConfig().include
    assert tuple(marker["exclude"]) == PathMarkerConfig().exclude


def test_dropin_hooks_stop_a_commit_without_markers_or_with_a_model(
    run_pre_commit: RunPreCommit,  # noqa: F811 (the fixture)
    hook_repository: tuple[Path, str],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    # The README's configuration with only guardrails' entry (the others would
    # be fetched from GitHub), pointed at the working tree under test.
    path, rev = hook_repository
    (entry,) = [repo for repo in _dropin()["repos"] if "guardrails" in repo["repo"]]
    config = {"repos": [{**entry, "repo": str(path), "rev": rev}]}
    root = tmp_path / "jax2onnx-checkout"
    root.mkdir()
    git("init", "--quiet", cwd=root)
    write_files(
        root,
        {
            ".pre-commit-config.yaml": yaml.safe_dump(config, sort_keys=False),
            "pyproject.toml": readme_block("upstream-pyproject"),
            "jax2onnx/plugins/jax/lax/add.py": "from jax import lax\n",
            "jax2onnx/plugins/jax/lax/ok.py": "# jax2onnx/plugins/jax/lax/ok.py\n\n",
            "docs/onnx/model.onnx": b"\x08\x07\x00binary",
        },
    )
    git("add", "--all", cwd=root)
    result = run_pre_commit("run", cwd=root)
    output = output_of(result)
    assert result.returncode == 1, output
    assert (
        "jax2onnx/plugins/jax/lax/add.py:1:1: GR404 missing path marker "
        "`# jax2onnx/plugins/jax/lax/add.py` as line 1 [*]"
    ) in output
    assert "docs/onnx/model.onnx:1:1: GR405" in output
    assert "ok.py" not in output

    # Fixed and unstaged: the commit goes through.
    assert run_main("check", "--fix", cwd=root).exit_code == 1  # the model stays
    git("rm", "--cached", "--quiet", "docs/onnx/model.onnx", cwd=root)
    git("add", "jax2onnx", cwd=root)
    result = run_pre_commit("run", cwd=root)
    assert result.returncode == 0, output_of(result)


def test_ci_job_is_a_valid_job_of_jax2onnx_ci_calling_this_workflow(
    tmp_path: Path,
) -> None:
    # Pasted at the end of jax2onnx's workflow, under its `jobs:`.
    snippet = readme_block("upstream-ci-job")
    ci = (UPSTREAM / "ci.yml").read_text(encoding="utf-8")
    workflow = tmp_path / "ci.yml"
    workflow.write_text(ci.rstrip("\n") + "\n\n" + snippet, encoding="utf-8")
    result = check_jsonschema(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    job: dict[str, Any] = yaml.safe_load(snippet)
    assert set(yaml.safe_load(workflow.read_text("utf-8"))["jobs"]) == {
        "onnxruntime-web-smoke",
        "minimum-dependencies",
        "test",
        *job,
    }

    (call,) = job.values()
    caller = yaml.safe_load(readme_block("workflow-call"))
    (documented,) = caller["jobs"].values()
    # The same pinned workflow and ref as the documented caller.
    assert call["uses"] == documented["uses"]
    assert call["with"]["guardrails-ref"] == documented["with"]["guardrails-ref"]
    inputs = workflow_trigger(reusable_workflow())["workflow_call"]["inputs"]
    assert set(call["with"]) <= set(inputs)
    # The whole checkout, so GR405 sees docs/onnx; the gate exports the checkout.
    assert call["with"]["paths"] == "."
    assert call["with"].get("gate", inputs["gate"]["default"]) is True
    assert call["with"]["install"] == "-e ."
    assert call["permissions"] == documented["permissions"]


def test_readme_fix_sample_is_real_output(tmp_path: Path) -> None:
    package = package_source("jax2onnx")
    root = tmp_path / "release"
    shutil.copytree(
        package, root / "jax2onnx", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    add = root / "jax2onnx/plugins/jax/lax/add.py"
    sub = root / "jax2onnx/plugins/jax/lax/sub.py"
    add.write_text(add.read_text(encoding="utf-8").split("\n", 2)[2], encoding="utf-8")
    sub_lines = sub.read_text(encoding="utf-8").split("\n")
    sub_lines[0] = "# jax2onnx/plugins/jax/lax/subtract.py"
    sub.write_text("\n".join(sub_lines), encoding="utf-8")

    block = readme_block("fix-sample").splitlines()
    commands = [n for n, line in enumerate(block) if line.startswith("$ ")]
    for start, end in zip(commands, [*commands[1:], len(block)], strict=True):
        arguments = block[start].removeprefix("$ guardrails ").split()
        run = run_main(*arguments, cwd=root)
        # What a terminal shows: the fixes (stderr) come before the report.
        assert (run.stderr + run.stdout).splitlines() == block[start + 1 : end]
    assert add.read_bytes() == (package / "plugins/jax/lax/add.py").read_bytes()
    assert sub.read_bytes() == (package / "plugins/jax/lax/sub.py").read_bytes()


def test_dropin_gate_steps_write_specs_that_then_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The drop-in's gate commands, as written, in a project with the drop-in's
    `pyproject.toml`: the first writes the specs where the page says, the second
    passes. One component's testcases keep it short (`--only`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        readme_block("upstream-pyproject"), encoding="utf-8"
    )
    commands = [
        shlex.split(line)[1:]
        for line in readme_block("upstream-gate").splitlines()
        if line.startswith("guardrails ")
    ]
    assert commands == [["gate", "--update"], ["gate"]]
    only = ["--only", "examples.eqx_dino::PatchEmbed::*"]
    assert main([*commands[0], *only]) == 0, capsys.readouterr()
    specs = sorted(tmp_path.glob("guardrails-specs/examples.eqx_dino/PatchEmbed/*"))
    assert [spec.suffix for spec in specs] == [".spec"], specs
    assert main([*commands[1], *only]) == 0, capsys.readouterr()
