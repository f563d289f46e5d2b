# origin: Equimo 1.1.0 (PyPI), equimo/models/partialformer.py, lines 1-23, 24, 122-161
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case BlockChunk.__call__: reuse - `key` is split for the query-attention
#   dropout and the blocks, then handed whole to `self.downsample` when the
#   downsampler has dropout.
# oracle: driver:blockchunk_downsample rejects (the excerpt's method, Equinox Dropout
#   layers as blocks and downsampler, training)
__all__ = ["PartialFormer"]

from typing import Callable, List, Optional, Tuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from einops import reduce
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.attention import get_attn_block
from equimo.layers.convolution import Stem
from equimo.layers.ffn import get_ffn
from equimo.layers.generic import _resolve_layer
from equimo.layers.norm import get_norm
from equimo.layers.posemb import PosCNN
from equimo.models.registry import register_model
from equimo.utils import to_list


# [...]
class BlockChunk(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "seqlen dim"],
        qa: Float[Array, "1 dim"],
        *,
        key: PRNGKeyArray,
        inference: Optional[bool] = None,
        **kwargs,
    ) -> Tuple[Float[Array, "..."], Float[Array, "..."]]:
        """Process input features and query attention token.

        Args:
            x: Input feature tensor
            qa: Query attention token
            inference: Whether to enable dropout
            key: PRNG key for random operations

        Returns:
            Tuple of (processed features, updated query attention token)
        """
        key_qadrop, *keys = jr.split(key, len(self.blocks) + 1)

        x = self.posemb(x)

        for blk, key_block in zip(self.blocks, keys):
            x, qa = blk(x, qa=qa, inference=inference, key=key_block, **kwargs)

        if self.downsampler_contains_dropout:
            x = self.downsample(x, inference=inference, key=key)  # gr203: reuse
        else:
            x = self.downsample(x)
        qa = self.qa_drop(
            jax.vmap(self.qa_proj)(qa),
            inference=inference,
            key=key_qadrop,
        )

        return x, qa


