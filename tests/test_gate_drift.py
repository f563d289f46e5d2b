"""The gate on small real exports in a scratch project: drift, --update, missing specs,
known failures that get fixed, configuration errors, the spec format itself.

These run in-process through `guardrails.cli.main` (jax2onnx loads once) against
examples registered by modules that a scratch configuration lists.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from guardrails.cli import main

OPSET18 = "tests.gate_opset18::Block::block_opset18"

# The DINO example's Block at opset 18, where jax2onnx lowers GELU to its formula
# (with `Erf`) instead of the single `Gelu` op of opset 20 and later.
REGISTER_OPSET18 = """
from jax2onnx.plugins.examples.eqx.dino import Block
from jax2onnx.plugins.plugin_system import (
    construct_and_call,
    register_example,
    with_prng_key,
)

register_example(
    component="Block",
    description="DINO Block exported at opset 18.",
    since="tests",
    context="tests.gate_opset18",
    testcases=[
        {
            "testcase": "block_opset18",
            "callable": construct_and_call(
                Block, dim=64, num_heads=2, key=with_prng_key(0)
            ),
            "input_shapes": [("B", 17, 64)],
            "opset_version": 18,
            "run_only_f32_variant": True,
        }
    ],
)
"""

# A lowering-relevant change to the example: the tanh GELU where it uses the exact one.
FORCE_TANH_GELU = """
import jax
from jax2onnx.plugins.examples.eqx import dino

dino._exact_gelu = lambda x: jax.nn.gelu(x, approximate=True)
"""


def _project(
    folder: Path,
    modules: dict[str, str],
    examples: list[str],
    known_failures: dict[str, str] | None = None,
) -> Path:
    """A scratch project: modules next to a pyproject.toml with the gate table."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    lines = [
        "[tool.guardrails.gate]",
        f"examples = {json.dumps(examples)}",
        f"modules = {json.dumps(list(modules))}",
        'specs = "specs"',
    ]
    if known_failures:
        lines.append("[tool.guardrails.gate.known-failures]")
        lines += [
            f"{json.dumps(k)} = {json.dumps(v)}" for k, v in known_failures.items()
        ]
    config = folder / "pyproject.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["gate", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def _only_case(report: Any) -> dict[str, Any]:
    (case,) = report["testcases"]
    return case  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def register_name() -> str:
    # A module name of its own, so importing it registers the example exactly once.
    return "gate_block_opset18"


@pytest.fixture
def keep_dino_gelu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Restore the example's GELU after a test whose module forces the tanh one."""
    from jax2onnx.plugins.examples.eqx import dino  # type: ignore[import-untyped]

    monkeypatch.setattr(dino, "_exact_gelu", dino._exact_gelu)


@pytest.mark.slow
def test_missing_spec_then_update_round_trip_then_drift(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    register_name: str,
    keep_dino_gelu: None,
) -> None:
    project = tmp_path / "project"
    config = _project(
        project, {register_name: REGISTER_OPSET18}, ["tests.gate_opset18"]
    )
    spec = project / "specs" / "tests.gate_opset18" / "Block" / "block_opset18.spec"

    # No spec yet: missing-spec, exit 1, and nothing is written.
    code, report = _gate(capsys, "--config", str(config))
    case = _only_case(report)
    assert (code, case["status"]) == (1, "missing-spec")
    assert (
        "no spec at specs/tests.gate_opset18/Block/block_opset18.spec" in case["reason"]
    )
    assert not (project / "specs").exists()

    # --update creates it; the next plain run matches.
    code, report = _gate(capsys, "--config", str(config), "--update")
    case = _only_case(report)
    assert (code, case["status"]) == (0, "match")
    assert case["reason"] == f"created {spec.relative_to(project).as_posix()}"
    text = spec.read_text(encoding="utf-8")
    assert "node Erf -> float[B,17,256]" in text
    code, report = _gate(capsys, "--config", str(config))
    assert (code, _only_case(report)["status"]) == (0, "match")
    assert not [p for p in spec.parent.iterdir() if p.name.startswith(".")]

    # The tanh GELU: a real lowering drift, reported and not written.
    drift_config = _project(
        tmp_path / "project",
        {register_name: REGISTER_OPSET18, "gate_force_tanh_gelu": FORCE_TANH_GELU},
        ["tests.gate_opset18"],
    )
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    code, report = _gate(capsys, "--config", str(drift_config))
    case = _only_case(report)
    assert (code, case["status"]) == (1, "drift")
    diff = case["diff"]
    assert "function custom.DinoMlp.1:DinoMlp:" in diff
    assert "ops vanished: Erf x1" in diff
    assert "ops appeared: Tanh x1" in diff
    assert "- node" in diff and "+ node" in diff
    assert case["reason"].startswith("drift: ")
    assert "+Tanh" in case["reason"] and "-Erf" in case["reason"]
    assert hashlib.sha256(spec.read_bytes()).hexdigest() == digest

    # --update accepts the new lowering; then it matches again.
    code, report = _gate(capsys, "--config", str(drift_config), "--update")
    case = _only_case(report)
    assert (code, case["status"]) == (0, "match")
    assert case["reason"].startswith("updated specs/")
    assert "Erf" in case["diff"]  # what the update changed
    assert "node Tanh" in spec.read_text(encoding="utf-8")
    code, report = _gate(capsys, "--config", str(drift_config))
    assert (code, _only_case(report)["status"]) == (0, "match")


