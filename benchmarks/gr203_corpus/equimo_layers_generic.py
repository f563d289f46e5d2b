# origin: Equimo 1.1.0 (PyPI), equimo/layers/generic.py, lines 1-13, 75, 116-148
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case Residual.__call__: reuse - with `pass_args`, `key` goes both to the
#   wrapped module and to `drop_path`; a module with dropout and a drop path
#   > 0 draw from the same key in training.
# oracle: driver:equimo_residual rejects (an Equinox Dropout wrapped, drop_path 0.5)
from typing import Optional, Sequence, Tuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from einops import rearrange
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.dropout import DropPathAdd
from equimo.layers.norm import LayerScale


# [...]
class Residual(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "..."],
        key: PRNGKeyArray,
        pass_args: bool = False,
        inference: Optional[bool] = None,
    ) -> Float[Array, "..."]:
        """Forward pass of the residual block.

        Args:
            x: Input tensor of any shape
            enable_dropout: Whether to enable dropout during training
            key: PRNG key for randomness
            pass_args: Whether to pass enable_dropout and key to the wrapped module
                      (default: False)

        Returns:
            Output tensor with same shape as input, combining the module output
            with the residual connection through drop path
        """
        if pass_args:
            x2 = self.module(x, inference=inference, key=key)
        else:
            x2 = self.module(x)

        return self.drop_path(
            x,
            self.ls(x2),
            inference=inference,
            key=key,  # gr203: reuse
        )


