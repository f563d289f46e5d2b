"""The gate's Equimo parity stage on the learned-posemb DINO testcase: divergences
planted in the example (patched in-process, as a change to jax2onnx's example would
be) fail the gate naming Equimo; the clean example passes; a change only in the
exported graph is still caught by the spec diff.

The testcase (two DINO example blocks behind Equimo's LearnedPosEmbed) is small, so
each gate run here exports it for real in a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails.cli import main

REPO = Path(__file__).resolve().parents[1]
CONTEXT = "examples.eqx_dino_learned_posemb"
TESTCASE = f"{CONTEXT}::LearnedPosEmbedViT::learned_posemb_224_trained_grid"
SPEC = f"{CONTEXT}/LearnedPosEmbedViT/learned_posemb_224_trained_grid.spec"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A scratch project gating the testcase against the repository's spec."""
    (tmp_path / "specs" / SPEC).parent.mkdir(parents=True)
    committed = REPO / "guardrails-specs" / SPEC
    (tmp_path / "specs" / SPEC).write_bytes(committed.read_bytes())
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.guardrails.gate]\n"
        f"examples = [{json.dumps(TESTCASE)}]\n"
        'modules = ["guardrails.gate.examples.learned_posemb"]\n'
        'specs = "specs"\n',
        encoding="utf-8",
    )
    return path


def _gate(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main(["gate", "--config", str(config), "--format", "json"])
    (case,) = json.loads(capsys.readouterr().out)["testcases"]
    return code, case


def test_clean_example_matches_equimo(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, case = _gate(config, capsys)
    assert (code, case["status"]) == (0, "match"), case["reason"]
    parity = case["equimo"]
    assert "LearnedPosEmbed" in parity["reference"]
    assert parity["failure"] == ""
    for side in ("jax", "onnx"):
        assert 0.0 < parity[f"{side}_mean_abs_error"] <= parity[f"{side}_max_abs_error"]
        assert parity[f"{side}_max_abs_error"] < 1e-5


def _swap_query_and_key(dino: Any) -> Callable[..., Any]:
    original = dino.DinoRotaryProcessHeads.__call__

    def swapped(self: Any, query: Any, key: Any, value: Any) -> Any:
        rotated_query, rotated_key, value = original(self, query, key, value)
        return rotated_key, rotated_query, value

    return swapped


def _squared_gamma(dino: Any) -> Callable[..., Any]:
    def scale(self: Any, x: Any) -> Any:
        gamma = self.gamma.reshape(1, 1, -1)
        return x * gamma * gamma

    return scale


def _tanh_gelu(dino: Any) -> Callable[..., Any]:
    import jax

    return lambda x: jax.nn.gelu(x, approximate=True)


@pytest.mark.parametrize(
    ("owner", "name", "plant"),
    [
        ("DinoRotaryProcessHeads", "__call__", _swap_query_and_key),
        ("LayerScale", "__call__", _squared_gamma),
        ("", "_exact_gelu", _tanh_gelu),
    ],
    ids=["query-key-swapped", "wrong-layerscale", "tanh-gelu"],
)
def test_planted_divergence_fails_naming_equimo(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    owner: str,
    name: str,
    plant: Callable[[Any], Any],
) -> None:
    from jax2onnx.plugins.examples.eqx import dino  # type: ignore[import-untyped]

    monkeypatch.setattr(getattr(dino, owner) if owner else dino, name, plant(dino))
    code, case = _gate(config, capsys)
    assert (code, case["status"]) == (1, "parity-failed")
    parity = case["equimo"]
    assert parity["jax_max_abs_error"] > 1e-4
    message = parity["failure"]
    assert message.startswith("Equimo parity (ViT-Ti/14 x2 + LearnedPosEmbed")
    assert "JAX: " in message and " first diverges, max |Δ| " in message
    assert message in case["reason"]


def test_change_only_in_the_export_is_a_drift(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """jax2onnx lowering the exact GELU as the tanh one: the example (JAX) still
    matches Equimo, the graph drifts from its spec."""
    from jax2onnx.plugins.jax.nn import gelu  # type: ignore[import-untyped]

    lower = gelu.lower_gelu
    monkeypatch.setattr(
        gelu,
        "lower_gelu",
        lambda ctx, eqn, *, approximate: lower(ctx, eqn, approximate=True),
    )
    code, case = _gate(config, capsys)
    assert code == 1
    assert "drift: " in case["reason"]
    assert "Gelu[approximate=tanh]" in case["diff"]
    assert case["equimo"]["jax_max_abs_error"] < 1e-5


def test_first_diverging_output_is_named_nan_included() -> None:
    import numpy as np

    from guardrails.gate.equimo_parity import TOLERANCE, _divergence

    want = np.zeros((2, 5, 3), np.float32)
    assert _divergence(want, want + TOLERANCE / 2, "JAX")[2] == ""
    cls_and_patch = want.copy()
    cls_and_patch[0, 0, 1], cls_and_patch[1, 4, 2] = 0.5, 2.0
    _, _, failure = _divergence(want, cls_and_patch, "ONNX")
    assert failure == (
        "ONNX: CLS token first diverges, max |Δ| 0.5 > 0.0001 "
        "(image 0, token 0, channel 1)"
    )
    broken = want.copy()
    broken[1, 3, 2] = np.nan
    _, _, failure = _divergence(want, broken, "JAX")
    assert failure.startswith("JAX: patch tokens first diverges, max |Δ| nan")
    assert failure.endswith("(image 1, token 3, channel 2)")
