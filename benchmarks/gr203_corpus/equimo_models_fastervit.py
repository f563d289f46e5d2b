# origin: Equimo 1.1.0 (PyPI), equimo/models/fastervit.py, lines 1-21, 77, 220-250
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case BlockChunk.__call__: reuse - `key` is split for the blocks, then handed
#   whole to `self.downsample` when the downsampler has dropout.
# oracle: none - the same pattern as partialformer's BlockChunk, run there.
__all__ = ["FasterViT"]

from typing import Callable, List, Literal, Optional, Tuple

import equinox as eqx
import jax
import jax.random as jr
import numpy as np
from einops import rearrange
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.attention import HATBlock
from equimo.layers.ffn import get_ffn
from equimo.layers.generic import _resolve_layer
from equimo.layers.norm import get_norm
from equimo.layers.patch import ConvPatchEmbed
from equimo.models.registry import register_model
from equimo.utils import pool_sd, to_list


# [...]
class BlockChunk(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "channels height width"],
        key: PRNGKeyArray,
        inference: Optional[bool] = None,
    ) -> Float[Array, "..."]:
        keys = jr.split(key, len(self.blocks))
        ct = self.global_tokenizer(x) if self.do_gt else None
        c, h, w = x.shape

        if self.is_hat:
            x = self.window_partition(x, self.window_size)
            for blk, key_block in zip(self.blocks, keys):
                x, ct = jax.vmap(
                    blk,
                    in_axes=(0, None, None, None),
                    out_axes=(0, None),
                )(x, ct, inference=inference, key=key_block)
            x = self.window_reverse(x, self.window_size, h, w)
        else:
            for blk, key_block in zip(self.blocks, keys):
                x = blk(x, inference=inference, key=key_block)

        if self.downsampler_contains_dropout:
            x = self.downsample(x, inference=inference, key=key)  # gr203: reuse
        else:
            x = self.downsample(x)

        return x


