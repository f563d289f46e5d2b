"""Equimo's ViT weights mapped onto the DINO examples' modules.

Equimo's `VisionTransformer` and jax2onnx's example name and shape the same
weights differently: the patch embedding, the CLS and register (storage) tokens
and the final norm map one to one; per block `prenorm`/`norm` are `norm1`/`norm2`,
the fused `qkv` projection splits three ways on axis 0 into the query, key and
value projections, `proj` is the output projection, and the LayerScale gammas and MLP
`fc1`/`fc2` carry over. RoPE periods are not mapped: both sides compute them from
the same base and dtype, and `rope_periods_differ` checks that they agree.

Imports jax and equinox: only the gate's parity stage imports this module.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def _is_norm(node: Any) -> bool:
    return isinstance(node, eqx.nn.LayerNorm) or type(node).__name__ == "LayerScale"


def randomise_norms(model: Any, key: jax.Array) -> Any:
    """Every LayerScale gamma and LayerNorm scale in [0.5, 1.5), biases N(0, 0.5²).

    At the defaults (gamma 1e-5, scale 1, bias 0) the blocks add almost nothing to
    the residual stream and a swapped or wrong norm goes unseen.
    """
    norms = [
        node
        for node in jax.tree_util.tree_leaves(model, is_leaf=_is_norm)
        if _is_norm(node)
    ]
    keys = iter(jax.random.split(key, 2 * max(len(norms), 1)))

    def fresh(node: Any) -> Any:
        if not _is_norm(node):
            return node
        scale_key, bias_key = next(keys), next(keys)
        if isinstance(node, eqx.nn.LayerNorm):
            assert node.weight is not None and node.bias is not None
            scale = jax.random.uniform(
                scale_key, node.weight.shape, minval=0.5, maxval=1.5
            )
            bias = 0.5 * jax.random.normal(bias_key, node.bias.shape)
            return eqx.tree_at(lambda n: (n.weight, n.bias), node, (scale, bias))
        gamma = jax.random.uniform(scale_key, node.gamma.shape, minval=0.5, maxval=1.5)
        return eqx.tree_at(lambda n: n.gamma, node, gamma)

    return jax.tree_util.tree_map(fresh, model, is_leaf=_is_norm)


def _linear(target: Any, weight: Any, bias: Any) -> Any:
    return eqx.tree_at(
        lambda m: (m.weight, m.bias),
        target,
        (
            jnp.reshape(weight, target.weight.shape),
            jnp.reshape(bias, target.bias.shape),
        ),
    )


def _norm(target: Any, source: Any) -> Any:
    return eqx.tree_at(
        lambda m: (m.weight, m.bias), target, (source.weight, source.bias)
    )


def _block(target: Any, source: Any) -> Any:
    if not isinstance(source.postnorm, eqx.nn.Identity):
        raise ValueError("Equimo's block has a post-attention norm the example lacks")
    attention = target.attn.core.attn
    query, key, value = jnp.split(source.attn.qkv.weight, 3, axis=0)
    query_bias, key_bias, value_bias = jnp.split(source.attn.qkv.bias, 3, axis=0)
    attention = eqx.tree_at(
        lambda a: (a.query_proj, a.key_proj, a.value_proj, a.output_proj),
        attention,
        (
            _linear(attention.query_proj, query, query_bias),
            _linear(attention.key_proj, key, key_bias),
            _linear(attention.value_proj, value, value_bias),
            _linear(
                attention.output_proj, source.attn.proj.weight, source.attn.proj.bias
            ),
        ),
    )
    return eqx.tree_at(
        lambda b: (
            b.norm1,
            b.attn.core.attn,
            b.ls1.gamma,
            b.norm2,
            b.mlp.fc1,
            b.mlp.fc2,
            b.ls2.gamma,
        ),
        target,
        (
            _norm(target.norm1, source.prenorm),
            attention,
            source.ls1.gamma,
            _norm(target.norm2, source.norm),
            _linear(target.mlp.fc1, source.mlp.fc1.weight, source.mlp.fc1.bias),
            _linear(target.mlp.fc2, source.mlp.fc2.weight, source.mlp.fc2.bias),
            source.ls2.gamma,
        ),
    )


def _shared(target: Any, source: Any) -> Any:
    """Patch embedding, CLS token, blocks and final norm: common to both examples."""
    blocks = [block for chunk in source.blocks for block in chunk.blocks]
    if len(blocks) != len(target.blocks):
        raise ValueError(
            f"Equimo has {len(blocks)} blocks, the example {len(target.blocks)}"
        )
    proj = target.patch_embed.proj
    return eqx.tree_at(
        lambda m: (m.patch_embed.proj, m.cls_token, m.blocks, m.norm),
        target,
        (
            _linear(proj, source.patch_embed.proj.weight, source.patch_embed.proj.bias),
            jnp.reshape(source.cls_token, target.cls_token.shape),
            [_block(t, s) for t, s in zip(target.blocks, blocks, strict=True)],
            _norm(target.norm, source.norm),
        ),
    )


def map_rope_vit(source: Any, target: Any) -> Any:
    """Equimo's DINOv3 ViT onto jax2onnx's example `VisionTransformer`."""
    mapped = _shared(target, source)
    if source.reg_tokens is None:
        if target.storage_tokens is not None:
            raise ValueError("the example has storage tokens, Equimo no registers")
        return mapped
    return eqx.tree_at(
        lambda m: m.storage_tokens,
        mapped,
        jnp.reshape(source.reg_tokens, target.storage_tokens.shape),
    )


def map_learned_posemb_vit(source: Any, target: Any) -> Any:
    """Equimo's ViT with a learned embedding onto guardrails' `LearnedPosEmbedViT`."""
    mapped = _shared(target, source)
    return eqx.tree_at(
        lambda m: m.pos_embed.weight, mapped, source.global_pos_embed.weight
    )


def rope_periods_differ(source: Any, target: Any) -> str:
    """Whether the two sides' RoPE periods differ ("" when equal or absent)."""
    rope = getattr(target, "dino_rope", None)
    local = getattr(source, "local_pos_embed", None)
    if rope is None and local is None:
        return ""
    if rope is None or local is None:
        return "RoPE: only one side rotates"
    ours = np.asarray(rope.periods)
    theirs = np.asarray(local.patch_rope.freqs)
    if ours.shape == theirs.shape and np.array_equal(ours, theirs):
        return ""
    return f"RoPE periods differ: {ours[:3]} vs Equimo's {theirs[:3]}"
