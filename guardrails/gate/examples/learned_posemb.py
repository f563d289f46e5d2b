"""DINO blocks behind Equimo's learned positional embedding, at several image sizes.

The work notes ask to cover, besides DINOv3's RoPE, a standard learned positional
embedding across image sizes. The embedding is Equimo's own `LearnedPosEmbed`
(bicubic `jax.image.resize` of the trained grid, antialias on by default), wired as
Equimo's ViT wires it (`dynamic_img_size=True`, class token embedded with the
patches), in front of the jax2onnx DINO example's `PatchEmbed` and `Block`s. Importing
this module registers the testcases with jax2onnx's example registry.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from equimo.layers.posemb import LearnedPosEmbed  # type: ignore[import-untyped]
from jax2onnx.plugins._post_check_onnx_graph import (  # type: ignore[import-untyped]
    expect_graph,
)
from jax2onnx.plugins.examples.eqx.dino import (  # type: ignore[import-untyped]
    Block,
    DinoRotaryProcessHeads,
    PatchEmbed,
)
from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
    construct_and_call,
    register_example,
    with_prng_key,
)

CONTEXT = "examples.eqx_dino_learned_posemb"
COMPONENT = "LearnedPosEmbedViT"
PATCH_SIZE = 14
TRAINED_IMAGE_SIZE = 224  # a 16 x 16 patch grid
EMBED_DIM = 192
NUM_HEADS = 3
DEPTH = 2


def unrotated_heads(num_patches: int, head_dim: int) -> Any:
    """The DINO example's rotary head processor turned by angle zero: no RoPE.

    Equimo's ViT with only a global (learned) embedding rotates nothing, but the DINO
    example's attention falls back to a 1-D RoPE when given no head processor, and
    jax2onnx's MultiheadAttention lowering accepts only rotary processors. Zero angles
    (sin 0, cos 1) are the minimal shim that keeps the upstream blocks unchanged.
    """
    return DinoRotaryProcessHeads(
        sin=np.zeros((num_patches, head_dim), dtype=np.float32),
        cos=np.ones((num_patches, head_dim), dtype=np.float32),
        prefix_tokens=1,
    )


class LearnedPosEmbedViT(eqx.Module):
    """Patch embedding, Equimo's learned positional embedding, then DINO blocks."""

    patch_embed: Any
    cls_token: jax.Array
    pos_embed: Any
    blocks: list[Any]
    norm: eqx.nn.LayerNorm
    head_dim: int = eqx.field(static=True)

    def __init__(
        self,
        *,
        antialias: bool,
        img_size: int = TRAINED_IMAGE_SIZE,
        patch_size: int = PATCH_SIZE,
        dim: int = EMBED_DIM,
        num_heads: int = NUM_HEADS,
        depth: int = DEPTH,
        key: jax.Array,
    ) -> None:
        keys = jax.random.split(key, depth + 3)
        self.patch_embed = PatchEmbed(
            img_size=img_size, patch_size=patch_size, embed_dim=dim, key=keys[0]
        )
        grid = img_size // patch_size
        self.cls_token = jax.random.normal(keys[1], (1, dim))
        # As Equimo's VisionTransformer builds it with global_pos_embed_cls=True.
        self.pos_embed = LearnedPosEmbed(
            weight=jax.random.normal(keys[2], (grid * grid + 1, dim)),
            dim=dim,
            embed_size=grid,
            num_prefix_tokens=1,
            num_embedded_prefix_tokens=1,
            global_pos_embed_cls=True,
            global_pos_embed_reg=False,
            antialias=antialias,
        )
        self.head_dim = dim // num_heads
        self.blocks = [
            Block(dim=dim, num_heads=num_heads, key=block_key, process_heads=None)
            for block_key in keys[3:]
        ]
        self.norm = eqx.nn.LayerNorm(dim)

    def _embed(self, patches: jax.Array, height: int, width: int) -> jax.Array:
        # Equimo's dynamic_img_size path hands the embedding a (C, H, W) patch grid.
        grid = jnp.transpose(patches).reshape(patches.shape[-1], height, width)
        return self.pos_embed(  # type: ignore[no-any-return]
            grid, cls_token=self.cls_token, reg_tokens=None, dynamic_img_size=True
        )

    def __call__(self, images: jax.Array) -> jax.Array:
        height = images.shape[-2] // PATCH_SIZE
        width = images.shape[-1] // PATCH_SIZE
        patches = self.patch_embed(images)
        tokens = eqx.filter_vmap(lambda p: self._embed(p, height, width))(patches)
        heads = unrotated_heads(height * width, self.head_dim)
        for block in self.blocks:
            tokens = block(tokens, process_heads=heads)
        normalize = eqx.filter_vmap(eqx.filter_vmap(self.norm))
        return normalize(tokens)  # type: ignore[no-any-return]


def _testcase(image_size: int, antialias: bool | None) -> dict[str, Any]:
    grid = image_size // PATCH_SIZE
    if antialias is None:
        name, flag = f"learned_posemb_{image_size}_trained_grid", True
    else:
        suffix = "antialias" if antialias else "no_antialias"
        name, flag = f"learned_posemb_{image_size}_{suffix}", antialias
    return {
        "testcase": name,
        "callable": construct_and_call(
            LearnedPosEmbedViT, antialias=flag, key=with_prng_key(0)
        ),
        "input_shapes": [("B", 3, image_size, image_size)],
        "post_check_onnx_graph": _expect_graph(
            grid * grid + 1, resampled=antialias is not None
        ),
        "run_only_f32_variant": True,
    }


def _expect_graph(tokens: int, *, resampled: bool) -> Any:
    """Blocks on the right token count; a `Resize` just when the grid is resampled."""
    blocks = f"Block:Bx{tokens}x{EMBED_DIM} -> Block:Bx{tokens}x{EMBED_DIM}"
    return expect_graph(
        ["Resize", blocks] if resampled else [blocks],
        symbols={"B": None},
        must_absent=None if resampled else ["Resize"],
        no_unused_inputs=True,
    )


register_example(
    component=COMPONENT,
    description="DINO blocks behind Equimo's LearnedPosEmbed, resampled bicubically.",
    source="https://github.com/clementpoiret/Equimo",
    since="guardrails",
    context=CONTEXT,
    children=["equimo.layers.posemb.LearnedPosEmbed", "PatchEmbed", "Block"],
    testcases=[
        # The trained grid needs no resampling: the embedding is added as stored.
        _testcase(TRAINED_IMAGE_SIZE, None),
        *(
            _testcase(size, antialias)
            for size in (168, 280)  # 12 x 12 and 20 x 20 patch grids
            for antialias in (True, False)
        ),
    ],
)
