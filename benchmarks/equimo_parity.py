"""The gate's Equimo parity stage: its errors, what planted divergences cost, its time.

    python benchmarks/equimo_parity.py [--runs 2]

For each testcase with an Equimo reference, the JAX side of the stage
(`guardrails.gate.equimo_parity.check` without an export: Equimo's model built,
norms randomised, mapped, both forwards) `--runs` times in one process, with wall
and CPU seconds per run (the first pays compilation unless XLA's persistent cache,
the gate's `~/.cache/guardrails/jax`, already holds it). Then, on ViT-S/16, the
max |Δ| of divergences planted in the example: the tanh GELU, query and key
swapped in block 0, block 0's attention LayerScale applied to its MLP branch.
The onnxruntime side's figures are in `guardrails gate`'s own output.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

FAST_XLA_FLAGS = (
    "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
)


def _instance(testcase_id: str) -> Any:
    import jax.numpy as jnp
    from jax2onnx.plugins.plugin_system import EXAMPLE_REGISTRY, import_all_plugins

    import guardrails.gate.examples.learned_posemb  # noqa: F401  (registers it)
    from guardrails.gate.export import Testcase, instantiate

    import_all_plugins()
    context, component, name = testcase_id.split("::")
    meta = EXAMPLE_REGISTRY[f"{context}::{component}"]
    (data,) = [d for d in meta["testcases"] if d["testcase"] == name]
    return instantiate(Testcase(context, component, name, data), jnp.float32)


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _planted(testcase_id: str, example: Any) -> None:
    import equinox as eqx
    import jax
    from jax2onnx.plugins.examples.eqx import dino

    from guardrails.gate import equimo_parity

    reference = equimo_parity.REFERENCES[testcase_id]

    def swap_query_key(mapped: Any) -> Any:
        attention = mapped.blocks[0].attn.core.attn
        return eqx.tree_at(
            lambda m: (
                m.blocks[0].attn.core.attn.query_proj,
                m.blocks[0].attn.core.attn.key_proj,
            ),
            mapped,
            (attention.key_proj, attention.query_proj),
        )

    def wrong_layerscale(mapped: Any) -> Any:
        return eqx.tree_at(
            lambda m: m.blocks[0].ls2.gamma, mapped, mapped.blocks[0].ls1.gamma
        )

    plants: dict[str, Callable[[Any], Any]] = {
        "query and key swapped in block 0": swap_query_key,
        "block 0's ls1 gamma used for ls2": wrong_layerscale,
    }
    for label, plant in plants.items():
        planted = equimo_parity.Reference(
            reference.name,
            reference.builder,
            reference.overrides,
            lambda source, target, plant=plant: plant(
                reference.mapping(source, target)
            ),
            reference.image_size,
        )
        equimo_parity.REFERENCES[testcase_id] = planted
        try:
            result = equimo_parity.check(testcase_id, example, None)
        finally:
            equimo_parity.REFERENCES[testcase_id] = reference
        assert result is not None
        print(f"  {label:<36} max |Δ| {result.jax_max_abs_error:.3g}")
    exact = dino._exact_gelu
    dino._exact_gelu = lambda x: jax.nn.gelu(x, approximate=True)
    try:
        result = equimo_parity.check(testcase_id, example, None)
    finally:
        dino._exact_gelu = exact
    assert result is not None
    print(f"  {'tanh GELU':<36} max |Δ| {result.jax_max_abs_error:.3g}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("XLA_FLAGS", FAST_XLA_FLAGS)  # as the gate runs
    from guardrails.gate import equimo_parity
    from guardrails.gate.runner import enable_compilation_cache, quiet_libraries

    enable_compilation_cache()
    s16 = next(t for t in equimo_parity.REFERENCES if t.endswith("_S16"))
    with quiet_libraries():
        for testcase_id, reference in equimo_parity.REFERENCES.items():
            example = _instance(testcase_id)
            print(f"{testcase_id}  (equimo {reference.name})")
            for run in range(args.runs):
                result, wall, cpu = _timed(
                    lambda: equimo_parity.check(testcase_id, example, None)  # noqa: B023
                )
                assert result is not None
                print(
                    f"  run {run + 1}: JAX max |Δ| {result.jax_max_abs_error:.2g} "
                    f"mean {result.jax_mean_abs_error:.2g}  "
                    f"{wall:.1f}s wall, {cpu:.1f}s CPU  {result.failure or 'passes'}"
                )
        print(f"planted in the example, against Equimo ({s16}):")
        _planted(s16, _instance(s16))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
