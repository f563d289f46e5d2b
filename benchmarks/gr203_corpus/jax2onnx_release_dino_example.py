# origin: jax2onnx 0.17.1 (PyPI), jax2onnx/plugins/examples/eqx/dino.py,
#   lines 5-16, 38, 117-172, 344-375, 570-652, 679-733
# licence: Apache-2.0, (c) the jax2onnx authors; excerpt for a benchmark
# case DinoRoPE.get_sincos: clean - one split into three keys, each drawn from
#   only when not in inference mode.
# case LinearLastDim/DinoMlp/Block/VisionTransformer __init__: clean - a split
#   per layer; `Block.__call__` takes no key at all.
# oracle: driver:jax2onnx_dino_rope_training passes (DinoRoPE.get_sincos in training
#   with all augmentations)
from __future__ import annotations

import math
from importlib import import_module
from pathlib import Path
from typing import Callable, Literal, NotRequired, Optional, TypedDict, cast, overload

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array
# [...]
class DinoRoPE(eqx.Module):
    # [...]
    def get_sincos(
        self,
        *,
        H: int,
        W: int,
        key: Optional[jax.Array] = None,
        inference: Optional[bool] = None,
    ) -> tuple[jax.Array, jax.Array]:
        if key is None:
            key = jax.random.PRNGKey(0)
        k_shift, k_jitter, k_rescale = jax.random.split(key, 3)

        dtype = self.dtype
        D_head = self.D_head
        D_quarter = D_head // 4

        coords = self._make_coords(H, W)

        if not inference and (self.shift_coords is not None):
            shift_hw = jax.random.uniform(
                k_shift, shape=(2,), minval=-self.shift_coords, maxval=self.shift_coords
            ).astype(dtype)
            coords = coords + shift_hw[None, :]

        if not inference and (self.jitter_coords is not None):
            if self.jitter_coords <= 0:
                raise ValueError("jitter_coords must be > 0.")
            jitter_max = jnp.log(jnp.asarray(self.jitter_coords, dtype=dtype))
            jitter_min = -jitter_max
            jitter_hw = jax.random.uniform(
                k_jitter, shape=(2,), minval=jitter_min, maxval=jitter_max
            )
            jitter_hw = jnp.exp(jitter_hw).astype(dtype)
            coords = coords * jitter_hw[None, :]

        if not inference and (self.rescale_coords is not None):
            if self.rescale_coords <= 0:
                raise ValueError("rescale_coords must be > 0.")
            rescale_max = jnp.log(jnp.asarray(self.rescale_coords, dtype=dtype))
            rescale_min = -rescale_max
            rescale = jax.random.uniform(
                k_rescale, shape=(1,), minval=rescale_min, maxval=rescale_max
            )
            rescale = jnp.exp(rescale).astype(dtype)
            coords = coords * rescale

        periods = jax.lax.stop_gradient(self.periods).astype(dtype)
        angles = (2.0 * jnp.pi * coords[:, :, None]) / periods[None, None, :]
        angles = angles.reshape(angles.shape[0], 2 * D_quarter)
        angles = jnp.tile(angles, reps=(1, 2))

        cos = jnp.cos(angles).astype(dtype)
        sin = jnp.sin(angles).astype(dtype)
        return sin, cos


# [...]
class LinearLastDim(eqx.Module):
    weight: jax.Array
    bias: jax.Array

    def __init__(self, in_dim: int, out_dim: int, *, key: jax.Array):
        k_w, k_b = jax.random.split(key, 2)
        self.weight = jax.random.normal(k_w, (out_dim, in_dim))
        self.bias = jax.random.normal(k_b, (out_dim,))

    def __call__(self, x: Array) -> Array:
        out = jnp.matmul(x, jnp.transpose(self.weight))
        out = out + self.bias
        return out


@onnx_function
class DinoMlp(eqx.Module):
    fc1: LinearLastDim
    fc2: LinearLastDim

    def __init__(self, dim: int, hidden_dim: int, *, key: jax.Array):
        k1, k2 = jax.random.split(key, 2)
        self.fc1 = LinearLastDim(dim, hidden_dim, key=k1)
        self.fc2 = LinearLastDim(hidden_dim, dim, key=k2)

    def __call__(self, x: Array) -> Array:
        hidden = self.fc1(x)
        hidden = _exact_gelu(hidden)
        return self.fc2(hidden)


