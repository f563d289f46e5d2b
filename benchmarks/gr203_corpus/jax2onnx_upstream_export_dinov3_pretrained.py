# origin: jax2onnx upstream (github.com/enpasos/jax2onnx, commit 3901899d),
#   scripts/export_dinov3_pretrained.py, lines 19-30, 81-97, 171-404
# licence: Apache-2.0, (c) the jax2onnx authors; excerpt for a benchmark
# case _attention_call: gated - when `inference` is true `key1` and `key2` are
#   both `key`, and both go to Equinox dropout layers called with that same
#   `inference`, which return before drawing; otherwise they come from a split.
# case _attention_block_call: gated - the same with four keys (attention, MLP and
#   two drop-path layers, all given `inference=inference`).
# case _blockchunk_call: reuse - on the training path `jr.split(key, n)`
#   consumes `key`, then `self.downsample(..., key=key)` draws a dropout mask
#   from it again (when the downsampler has dropout).
# case _features, _deterministic_split: clean - the keys are split per block, or
#   the same key goes only to consumers in inference mode.
# oracle: driver:export_attention_calls passes (the excerpt's `_attention_block_call`
#   with Equinox Dropout layers for its attention, MLP and drop paths, both modes);
#   driver:export_blockchunk_call rejects (the excerpt's `_blockchunk_call` with
#   Equinox Dropout layers as its blocks and downsampler, in both modes)
from __future__ import annotations

import argparse
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import types
from jax import core as jax_core
from jax import random
# [...]
def _patch_rope_split() -> None:
    """Replace split-based RoPE helper with slice operations for tracing stability."""

    try:
        from equimo.layers import attention as eq_attn  # type: ignore
    except ImportError:  # pragma: no cover - optional dependency
        return

    rope_apply = getattr(eq_attn, "rope_apply", None)
    original = getattr(eq_attn, "rope_apply_qk_last_hw", None)
    rotate_half = getattr(eq_attn, "rope_rotate_half", None)
    if rope_apply is None or original is None:
        return

    jr = getattr(eq_attn, "jr", random)
    rearrange = getattr(eq_attn, "rearrange")

    # [...]
    def _attention_call(
        self,
        x,
        key,
        inference: bool | None = None,
        mask=None,
        rope_sincos=None,
        **kwargs,
    ):
        if inference:
            key1 = key
            key2 = key
        else:
            key1, key2 = jr.split(key, 2)

        qkv = jax.vmap(self.qkv)(x)
        qkv = rearrange(
            qkv,
            "s (n h d) -> n h s d",
            n=3,
            h=self.num_heads,
            d=self.dim // self.num_heads,
        )
        q, k, v = qkv
        q = jax.vmap(jax.vmap(self.q_norm))(q)
        k = jax.vmap(jax.vmap(self.k_norm))(k)

        if rope_sincos is not None:
            sin, cos = rope_sincos
            if sin.shape[-1] != self.head_dim or cos.shape[-1] != self.head_dim:
                raise ValueError(
                    f"RoPE sin/cos last dim ({sin.shape[-1]}) must equal head_dim ({self.head_dim})."
                )
            q, k = eq_attn.rope_apply_qk_last_hw(q, k, sin, cos)

        attn = jnp.einsum("hqd,hkd->hqk", q, k) / jnp.sqrt(self.head_dim)

        if mask is not None:
            attn = jnp.where(mask == 0, jnp.finfo(attn.dtype).min, attn)

        attn = jax.nn.softmax(attn, axis=-1)
        attn = self.attn_drop(attn, inference=inference, key=key1)

        x = jnp.einsum("hqk,hkd->hqd", attn, v)
        x = rearrange(x, "h s d -> s (h d)")
        x = jax.vmap(self.proj)(x)
        x = self.proj_drop(x, inference=inference, key=key2)

        return x

    eq_attn.Attention.__call__ = _attention_call

    def _attention_block_call(
        self,
        x,
        key,
        rope_sincos=None,
        inference: bool | None = None,
        mask=None,
    ):
        if inference:
            key_attn = key
            key_mlp = key
            key_dr1 = key
            key_dr2 = key
        else:
            key_attn, key_mlp, key_dr1, key_dr2 = jr.split(key, 4)

        extra_kwargs = {"mask": mask} if mask is not None else {}
        attn_kwargs = (
            extra_kwargs | {"rope_sincos": rope_sincos}
            if rope_sincos is not None
            else extra_kwargs
        )

        x = self.drop_path1(
            x,
            self.ls1(
                jax.vmap(self.postnorm)(
                    self.attn(
                        jax.vmap(self.prenorm)(x),
                        inference=inference,
                        key=key_attn,
                        **attn_kwargs,
                    )
                )
            ),
            inference=inference,
            key=key_dr1,
        )
        x = self.drop_path2(
            x,
            self.ls2(
                self.mlp(
                    jax.vmap(self.norm)(x),
                    inference=inference,
                    key=key_mlp,
                    **extra_kwargs,
                )
            ),
            inference=inference,
            key=key_dr2,
        )
        return x

    eq_attn.AttentionBlock.__call__ = _attention_block_call


