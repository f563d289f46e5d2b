"""The GitHub Actions workflows: schema, audit, hardening, and the README's snippets.

Schema validation and the security audit use the real tools (check-jsonschema's
vendored GitHub workflow schema and zizmor, offline); the README's caller workflow and
result samples are checked against the workflow file and the real formatters.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.readme_snippets import (
    REPOSITORY_ROOT,
    REUSABLE_WORKFLOW,
    git,
    published_repository,
    readme_block,
    readme_table,
    reusable_workflow,
    workflow_trigger,
)

WORKFLOWS = sorted((REPOSITORY_ROOT / ".github" / "workflows").glob("*.y*ml"))
CI_WORKFLOW = REPOSITORY_ROOT / ".github" / "workflows" / "ci.yml"
SCRIPTS = Path(sys.executable).parent
FULL_SHA = re.compile(r"[0-9a-f]{40}")
PERMISSION_LEVEL = {"none": 0, "read": 1, "write": 2}


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return loaded


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def tool(name: str) -> str:
    return str(SCRIPTS / name)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
    )


def zizmor_findings(*paths: Path) -> list[dict[str, Any]]:
    """zizmor's findings (offline, default persona) at medium severity or above."""
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    # zizmor exits non-zero when it reports findings; a crash prints no JSON.
    assert result.stdout.strip(), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return [
        finding
        for finding in findings
        if finding["determinations"]["severity"] in ("Medium", "High")
    ]


def describe(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{f['ident']} ({f['determinations']['severity']}): "
        f"{f['locations'][0]['concrete']['feature'].strip()}"
        for f in findings
    )


# Schema and audit.


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_validates_against_github_schema(workflow: Path) -> None:
    result = check_jsonschema(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "guardrails.yml"}


def test_zizmor_finds_nothing_medium_or_above() -> None:
    findings = zizmor_findings(*WORKFLOWS)
    assert not findings, describe(findings)