@onnx_function
# [...]
class Block(eqx.Module):
    """Transformer Block."""

    norm1: eqx.nn.LayerNorm
    attn: MultiHeadAttention
    post_attn_norm: Optional[eqx.Module]
    norm2: eqx.nn.LayerNorm
    mlp: eqx.nn.MLP
    ls1: eqx.Module
    ls2: eqx.Module

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        *,
        key: jax.Array,
        process_heads: Optional[eqx.Module] = None,
    ):
        keys = jax.random.split(key, 2)
        self.norm1 = eqx.nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(
            dim,
            num_heads=num_heads,
            key=keys[0],
            process_heads=process_heads,
        )
        self.post_attn_norm = None
        self.norm2 = eqx.nn.LayerNorm(dim)
        mlp_hidden_dim = int(dim * mlp_ratio)
        self.mlp = DinoMlp(dim=dim, hidden_dim=mlp_hidden_dim, key=keys[1])
        self.ls1 = LayerScale(dim)
        self.ls2 = LayerScale(dim)

    def __call__(
        self,
        x: Array,
        *,
        process_heads: Optional[eqx.Module] = None,
    ) -> Array:
        out, _ = self._forward_internal(x, process_heads=process_heads)
        return out

    def forward_debug(
        self,
        x: Array,
        *,
        process_heads: Optional[eqx.Module] = None,
    ) -> tuple[Array, dict[str, Array]]:
        return self._forward_internal(x, process_heads=process_heads)

    def _forward_internal(
        self,
        x: Array,
        *,
        process_heads: Optional[eqx.Module] = None,
    ) -> tuple[Array, dict[str, Array]]:
        attn_in = _apply_pointwise(self.norm1, x)
        attn_raw = self.attn(attn_in, process_heads=process_heads)
        attn_norm = _apply_pointwise(self.post_attn_norm, attn_raw)
        attn_scaled = self.ls1(attn_norm)
        post_attn = x + attn_scaled

        mlp_in = _apply_pointwise(self.norm2, post_attn)
        mlp_raw = self.mlp(mlp_in)
        mlp_scaled = self.ls2(mlp_raw)
        out = post_attn + mlp_scaled

        debug = {
            "attn_in": attn_in,
            "attn_raw": attn_raw,
            "attn_norm": attn_norm,
            "attn_scaled": attn_scaled,
            "post_attn": post_attn,
            "mlp_in": mlp_in,
            "mlp_raw": mlp_raw,
            "mlp_scaled": mlp_scaled,
            "output": out,
        }
        return out, debug


# [...]
class VisionTransformer(eqx.Module):
    """Vision Transformer."""

    patch_embed: PatchEmbed
    cls_token: jax.Array
    storage_tokens: jax.Array | None
    blocks: list[Block]
    norm: eqx.nn.LayerNorm
    num_storage_tokens: int
    dino_rope: DinoRoPE

    def __init__(
        self,
        img_size: int,
        patch_size: int,
        embed_dim: int,
        depth: int,
        num_heads: int,
        num_storage_tokens: int = 0,
        *,
        key: jax.Array,
    ):
        num_storage_tokens = int(num_storage_tokens)
        self.num_storage_tokens = num_storage_tokens
        extra_keys = 1 if num_storage_tokens > 0 else 0
        total_splits = depth + 2 + extra_keys
        keys = jax.random.split(key, total_splits)
        self.patch_embed = PatchEmbed(
            img_size=img_size,
            patch_size=patch_size,
            embed_dim=embed_dim,
            key=keys[0],
        )
        self.cls_token = jax.random.normal(keys[1], (1, 1, embed_dim))
        if num_storage_tokens > 0:
            storage_key = keys[2]
            self.storage_tokens = jax.random.normal(
                storage_key, (1, num_storage_tokens, embed_dim)
            )
            block_keys = keys[3:]
        else:
            self.storage_tokens = None
            block_keys = keys[2:]
        self.dino_rope = DinoRoPE(dim=embed_dim, num_heads=num_heads)
        self.blocks = [
            Block(
                dim=embed_dim,
                num_heads=num_heads,
                key=k,
                process_heads=None,
            )
            for k in block_keys
        ]
        self.norm = eqx.nn.LayerNorm(embed_dim)