def _patch_vit_features() -> None:
    """Ensure VisionTransformer.features avoids random split during inference."""

    try:
        from equimo.models import vit as eq_vit  # type: ignore
    except ImportError:  # pragma: no cover - optional dependency
        return

    jr = getattr(eq_vit, "jr", random)
    rearrange = getattr(eq_vit, "rearrange")

    def _blockchunk_call(
        self,
        x,
        *,
        key,
        inference: bool | None = None,
        **kwargs,
    ):
        if inference:
            keys = [key] * len(self.blocks)
        else:
            keys = jr.split(key, len(self.blocks))

        x = self.posemb(x)

        for blk, key_block in zip(self.blocks, keys):
            x = blk(x, inference=inference, key=key_block, **kwargs)

        if self.downsampler_contains_dropout:
            x = self.downsample(x, inference=inference, key=key)  # gr203: reuse
        else:
            x = self.downsample(x)
        return x

    def _features(
        self,
        x,
        key,
        mask=None,
        inference: bool | None = None,
        **kwargs,
    ):
        if inference:
            key_pos = key
            block_subkeys = [key] * len(self.blocks)
        else:
            split_keys = list(jr.split(key, len(self.blocks) + 1))
            key_pos, *block_subkeys = split_keys

        x = self.patch_embed(x)

        if mask is not None:
            assert (
                self.mask_token is not None
            ), "To use masked forward, init the model with `use_mask_token=True`."
            if self.dynamic_img_size:
                mask_arr = rearrange(mask, "h w -> 1 h w")
                value = rearrange(self.mask_token, "1 c -> c 1 1")
            else:
                mask_arr = rearrange(mask, "h w -> (h w) 1")
                value = self.mask_token
            x = jnp.where(mask_arr, x, value.astype(x.dtype))

        if self.use_rope_pos_embed:
            _, H, W = x.shape
            if inference:
                rope_sincos = self.pos_embed.get_sincos(
                    H=H,
                    W=W,
                    inference=inference,
                    key=key_pos,
                )
            x = jnp.concatenate(
                [
                    self.cls_token,
                    self.reg_tokens,
                    rearrange(x, "c h w -> (h w) c"),
                ],
                axis=0,
            )
        else:
            rope_sincos = None
            x = self.pos_embed(
                x,
                cls_token=self.cls_token,
                reg_tokens=self.reg_tokens,
                dynamic_img_size=self.dynamic_img_size,
            )

        for blk, key_block in zip(self.blocks, block_subkeys):
            if self.use_rope_pos_embed and not inference:
                key_pos, key_rope = jr.split(key_pos, 2)
                rope_sincos = self.pos_embed.get_sincos(
                    H=H,
                    W=W,
                    inference=inference,
                    key=key_rope,
                )
            x = blk(
                x,
                rope_sincos=rope_sincos,
                inference=inference,
                key=key_block,
                **kwargs,
            )

        return x

    eq_vit.VisionTransformer.features = _features
    eq_vit.BlockChunk.__call__ = _blockchunk_call


def _disable_random_split() -> None:
    """Override jax.random.split with a deterministic, broadcast-based variant."""

    def _deterministic_split(key, num=2):
        key_arr = jnp.asarray(key)
        reps = int(num)
        expanded = key_arr.reshape((1,) + key_arr.shape)
        target_shape = (reps,) + key_arr.shape
        return jnp.broadcast_to(expanded, target_shape)

    jax.random.split = _deterministic_split  # type: ignore[assignment]


