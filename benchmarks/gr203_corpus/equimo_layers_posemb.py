# origin: Equimo 1.1.0 (PyPI), equimo/layers/posemb.py, lines 1-15, 1053, 1114-1163
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case CompositeVisionRoPE.get_sincos: reuse - the same `key` goes to the patch
#   and the register RoPE; each splits it for its shift/jitter/rescale
#   augmentation, so both grids get the same draws (and JAX's checker rejects
#   the second split in any mode).
# oracle: none - building a CompositeVisionRoPE with registers needs a full
#   DINOv3 configuration; by reading (VisionRoPE.get_sincos splits its key).
import math
from typing import Callable, Literal, Optional, Tuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from einops import rearrange
from jaxtyping import Array, Float, Integer, PRNGKeyArray

from equimo.layers.convolution import SingleConvBlock

_POSEMB_REGISTRY: dict[str, type[eqx.Module]] = {}


# [...]
class CompositeVisionRoPE(eqx.Module):
    # [...]
    def get_sincos(
        self,
        *,
        H: int,
        W: int,
        key: Optional[PRNGKeyArray] = None,
        inference: bool = True,
    ) -> Tuple[jax.Array, jax.Array]:
        """Compute ``(sin, cos)`` for the full sequence.

        Returns shape ``(num_prefix + num_registers + H*W, D_out)``.
        """
        sin_p, cos_p = self.patch_rope.get_sincos(
            H=H,
            W=W,
            key=key,
            inference=inference,
        )
        D_out = sin_p.shape[-1]
        dtype = sin_p.dtype

        parts_sin = []
        parts_cos = []

        # 1. Prefix: identity
        if self.num_prefix_tokens > 0:
            parts_sin.append(jnp.zeros((self.num_prefix_tokens, D_out), dtype=dtype))
            parts_cos.append(jnp.ones((self.num_prefix_tokens, D_out), dtype=dtype))

        # 2. Registers
        if self.num_registers > 0 and self.reg_rope is not None:
            rh, rw = self.reg_grid
            sin_r, cos_r = self.reg_rope.get_sincos(
                H=rh,
                W=rw,
                key=key,  # gr203: reuse
                inference=inference,
            )
            parts_sin.append(sin_r)
            parts_cos.append(cos_r)
        elif self.num_registers > 0:
            parts_sin.append(jnp.zeros((self.num_registers, D_out), dtype=dtype))
            parts_cos.append(jnp.ones((self.num_registers, D_out), dtype=dtype))

        # 3. Patches
        parts_sin.append(sin_p)
        parts_cos.append(cos_p)

        return jnp.concatenate(parts_sin, axis=0), jnp.concatenate(parts_cos, axis=0)

