"""Rebinding an export's weight constants (`guardrails.gate.rebind`) on a real, tiny
export of jax2onnx's DINO `VisionTransformer`: onnxruntime then computes what the
rebound weights compute in JAX, the model object is left as it was, and a changed
weight the export does not hold as a constant is refused, never passed over."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.tiny_vit import IMAGE_SHAPE, tiny_vit


@pytest.fixture(scope="module")
def exported() -> tuple[Any, Any]:
    from jax2onnx import to_onnx  # type: ignore[import-untyped]

    example = tiny_vit()
    model = to_onnx(example, [IMAGE_SHAPE], return_mode="ir")
    return example, model


def _run(payload: bytes, images: np.ndarray) -> np.ndarray:
    import onnxruntime as ort  # type: ignore[import-untyped]

    session = ort.InferenceSession(payload, providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return np.asarray(session.run(None, {name: images})[0])


def test_rebound_export_computes_the_new_weights(exported: tuple[Any, Any]) -> None:
    import jax
    import onnx_ir as ir

    from guardrails.gate.equimo_mapping import randomise_norms
    from guardrails.gate.rebind import rebound_payload

    example, model = exported
    before = ir.serde.serialize_model(model).SerializeToString()
    weights = randomise_norms(example, jax.random.PRNGKey(1))
    images = np.random.default_rng(0).standard_normal(IMAGE_SHAPE, np.float32)
    with jax.default_matmul_precision("float32"):
        want, old = np.asarray(weights(images)), np.asarray(example(images))
    got = _run(rebound_payload(model, example, weights), images)
    assert np.max(np.abs(got - want)) < 1e-5
    assert np.max(np.abs(got - old)) > 1e-2  # the norms did change the output
    assert ir.serde.serialize_model(model).SerializeToString() == before


def test_a_changed_weight_that_is_no_constant_is_refused(
    exported: tuple[Any, Any],
) -> None:
    import equinox as eqx

    from guardrails.gate.rebind import rebound_payload

    example, model = exported
    # The RoPE tables are computed from the periods on the host: no constant holds them.
    weights = eqx.tree_at(
        lambda m: m.dino_rope.periods, example, example.dino_rope.periods * 2
    )
    with pytest.raises(ValueError, match=r"dino_rope\.periods is not a constant"):
        rebound_payload(model, example, weights)