def test_text_output_names_the_drift(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep_dino_gelu: None,
) -> None:
    """At the default opset the exact and tanh GELU differ in `Gelu`'s attribute."""
    repo_spec = (
        Path(__file__).resolve().parents[1]
        / "guardrails-specs/examples.eqx_dino/Block/transformer_block.spec"
    )
    project = tmp_path / "project"
    config = _project(
        project, {"gate_force_tanh_gelu_block": FORCE_TANH_GELU}, ["examples.eqx_dino"]
    )
    target = project / "specs/examples.eqx_dino/Block/transformer_block.spec"
    target.parent.mkdir(parents=True)
    target.write_bytes(repo_spec.read_bytes())
    code = main(["gate", "--config", str(config), "--only", "*::Block::*"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("drift         examples.eqx_dino::Block::transformer_block")
    assert "Gelu[approximate=none]" in out and "Gelu[approximate=tanh]" in out
    assert "gate failed: 1 drift (1 testcases" in out
    accept = (
        "    to accept it: guardrails gate --update --only "
        f"examples.eqx_dino::Block::transformer_block --config {config}"
    )
    assert accept in out.splitlines()
    assert target.read_bytes() == repo_spec.read_bytes()


def test_drift_in_repeated_functions_is_shown_once(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep_dino_gelu: None,
) -> None:
    """The tanh GELU in a 12-block ViT: one entry for the 12 alike MLPs."""
    relative = "examples.eqx_dino/DINOv3VisionTransformer/eqx_dinov3_vit_Ti14.spec"
    repo_spec = Path(__file__).resolve().parents[1] / "guardrails-specs" / relative
    project = tmp_path / "project"
    config = _project(
        project,
        {"gate_force_tanh_gelu_vit": FORCE_TANH_GELU},
        ["examples.eqx_dino::DINOv3VisionTransformer"],
    )
    target = project / "specs" / relative
    target.parent.mkdir(parents=True)
    target.write_bytes(repo_spec.read_bytes())
    code = main(["gate", "--config", str(config), "--only", "*::*_Ti14"])
    out = capsys.readouterr().out
    assert code == 1
    assert "function custom.DinoMlp.1\u201312:DinoMlp (12 alike):" in out
    assert out.count("Gelu[approximate=tanh]") == 1
    assert "function custom.DinoMlp.2:" not in out
    assert (
        "to accept it: guardrails gate --update --only "
        "examples.eqx_dino::DINOv3VisionTransformer::eqx_dinov3_vit_Ti14"
    ) in out


def test_known_failure_that_passes_is_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    testcase = "examples.eqx_dino::AttentionCore::attention_core"
    config = _project(
        tmp_path,
        {},
        ["examples.eqx_dino::AttentionCore"],
        known_failures={testcase: "pretend it cannot export"},
    )
    code, report = _gate(capsys, "--config", str(config))
    case = _only_case(report)
    assert (code, case["status"]) == (1, "fixed")
    assert "remove it from known-failures" in case["reason"]
    assert case["max_abs_error"] is not None
    assert not (tmp_path / "specs").exists()  # known failures never get a spec


def test_float64_probe_leaves_float32_the_default() -> None:
    """The probe (run by the gate's worker process) scopes x64 to itself."""
    import jax.numpy as jnp
    from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
        EXAMPLE_REGISTRY,
        import_all_plugins,
    )

    from guardrails.gate.export import Testcase
    from guardrails.gate.numerics import probe_float64

    import_all_plugins()
    meta = EXAMPLE_REGISTRY["examples.eqx_dino::AttentionCore"]
    testcase = Testcase(
        "examples.eqx_dino", "AttentionCore", "attention_core", meta["testcases"][0]
    )
    probe = probe_float64(testcase)
    assert (probe.status, probe.reason) == (
        "passes",
        "float64 exports, runs and matches: the flag can go",
    )
    assert jnp.zeros(()).dtype == jnp.float32
    assert jnp.asarray(1.0).dtype == jnp.float32


@pytest.mark.parametrize(
    ("examples", "only", "message"),
    [
        ([], None, "no examples to gate"),
        (["examples.nowhere"], None, "'examples.nowhere' is not registered"),
        (["examples.eqx_dino::PatchEmbed"], "nothing*", "matches no gated testcase"),
    ],
)
def test_configuration_errors_exit_two(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    examples: list[str],
    only: str | None,
    message: str,
) -> None:
    config = _project(tmp_path, {}, examples)
    args = ["gate", "--config", str(config)] + (["--only", only] if only else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_stale_known_failure_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _project(
        tmp_path,
        {},
        ["examples.eqx_dino::PatchEmbed"],
        known_failures={"examples.eqx_dino::Gone::gone": "was removed"},
    )
    assert main(["gate", "--config", str(config)]) == 2
    assert "known-failures names a testcase not gated" in capsys.readouterr().err


def test_module_that_fails_to_import_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _project(
        tmp_path, {"gate_broken_module": "raise RuntimeError('boom')\n"}, ["x"]
    )
    assert main(["gate", "--config", str(config)]) == 2
    assert "gate module 'gate_broken_module' failed to import: boom" in (
        capsys.readouterr().err
    )


def test_without_the_gate_extra_one_line_and_exit_two(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "equimo", None)  # find_spec: not installed
    assert main(["gate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        "guardrails: error: the gate needs equimo: pip install 'guardrails[gate]'"
    ]


def test_committed_spec_patterns_are_accepted_by_jax2onnx_matcher() -> None:
    """A spec's expect_graph section feeds jax2onnx's own matcher on a fresh export."""
    from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
        EXAMPLE_REGISTRY,
        import_all_plugins,
    )

    from guardrails.gate.export import (
        Testcase,
        export_model,
        instantiate,
        patterns_accept,
    )
    from guardrails.gate.spec import parse_spec, patterns_of

    import_all_plugins()
    meta = EXAMPLE_REGISTRY["examples.eqx_dino::AttentionCore"]
    testcase = Testcase(
        "examples.eqx_dino", "AttentionCore", "attention_core", meta["testcases"][0]
    )
    import jax.numpy as jnp

    model = export_model(testcase, instantiate(testcase, jnp.float32), double=False)
    spec_file = (
        Path(__file__).resolve().parents[1]
        / "guardrails-specs/examples.eqx_dino/AttentionCore/attention_core.spec"
    )
    spec = parse_spec(spec_file.read_text(encoding="utf-8"))
    patterns = patterns_of(spec)
    assert patterns["specs"], "the pattern list is not empty"
    assert patterns_accept(patterns, model)
    # ...and the matcher really checks: a pattern for an op the graph lacks fails.
    assert not patterns_accept({**patterns, "specs": ["Erf"]}, model)
    # The rendered text parses back to the same spec.
    assert parse_spec(spec.render()) == spec


# Two tiny plain-function examples: one jax2onnx cannot lower, one whose own
# expect_graph check asks for an op the export does not have.
REGISTER_FAILING = """
import jax
import jax.numpy as jnp
from jax2onnx.plugins._post_check_onnx_graph import expect_graph
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="Tiny",
    description="Small failing examples for the gate's tests.",
    since="tests",
    context="tests.gate_failing",
    testcases=[
        {
            "testcase": "antialiased_resize",
            "callable": lambda x: jax.image.resize(x, (4, 4), "cubic", antialias=True),
            "input_shapes": [(8, 8)],
        },
        {
            "testcase": "sine_checked_for_cosine",
            "callable": lambda x: jnp.sin(x),
            "input_shapes": [("B", 3)],
            "post_check_onnx_graph": expect_graph(["Cos"]),
        },
    ],
)
"""


def test_export_and_check_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _project(
        tmp_path, {"gate_failing_examples": REGISTER_FAILING}, ["tests.gate_failing"]
    )
    code, report = _gate(capsys, "--config", str(config), "--update")
    cases = {case["id"].rsplit("::", 1)[1]: case for case in report["testcases"]}
    assert code == 1
    resize = cases["antialiased_resize"]
    assert resize["status"] == "export-failed"
    assert resize["reason"].startswith("NotImplementedError: resize with antialias")
    assert resize["f64"]["status"] == "not-probed"
    sine = cases["sine_checked_for_cosine"]
    assert sine["status"] == "check-failed"
    assert "post_check_onnx_graph failed" in sine["reason"]
    assert "Cos" in sine["reason"]
    assert sine["max_abs_error"] is not None  # parity still ran
    assert sine["f64"]["status"] == "not-probed"  # it has its float64 variant
