# origin: jax2onnx upstream (github.com/enpasos/jax2onnx, commit 3901899d),
#   tests/extra_tests/test_equinox_interop_regressions.py, lines 3-22, 743-808
# licence: Apache-2.0, (c) the jax2onnx authors; excerpt for a benchmark
# case test_sequential_keeps_key_for_dropout: deliberate - `key` builds the
#   Linear layer, then goes to the patched `Sequential.__call__` to check that
#   the very same key object reaches the wrapped call (`seen_keys[0] is key`);
#   nothing draws from it a second time. GR203 reports it; the escape is a
#   guardrails ignore comment for GR203 with the reason.
# case test_deterministic_mixed_sequential_accepts_key,
#   test_deterministic_dropout_sequential_accepts_key: clean - the key reaches
#   a Sequential only inside a lambda, and its layers ignore keys.
# oracle: excerpt:test_sequential_keeps_key_for_dropout() passes
from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
from flax import linen as nn
from flax import nnx
import jax
import jax.numpy as jnp
import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest

import onnx
from jax2onnx import to_onnx
from jax2onnx.plugins.equinox.eqx.nn.sequential import (
    SequentialPlugin,
    _layer_ignores_key,
)

# [...]
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_deterministic_mixed_sequential_accepts_key(nested: bool) -> None:
    key = jax.random.PRNGKey(0)
    activation = eqx.nn.Sequential([eqx.nn.Identity(), eqx.nn.Lambda(jax.nn.relu)])
    layers = [
        eqx.nn.Linear(4, 3, key=key),
        activation if nested else eqx.nn.Lambda(jax.nn.relu),
        eqx.nn.Identity(),
    ]
    sequential = eqx.nn.Sequential(layers)
    fn = jax.vmap(lambda x: sequential(x, key=key))
    x = jnp.arange(8, dtype=jnp.float32).reshape(2, 4)

    _assert_ort_parity(fn, [x])


def test_sequential_keeps_key_for_dropout() -> None:
    key = jax.random.PRNGKey(0)
    sequential = eqx.nn.Sequential(
        [eqx.nn.Linear(4, 4, key=key), eqx.nn.Dropout(p=0.5, inference=False)]
    )
    assert not all(_layer_ignores_key(layer) for layer in sequential.layers)

    seen_keys: list[jax.Array | None] = []

    def original(
        model: eqx.nn.Sequential,
        value: jax.Array,
        state: object,
        *,
        key: jax.Array | None,
    ) -> jax.Array:
        del model, state
        seen_keys.append(key)
        return value

    wrapped = SequentialPlugin._patch_call(original)
    wrapped(sequential, jnp.ones((4,), dtype=jnp.float32), key=key)  # gr203: deliberate
    assert seen_keys and seen_keys[0] is key


@pytest.mark.parametrize(
    "dropout",
    [
        eqx.nn.Dropout(p=0.5, inference=True),
        eqx.nn.Dropout(p=0.0, inference=False),
    ],
    ids=["inference", "zero_probability"],
)
def test_deterministic_dropout_sequential_accepts_key(
    dropout: eqx.nn.Dropout,
) -> None:
    key = jax.random.PRNGKey(0)
    sequential = eqx.nn.Sequential(
        [
            eqx.nn.Linear(4, 4, key=key),
            dropout,
            eqx.nn.Lambda(jax.nn.relu),
        ]
    )
    assert all(_layer_ignores_key(layer) for layer in sequential.layers)

    fn = jax.vmap(lambda x: sequential(x, key=key))
    x = jnp.arange(8, dtype=jnp.float32).reshape(2, 4)
    _assert_ort_parity(fn, [x])

