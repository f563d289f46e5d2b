"""A real, tiny instance of jax2onnx's DINO `VisionTransformer` (32 px images,
two blocks) for gate tests that need an export in seconds."""

from __future__ import annotations

from typing import Any

IMAGE_SHAPE = (1, 3, 32, 32)


def tiny_vit() -> Any:
    import jax
    from jax2onnx.plugins.examples.eqx.dino import (  # type: ignore[import-untyped]
        VisionTransformer,
    )

    return VisionTransformer(
        img_size=32,
        patch_size=16,
        embed_dim=64,
        depth=2,
        num_heads=2,
        num_storage_tokens=1,
        key=jax.random.PRNGKey(0),
    )
