# origin: Equimo 1.1.0 (PyPI), equimo/models/reduceformer.py, lines 1-25, 108, 213-261
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case ReduceFormer.intermediates, ReduceFormer.features: latent - `key_stem`
#   goes to `conv_stem` and `block_stem`; `conv_stem` is a SingleConvBlock
#   built without dropout (0.0), so only `block_stem` draws.
# oracle: none - a whole ReduceFormer; by reading __init__ (lines 157-167).
__all__ = [
    "ReduceFormer",
    "reduceformer_backbone_b1",
    "reduceformer_backbone_b2",
    "reduceformer_backbone_b3",
]

import copy
from typing import Callable, Literal, Optional, Tuple

import equinox as eqx
import jax
import jax.random as jr
import numpy as np
from einops import reduce
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.attention import RFAttentionBlock
from equimo.layers.convolution import DSConv, MBConv, SingleConvBlock
from equimo.layers.generic import BlockChunk
from equimo.layers.norm import get_norm
from equimo.models.registry import register_model


# [...]
class ReduceFormer(eqx.Module):
    # [...]
    def intermediates(
        self,
        x: Float[Array, "channels height width"],
        key: PRNGKeyArray = jr.PRNGKey(42),
        inference: Optional[bool] = None,
        **kwargs,
    ):
        key_stem, *key_blocks = jr.split(key, len(self.blocks) + 1)

        intermediates = []

        x = self.conv_stem(x, inference=inference, key=key_stem)
        x = self.block_stem(x, inference=inference, key=key_stem)  # gr203: latent

        intermediates.append(x)  # let's consider the stem is a normal block

        for i, blk in enumerate(self.blocks):
            x = blk(x, inference=inference, key=key_blocks[i])
            intermediates.append(x)

        return intermediates

    def features(
        self,
        x: Float[Array, "channels height width"],
        key: PRNGKeyArray = jr.PRNGKey(42),
        inference: Optional[bool] = None,
        **kwargs,
    ) -> Float[Array, "seqlen dim"]:
        """Extract features from input image.

        Args:
            x: Input image tensor
            inference: Whether to enable dropout during inference
            key: PRNG key for random operations

        Returns:
            Processed feature tensor
        """
        key_stem, *key_blocks = jr.split(key, len(self.blocks) + 1)

        x = self.conv_stem(x, inference=inference, key=key_stem)
        x = self.block_stem(x, inference=inference, key=key_stem)  # gr203: latent

        for i, blk in enumerate(self.blocks):
            x = blk(x, inference=inference, key=key_blocks[i])

        return x

