# origin: equinox 0.13.8 (PyPI), equinox/nn/_sequential.py, lines 1-10, 42, 74-110
# licence: Apache-2.0, (c) Patrick Kidger; excerpt for a benchmark
# case Sequential.__call__: clean - the key is split once per layer.
# oracle: driver:equinox_sequential_dropouts passes (two Dropout layers, training)
from collections.abc import Callable, Sequence
from typing import Any, overload

import jax.random as jr
from jaxtyping import Array, PRNGKeyArray

from .._custom_types import sentinel
from .._module import AbstractClassVar, Module
from ._misc import named_scope
from ._stateful import State
# [...]
class Sequential(StatefulLayer):
    # [...]
    def __call__(
        self,
        x: Array,
        state: State = sentinel,
        *,
        key: PRNGKeyArray | None = None,
    ) -> Array | tuple[Array, State]:
        """**Arguments:**

        - `x`: passed to the first member of the sequence.
        - `state`: If provided, then it is passed to, and updated from, any layer
            which subclasses [`equinox.nn.StatefulLayer`][].
        - `key`: If provided, then it is split by the number of layers, and a subkey
            passed to each layer.

        **Returns:**

        The output of the last member of the sequence.

        If `state` is passed, then a 2-tuple of `(output, state)` is returned.
        If `state` is not passed, then just the output is returned.
        """

        if key is None:
            keys = [None] * len(self.layers)
        else:
            keys = jr.split(key, len(self.layers))
        for layer, key in zip(self.layers, keys):
            if isinstance(layer, StatefulLayer) and layer.is_stateful():
                x, state = layer(x, state=state, key=key)
            else:
                x = layer(x, key=key)
        if state is sentinel:
            return x
        else:
            return x, state

