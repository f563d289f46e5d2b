# origin: Equimo 1.1.0 (PyPI), equimo/experimental/text.py, lines 1-22, 129, 178-189
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case Transformer.__call__: latent - the same `key` goes to every block of the
#   loop. Each AttentionBlock splits it, so JAX's checker rejects the second
#   block, but Transformer builds its blocks with the default dropout and
#   drop-path rates of 0.0, so no block draws from its keys.
# oracle: driver:equimo_text_transformer rejects (two blocks, both modes)
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple
from urllib.parse import urlparse

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import requests
from jaxtyping import Array, Float, Int, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.attention import AttentionBlock

try:
    import tensorflow as tf
    import tensorflow_text
except ImportError:
    print(
        "`tensorflow` and `tensorflow_text` need to be installed to use tokenizers. Install equimo with the `text` group such as `uv add equimo[text]`"
    )

# [...]
class Transformer(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "seqlen dim"],
        key: PRNGKeyArray,
        inference: Optional[bool] = None,
        mask: Optional[Float[Array, ""]] = None,
    ) -> Float[Array, "seqlen dim"]:
        for block in self.blocks:
            x = block(x, mask=mask, inference=inference, key=key)  # gr203: latent
        return x