# Hardening, checked directly so a regression names the exact line.


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_actions_pinned_by_full_commit_sha_with_version_comment(
    workflow: Path,
) -> None:
    for line in workflow.read_text("utf-8").splitlines():
        found = re.match(r"\s*(?:-\s+)?uses:\s*(?P<target>\S+)(?P<rest>.*)", line)
        if found is None or found["target"].startswith("./"):
            continue
        _, _, ref = found["target"].partition("@")
        assert FULL_SHA.fullmatch(ref), line
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", found["rest"]), line


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege_permissions(workflow: Path) -> None:
    loaded = load(workflow)
    assert loaded["permissions"] == {}, "grant nothing by default, per job instead"
    for job_id, job in loaded["jobs"].items():
        assert "permissions" in job, f"job {job_id} declares no permissions"
        uploads_sarif = any(
            "codeql-action/upload-sarif@" in step.get("uses", "")
            for step in job.get("steps", [])
        )
        calls_reusable = "uses" in job
        if job["permissions"].get("security-events") == "write":
            assert uploads_sarif or calls_reusable, job_id
        if uploads_sarif:
            assert job["permissions"] == {
                "contents": "read",
                "security-events": "write",
                "actions": "read",
            }
        elif not calls_reusable:
            assert job["permissions"] == {"contents": "read"}, job_id


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_no_expressions_inside_run_scripts(workflow: Path) -> None:
    # Expressions are spliced into the script before the shell parses it; inputs and
    # event data must arrive through `env:` instead.
    for job_id, step in steps(load(workflow)):
        if "run" in step:
            assert "${{" not in step["run"], f"{job_id}: {step['run']}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_checkouts_keep_no_credentials(workflow: Path) -> None:
    checkouts = [
        step
        for _, step in steps(load(workflow))
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


# What each workflow does.


def run_scripts(workflow: dict[str, Any], job_id: str) -> list[str]:
    return [step["run"] for step in workflow["jobs"][job_id]["steps"] if "run" in step]


def test_ci_runs_lint_types_tests_and_gate_on_both_pythons() -> None:
    ci = load(CI_WORKFLOW)
    assert set(workflow_trigger(ci)) == {"push", "pull_request"}
    test_job = ci["jobs"]["test"]
    assert test_job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12"]
    scripts = "\n".join(run_scripts(ci, "test"))
    for command in (
        "pip install --quiet -e '.[gate,dev]'",
        "ruff check .",
        "ruff format --check .",
        "mypy --strict guardrails/",
        "python -m pytest",
        "guardrails gate",
    ):
        assert command in scripts


def test_ci_dogfoods_the_reusable_workflow_with_its_inputs() -> None:
    call = load(CI_WORKFLOW)["jobs"]["guardrails"]
    assert call["uses"] == "./.github/workflows/guardrails.yml"
    assert_valid_call(call)


def test_reusable_workflow_inputs() -> None:
    inputs = workflow_trigger(reusable_workflow())["workflow_call"]["inputs"]
    assert inputs["paths"] == {
        "description": inputs["paths"]["description"],
        "type": "string",
        "default": ".",
    }
    assert inputs["gate"]["type"] == "boolean"
    assert inputs["guardrails-ref"]["required"] is True


def test_reusable_workflow_annotates_uploads_sarif_and_gates() -> None:
    workflow = reusable_workflow()
    check = workflow["jobs"]["check"]
    scripts = run_scripts(workflow, "check")
    sarif_step = next(s for s in scripts if "--format sarif" in s)
    assert "--output guardrails.sarif" in sarif_step
    # The report must exist even when there are findings; the annotation step fails.
    assert "--exit-zero" in sarif_step
    assert any("--format github" in s and "--exit-zero" not in s for s in scripts)
    upload = next(
        step
        for step in check["steps"]
        if "codeql-action/upload-sarif@" in step.get("uses", "")
    )
    assert upload["with"]["sarif_file"] == "guardrails.sarif"

    gate = workflow["jobs"]["gate"]
    assert gate["if"] == "${{ inputs.gate }}"
    assert "guardrails gate" in run_scripts(workflow, "gate")
    installs = "\n".join(run_scripts(workflow, "gate"))
    assert 'source="git+https://github.com/${GUARDRAILS_REPOSITORY}@' in installs
    assert '"guardrails[gate] @ ${source}"' in installs
    # With `install` (a jax2onnx checkout): one pip run, no jax2onnx release first.
    assert '"guardrails[gate-checkout] @ ${source}" $PROJECT_INSTALL' in installs
    assert installs.count("pip install") == 2  # the two branches of one step


# The README's caller workflow.


def readme_caller() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(readme_block("workflow-call"))
    return loaded


def assert_valid_call(
    call: dict[str, Any], workflow: dict[str, Any] | None = None
) -> None:
    """`call` (a job that `uses:` the reusable workflow) passes only declared inputs,
    every required one, and grants at least what the called jobs ask for."""
    workflow = workflow or reusable_workflow()
    inputs = workflow_trigger(workflow)["workflow_call"]["inputs"]
    given = call.get("with", {})
    assert set(given) <= set(inputs), set(given) - set(inputs)
    required = {name for name, spec in inputs.items() if spec.get("required")}
    assert required <= set(given), required - set(given)
    granted = call["permissions"]
    for job_id, job in workflow["jobs"].items():
        for scope, level in job["permissions"].items():
            held = PERMISSION_LEVEL[granted.get(scope, "none")]
            assert held >= PERMISSION_LEVEL[level], f"{job_id} needs {scope}: {level}"


def test_readme_caller_uses_this_workflow_pinned_to_a_commit_of_this_repository() -> (
    None
):
    (call,) = readme_caller()["jobs"].values()
    target, _, sha = call["uses"].partition("@")
    relative = REUSABLE_WORKFLOW.relative_to(REPOSITORY_ROOT).as_posix()
    assert target == f"{published_repository()}/{relative}"
    assert FULL_SHA.fullmatch(sha)
    assert call["with"]["guardrails-ref"] == sha
    # The pinned commit exists here and its workflow accepts exactly this call.
    pinned = git("show", f"{sha}:{relative}", cwd=REPOSITORY_ROOT)
    assert_valid_call(call, yaml.safe_load(pinned))
    assert_valid_call(call)


def test_readme_caller_validates_and_passes_zizmor(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    caller = workflows / "guardrails.yml"
    caller.write_text(readme_block("workflow-call"), encoding="utf-8")
    result = check_jsonschema(caller)
    assert result.returncode == 0, result.stdout + result.stderr
    findings = zizmor_findings(caller)
    assert not findings, describe(findings)


def test_readme_inputs_table_matches_the_workflow() -> None:
    inputs = workflow_trigger(reusable_workflow())["workflow_call"]["inputs"]
    documented = {
        name.strip("`"): default for name, default, _ in readme_table("workflow-inputs")
    }
    assert set(documented) == set(inputs)
    for name, spec in inputs.items():
        if spec.get("required"):
            assert documented[name] == "(required)"
        else:
            default = spec["default"]
            shown = json.dumps(default) if default in ("", True, False) else default
            assert documented[name] == f"`{shown}`", name


# The README's result samples are real output.

SAMPLE_TREE = {"jax2onnx/plugins/jax/numpy/export.py": "import onnx\n"}


def write_sample_tree(root: Path) -> None:
    for name, text in SAMPLE_TREE.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def guardrails(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_readme_annotation_sample_is_real_output(tmp_path: Path) -> None:
    command, *expected = readme_block("annotation-sample").splitlines()
    program, *args = shlex.split(command.removeprefix("$ "))
    assert program == "guardrails"
    write_sample_tree(tmp_path)
    result = guardrails(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == expected


def is_excerpt(excerpt: Any, actual: Any) -> bool:
    """Every key of `excerpt` is in `actual` with the same value (recursively)."""
    if isinstance(excerpt, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_excerpt(value, actual[key])
            for key, value in excerpt.items()
        )
    if isinstance(excerpt, list):
        return (
            isinstance(actual, list)
            and len(excerpt) == len(actual)
            and all(map(is_excerpt, excerpt, actual))
        )
    return bool(excerpt == actual)


def test_readme_sarif_sample_is_an_excerpt_of_real_output(tmp_path: Path) -> None:
    excerpt = json.loads(readme_block("sarif-sample"))
    write_sample_tree(tmp_path)
    result = guardrails("check", "--format", "sarif", "jax2onnx", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (run,) = json.loads(result.stdout)["runs"]
    (actual,) = run["results"]
    assert is_excerpt(excerpt, actual), json.dumps(actual, indent=2)
    documented = run["tool"]["driver"]["rules"][actual["ruleIndex"]]
    assert documented["id"] == "GR101"


# The check job's own shell steps, run here the way the runner runs them.

INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.(?P<name>[\w-]+)\s*\}\}")


def run_job_scripts(
    job_id: str, inputs: dict[str, str], cwd: Path
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each `run:` step of the reusable workflow's job, in order, with its `env:`
    expressions filled from `inputs`, under bash as GitHub runs it. Install steps
    are left out: guardrails is installed here already (from this working tree)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GIT_")
    }
    environment["PATH"] = os.pathsep.join([str(SCRIPTS), environment["PATH"]])
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    for step in reusable_workflow()["jobs"][job_id]["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue
        step_environment = dict(environment)
        for name, value in step.get("env", {}).items():
            found = INPUT_EXPRESSION.fullmatch(value)
            assert found is not None, f"{name}: {value}"
            step_environment[name] = inputs[found["name"]]
        results[step["name"]] = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=step_environment,
            capture_output=True,
            text=True,
        )
    return results


def test_check_job_steps_annotate_and_write_sarif(tmp_path: Path) -> None:
    write_sample_tree(tmp_path)
    (tmp_path / "tools" / "jax2onnx" / "plugins").mkdir(parents=True)
    (tmp_path / "tools" / "jax2onnx" / "plugins" / "lower.py").write_text(
        "from onnx import helper\n", encoding="utf-8"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plugins.py").write_text("import onnx\n", encoding="utf-8")
    # A YAML block scalar in the caller gives one path per line.
    results = run_job_scripts("check", {"paths": "jax2onnx\ntools\n"}, tmp_path)

    assert list(results) == ["SARIF report", "guardrails check"]
    sarif = results["SARIF report"]
    assert sarif.returncode == 0, sarif.stderr
    (run,) = json.loads((tmp_path / "guardrails.sarif").read_text("utf-8"))["runs"]
    assert sorted(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
    ) == ["jax2onnx/plugins/jax/numpy/export.py", "tools/jax2onnx/plugins/lower.py"]

    annotate = results["guardrails check"]
    assert annotate.returncode == 1, annotate.stderr
    annotations = annotate.stdout.splitlines()
    assert len(annotations) == 2
    assert all(line.startswith("::error file=") for line in annotations)
    assert "docs/plugins.py" not in annotate.stdout


def test_check_job_steps_pass_on_a_clean_tree(tmp_path: Path) -> None:
    (tmp_path / "jax2onnx" / "plugins").mkdir(parents=True)
    (tmp_path / "jax2onnx" / "plugins" / "ok.py").write_text(
        "import onnx_ir as ir\n", encoding="utf-8"
    )
    results = run_job_scripts("check", {"paths": "."}, tmp_path)
    for name, result in results.items():
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
    (run,) = json.loads((tmp_path / "guardrails.sarif").read_text("utf-8"))["runs"]
    assert run["results"] == []


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower()
        for requirement in requirements
    }


def test_gate_checkout_extra_is_what_jax2onnx_does_not_bring() -> None:
    """With a jax2onnx checkout installed beside it, `gate-checkout` completes the
    gate's stack without pulling in a jax2onnx release."""
    import tomllib
    from importlib.metadata import requires

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    brought = _names([r for r in requires("jax2onnx") or [] if "extra ==" not in r])
    assert "jax2onnx" not in _names(extras["gate-checkout"])
    assert _names(extras["gate-checkout"]) == (
        _names(extras["gate"]) - brought - {"jax2onnx"}
    )
