"""What the gate keeps in memory around an export, on a real, tiny export of
jax2onnx's DINO `VisionTransformer`: the saved model holds its weight constants in
a data file beside it (never serialised in memory), and no export keeps its
callable's weights alive after it (jax2onnx's function plugins would)."""

from __future__ import annotations

import gc
import os
import weakref
from typing import Any

import numpy as np

from tests.tiny_vit import IMAGE_SHAPE, tiny_vit


def _testcase() -> Any:
    from guardrails.gate.export import Testcase

    data = {"input_shapes": [IMAGE_SHAPE]}
    return Testcase(context="tests", component="ViT", name="tiny", data=data)


def test_saved_model_streams_its_weight_constants_to_a_data_file() -> None:
    import jax
    import onnx
    import onnx_ir as ir

    from guardrails.gate.export import export_model
    from guardrails.gate.numerics import saved, session_for

    example = tiny_vit()
    model = export_model(_testcase(), example, double=False)
    before = ir.serde.serialize_model(model).SerializeToString()
    images = np.random.default_rng(0).standard_normal(IMAGE_SHAPE, np.float32)
    with saved(model) as path:
        folder = os.path.dirname(path)
        sizes = {
            name: os.path.getsize(os.path.join(folder, name))
            for name in os.listdir(folder)
        }
        onnx.checker.check_model(path)
        session = session_for(path)
    # jax2onnx bakes the weights into Constant nodes inside ONNX functions.
    assert sizes["constants.data"] > 200_000  # the ViT's ~100k float32 weights
    assert sizes["model.onnx"] < sizes["constants.data"] / 4
    (name,) = [i.name for i in session.get_inputs()]
    (got,) = session.run(None, {name: images})
    with jax.default_matmul_precision("float32"):
        want = np.asarray(example(images))
    assert np.max(np.abs(got - want)) < 1e-5
    assert ir.serde.serialize_model(model).SerializeToString() == before


def test_an_export_keeps_no_weights_of_its_callable_alive() -> None:
    from jax2onnx import to_onnx  # type: ignore[import-untyped]

    from guardrails.gate.export import export_model, forget_last_calls

    def exported_weight(export: Any) -> weakref.ref[Any]:
        example = tiny_vit()
        weight = weakref.ref(example.patch_embed.proj.weight)
        export(example)
        del example
        gc.collect()
        return weight

    # jax2onnx's `@onnx_function` plugins keep the module of their last call ...
    kept = exported_weight(lambda fn: to_onnx(fn, [IMAGE_SHAPE], return_mode="ir"))
    assert kept() is not None
    forget_last_calls()
    gc.collect()
    assert kept() is None
    # ... which the gate's export drops.
    dropped = exported_weight(lambda fn: export_model(_testcase(), fn, double=False))
    assert dropped() is None
