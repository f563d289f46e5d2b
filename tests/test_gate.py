"""`guardrails gate` on this repository: one real run (the CLI, jax2onnx, onnxruntime)
whose JSON, summary and exit code several tests read."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guardrails.gate.report import summary_cell
from tests.conftest import run_python

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "guardrails-specs"
DINO = "examples.eqx_dino"
POSEMB = "examples.eqx_dino_learned_posemb::LearnedPosEmbedViT"
DINO_TESTCASES = {
    f"{DINO}::PatchEmbed::patch_embed",
    f"{DINO}::AttentionCore::attention_core",
    f"{DINO}::Attention::attention",
    f"{DINO}::Block::transformer_block",
    *(
        f"{DINO}::DINOv3VisionTransformer::eqx_dinov3_vit_{name}"
        for name in ("Ti14", "S14", "B14", "S16")
    ),
}
KNOWN_FAILURES = {
    f"{POSEMB}::learned_posemb_{size}_{mode}"
    for size in (168, 280)
    for mode in ("antialias", "no_antialias")
}
STATUSES = {
    "match",
    "drift",
    "check-failed",
    "parity-failed",
    "export-failed",
    "known-failure",
    "fixed",
    "missing-spec",
}


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("gate")
    step_summary = folder / "step-summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    before = _tree_digest(SPECS)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "guardrails",
            "gate",
            "--no-cache",  # a real run, whatever an earlier one left
            "--format",
            "json",
            "--summary",
            str(folder / "summary.md"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(step_summary)},
        check=False,
    )
    return {
        "completed": completed,
        "report": json.loads(completed.stdout),
        "summary": (folder / "summary.md").read_text(encoding="utf-8"),
        "step_summary": step_summary.read_text(encoding="utf-8"),
        "specs_before": before,
        "specs_after": _tree_digest(SPECS),
    }


def _by_id(gate_run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["id"]: case for case in gate_run["report"]["testcases"]}


@pytest.mark.slow  # reads the module's full gate run
def test_clean_run_on_the_committed_specs_exits_zero(gate_run: dict[str, Any]) -> None:
    completed = gate_run["completed"]
    assert completed.returncode == 0, completed.stderr[-2000:]
    cases = _by_id(gate_run)
    for testcase in DINO_TESTCASES | {f"{POSEMB}::learned_posemb_224_trained_grid"}:
        assert cases[testcase]["status"] == "match", cases[testcase]
        assert cases[testcase]["diff"] == ""


@pytest.mark.slow  # reads the module's full gate run
def test_every_dino_testcase_is_gated_with_a_committed_spec(
    gate_run: dict[str, Any],
) -> None:
    assert set(_by_id(gate_run)) >= DINO_TESTCASES
    for testcase in DINO_TESTCASES:
        context, component, name = testcase.split("::")
        assert (SPECS / context / component / f"{name}.spec").is_file()


@pytest.mark.slow  # reads the module's full gate run
def test_the_run_writes_nothing_in_the_repository(gate_run: dict[str, Any]) -> None:
    assert gate_run["specs_after"] == gate_run["specs_before"]


@pytest.mark.slow  # reads the module's full gate run
def test_json_contract(gate_run: dict[str, Any]) -> None:
    report = gate_run["report"]
    assert set(report) == {"versions", "testcases"}
    assert report["versions"]["jax2onnx"] == "0.17.1"
    assert {"jax", "onnx-ir", "onnxruntime"} <= set(report["versions"])
    for case in report["testcases"]:
        assert set(case) == {
            "id",
            "status",
            "diff",
            "reason",
            "max_abs_error",
            "seconds",
            "f64",
            "equimo",
            "cached",
        }
        assert case["id"].count("::") == 2
        assert case["status"] in STATUSES
        assert isinstance(case["diff"], str)
        assert isinstance(case["reason"], str)
        assert case["max_abs_error"] is None or isinstance(case["max_abs_error"], float)
        assert isinstance(case["seconds"], float)
        assert set(case["f64"]) == {"status", "reason"}
        assert case["cached"] is False
        assert case["f64"]["status"] in {"passes", "fails", "not-probed"}


@pytest.mark.slow  # reads the module's full gate run
def test_parity_errors_are_small_and_within_tolerance(
    gate_run: dict[str, Any],
) -> None:
    cases = _by_id(gate_run)
    for testcase in DINO_TESTCASES:
        error = cases[testcase]["max_abs_error"]
        assert error is not None
        assert 0.0 <= error < 1e-4, (testcase, error)


@pytest.mark.slow  # reads the module's full gate run
def test_equimo_parity_of_the_dino_examples(gate_run: dict[str, Any]) -> None:
    cases = _by_id(gate_run)
    compared = {
        f"{DINO}::DINOv3VisionTransformer::eqx_dinov3_vit_S16": True,
        f"{POSEMB}::learned_posemb_224_trained_grid": True,
        **dict.fromkeys(KNOWN_FAILURES, False),  # their exports do not run: JAX only
    }
    for testcase, in_onnx in compared.items():
        parity = cases[testcase]["equimo"]
        assert parity["failure"] == "", parity
        assert 0.0 < parity["jax_max_abs_error"] < 1e-4
        assert (parity["onnx_max_abs_error"] is not None) == in_onnx
        if in_onnx:
            assert 0.0 < parity["onnx_max_abs_error"] < 1e-4
    assert cases[f"{DINO}::Block::transformer_block"]["equimo"] is None
    assert "### Equimo parity" in gate_run["summary"]
    reference = summary_cell("dinov3_vits16_pretrain_lvd1689m")
    assert f"| {reference} |" in gate_run["summary"]


@pytest.mark.slow  # reads the module's full gate run
def test_f64_probe_results_on_jax2onnx_0_17_1(gate_run: dict[str, Any]) -> None:
    cases = _by_id(gate_run)
    patch_embed = cases[f"{DINO}::PatchEmbed::patch_embed"]["f64"]
    assert patch_embed["status"] == "fails"
    assert "Conv" in patch_embed["reason"]
    block = cases[f"{DINO}::Block::transformer_block"]["f64"]
    assert block["status"] == "fails"
    assert "Erf" in block["reason"]
    assert cases[f"{DINO}::AttentionCore::attention_core"]["f64"]["status"] == "passes"
    for case in cases.values():
        assert "\n" not in case["f64"]["reason"]


@pytest.mark.slow  # reads the module's full gate run
def test_learned_posemb_variants_are_known_failures_for_their_reasons(
    gate_run: dict[str, Any],
) -> None:
    cases = _by_id(gate_run)
    for testcase in KNOWN_FAILURES:
        case = cases[testcase]
        assert case["status"] == "known-failure", case
        assert "(recorded:" not in case["reason"], case["reason"]
        if testcase.endswith("_no_antialias"):
            assert "Resize" in case["reason"]
            assert "'Cubic' mode only supports" in case["reason"]
        else:
            assert "NotImplementedError" in case["reason"]
            assert "antialias=True" in case["reason"]


@pytest.mark.slow  # reads the module's full gate run
def test_summary_table_and_github_step_summary(gate_run: dict[str, Any]) -> None:
    summary = gate_run["summary"]
    assert "| testcase | status | max error | f64 | seconds |" in summary
    for case in gate_run["report"]["testcases"]:
        shown = summary_cell(case["id"])
        assert f"| <code>{shown}</code> | {case['status']} |" in summary
    assert "gate passed" in summary
    step_summary = gate_run["step_summary"]
    assert step_summary.startswith("earlier step\n")
    assert step_summary.endswith(summary)


def test_check_never_imports_the_gate_stack() -> None:
    probe = (
        "import sys\n"
        "from guardrails.cli import main\n"
        "main(['check', 'guardrails/gate', '--no-cache'])\n"
        "heavy = {'jax', 'jax2onnx', 'onnx', 'onnxruntime', 'equinox', 'equimo'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    completed = run_python(probe, REPO)
    assert completed.stdout.strip().splitlines()[-1] == "[]", completed.stderr
