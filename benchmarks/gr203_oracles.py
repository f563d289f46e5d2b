"""JAX's runtime key reuse checker on the GR203 corpus, where the code can run.

Each driver runs real code (the installed Equimo, Equinox, Flax and jax2onnx, or
a corpus excerpt executed as it stands) under `jax.debug_key_reuse(True)`, in
training and in inference mode where the code has one, with typed keys (the
checker does not follow raw `uint32` keys, so `jax.random.PRNGKey` is made to
return one while a driver runs). It answers whether the checker rejected any
run. Configurations turn on the randomness the constructor allows (dropout,
drop path), since that is where a reused key shows.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

Driver = Callable[[Path], bool]
DRIVERS: dict[str, Driver] = {}


def driver(function: Driver) -> Driver:
    DRIVERS[function.__name__] = function
    return function


@contextlib.contextmanager
def typed_keys() -> Iterator[None]:
    raw = jax.random.PRNGKey
    jax.random.PRNGKey = jax.random.key
    try:
        yield
    finally:
        jax.random.PRNGKey = raw


def rejects(*runs: Callable[[], object]) -> bool:
    """Whether the checker rejects any of the runs."""
    rejected = False
    for run in runs:
        try:
            with typed_keys(), jax.debug_key_reuse(True):
                run()
        except jax.errors.KeyReuseError:
            rejected = True
    return rejected


def excerpt_namespace(path: Path) -> dict[str, Any]:
    # A real module in `sys.modules`: dataclasses (so `eqx.Module` and
    # `nnx.Module` subclasses) look their module up there.
    module = types.ModuleType(f"gr203_corpus.{path.stem}")
    sys.modules[module.__name__] = module
    namespace: dict[str, Any] = module.__dict__
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def run_excerpt_call(path: Path, call: str) -> bool:
    """`excerpt:CALL`: execute the excerpt, then evaluate CALL in it."""
    namespace = excerpt_namespace(path)
    return rejects(lambda: eval(call, namespace))


def run_witness_call(path: Path, call: str) -> bool:
    """`witness:CALL`: a numeric witness for keys equal by value (the same seed
    or fold data twice), which JAX's checker cannot see: CALL returns two draws,
    and "rejects" means they are bit-identical."""
    import numpy as np

    first, second = eval(call, excerpt_namespace(path))
    return bool(np.array_equal(np.asarray(first), np.asarray(second)))


def _key() -> jax.Array:
    return jax.random.key(0)


def _modes(run: Callable[[bool], object]) -> list[Callable[[], object]]:
    return [lambda: run(False), lambda: run(True)]


# --- jax2onnx upstream scripts ------------------------------------------------


@driver
def export_blockchunk_call(path: Path) -> bool:
    """The excerpt's `_blockchunk_call` (it patches Equimo's BlockChunk: taken
    from the patched class, then the original put back), with Equinox dropout
    layers as blocks and downsampler."""
    import equinox as eqx
    from equimo.models import vit

    namespace = excerpt_namespace(path)
    saved = vit.VisionTransformer.features, vit.BlockChunk.__call__
    try:
        namespace["_patch_vit_features"]()
        blockchunk_call = vit.BlockChunk.__call__
    finally:
        vit.VisionTransformer.features, vit.BlockChunk.__call__ = saved
    chunk = types.SimpleNamespace(
        blocks=[eqx.nn.Dropout(0.5), eqx.nn.Dropout(0.5)],
        posemb=lambda x: x,
        downsampler_contains_dropout=True,
        downsample=eqx.nn.Dropout(0.5),
    )
    x = jnp.ones((4,))
    return rejects(
        *_modes(
            lambda inference: blockchunk_call(chunk, x, key=_key(), inference=inference)
        )
    )


@driver
def export_attention_calls(path: Path) -> bool:
    """The excerpt's `_attention_block_call` (taken from the Equimo class it
    patches, which is put back), with Equinox dropout layers standing in for its
    attention, MLP and drop paths: one key each, or `key` for all in inference."""
    import equinox as eqx
    from equimo.layers import attention

    namespace = excerpt_namespace(path)
    saved = attention.Attention.__call__, attention.AttentionBlock.__call__
    try:
        namespace["_patch_rope_split"]()
        block_call = attention.AttentionBlock.__call__
    finally:
        attention.Attention.__call__, attention.AttentionBlock.__call__ = saved
    drop = eqx.nn.Dropout(0.5)

    def layer(
        x: jax.Array, *, inference: bool, key: jax.Array, **_: object
    ) -> jax.Array:
        return drop(x, inference=inference, key=key)

    def drop_path(
        x: jax.Array, y: jax.Array, *, inference: bool, key: jax.Array
    ) -> jax.Array:
        return x + drop(y, inference=inference, key=key)

    def same(x: jax.Array) -> jax.Array:
        return x

    block = types.SimpleNamespace(
        attn=layer,
        mlp=layer,
        drop_path1=drop_path,
        drop_path2=drop_path,
        prenorm=same,
        postnorm=same,
        norm=same,
        ls1=same,
        ls2=same,
    )
    x = jnp.ones((3, 4))
    return rejects(
        *_modes(lambda inference: block_call(block, x, _key(), inference=inference))
    )


@driver
def equimo_features_after_init(path: Path) -> bool:
    from equimo.models.vit import VisionTransformer

    def run() -> None:
        key = _key()
        model = VisionTransformer(
            img_size=16,
            in_channels=3,
            dim=32,
            patch_size=8,
            num_heads=[2],
            depths=[1],
            reg_tokens=0,
            key=key,
        )
        model.features(jnp.ones((3, 16, 16)), inference=True, key=key)

    return rejects(run)


# --- Equimo ---------------------------------------------------------------------


@driver
def equimo_text_transformer(path: Path) -> bool:
    from equimo.experimental.text import Transformer

    model = Transformer(
        dim=16, depth=2, num_heads=2, mlp_ratio=2.0, key=jax.random.key(1)
    )
    x = jnp.ones((3, 16))
    return rejects(*_modes(lambda inference: model(x, key=_key(), inference=inference)))


@driver
def equimo_rfattention_init(path: Path) -> bool:
    from equimo.layers.attention import RFAttention

    return rejects(lambda: RFAttention(16, 16, scales=(3, 5), key=_key()))


@driver
def equimo_double_conv_block(path: Path) -> bool:
    from equimo.layers.convolution import DoubleConvBlock

    block = DoubleConvBlock(
        in_channels=4, out_channels=4, drop_path=0.5, key=jax.random.key(1)
    )
    x = jnp.ones((4, 8, 8))
    return rejects(*_modes(lambda inference: block(x, key=_key(), inference=inference)))


@driver
def equimo_ghost_module_init(path: Path) -> bool:
    from equimo.layers.convolution import GenericGhostModule

    return rejects(lambda: GenericGhostModule(8, 8, kernel_size=3, key=_key()))


@driver
def equimo_ghost_bottleneck_init(path: Path) -> bool:
    from equimo.layers.convolution import GhostBottleneck

    return rejects(
        lambda: GhostBottleneck(8, 16, 16, stride=2, se_ratio=0.25, key=_key())
    )


@driver
def equimo_fasternet_block(path: Path) -> bool:
    from equimo.layers.convolution import FasterNetBlock

    block = FasterNetBlock(dim=8, dropout=0.5, drop_path=0.5, key=jax.random.key(1))
    x = jnp.ones((8, 8, 8))
    return rejects(*_modes(lambda inference: block(x, key=_key(), inference=inference)))


@driver
def equimo_residual(path: Path) -> bool:
    import equinox as eqx
    from equimo.layers.generic import Residual

    block = Residual(eqx.nn.Dropout(0.5), drop_path=0.5)
    x = jnp.ones((4, 8))
    return rejects(
        *_modes(
            lambda inference: block(x, key=_key(), inference=inference, pass_args=True)
        )
    )


@driver
def blockchunk_downsample(path: Path) -> bool:
    """partialformer's BlockChunk.__call__ (installed), Equinox dropout layers
    standing in for its blocks, downsampler and query dropout."""
    import equinox as eqx
    from equimo.models.partialformer import BlockChunk

    drop = eqx.nn.Dropout(0.5)
    chunk = types.SimpleNamespace(
        posemb=lambda x: x,
        blocks=[
            lambda x, qa, inference, key: (drop(x, inference=inference, key=key), qa)
        ],
        downsampler_contains_dropout=True,
        downsample=drop,
        qa_drop=drop,
        qa_proj=lambda qa: qa,
    )
    x, qa = jnp.ones((4, 8)), jnp.ones((1, 8))
    return rejects(
        *_modes(
            lambda inference: BlockChunk.__call__(
                chunk, x, qa, key=_key(), inference=inference
            )
        )
    )


# --- Equinox ----------------------------------------------------------------------


@driver
def equinox_multihead_attention(path: Path) -> bool:
    import equinox as eqx

    def run(inference: bool) -> None:
        attention = eqx.nn.MultiheadAttention(2, 8, dropout_p=0.5, key=_key())
        x = jnp.ones((3, 8))
        attention(x, x, x, key=_key(), inference=inference)

    return rejects(*_modes(run))


@driver
def equinox_sequential_dropouts(path: Path) -> bool:
    import equinox as eqx

    layers = eqx.nn.Sequential([eqx.nn.Dropout(0.5), eqx.nn.Dropout(0.5)])
    return rejects(lambda: layers(jnp.ones((4,)), key=_key()))


@driver
def equinox_mlp_init(path: Path) -> bool:
    import equinox as eqx

    return rejects(lambda: eqx.nn.MLP(4, 4, 8, depth=3, key=_key()))


# --- Flax -------------------------------------------------------------------------


@driver
def flax_linen_init_after_split(path: Path) -> bool:
    """The first lines of gemma's `test_different_structure`, with Flax linen."""
    from flax import linen as nn

    def run() -> None:
        rng_key = jax.random.PRNGKey(0)
        rng_inputs, _ = jax.random.split(rng_key)
        inputs = jax.random.normal(rng_inputs, (1, 2, 3, 4))
        model = nn.Sequential(
            [nn.Sequential([nn.BatchNorm(use_running_average=False), nn.Dense(10)])]
        )
        model.init(rng_key, jnp.zeros(inputs.shape))

    return rejects(run)


@driver
def flax_linen_init_then_split(path: Path) -> bool:
    """sst2's order: a linen module initialised from `rng`, then `rng` split."""
    from flax import linen as nn

    def run() -> None:
        rng = jax.random.key(0)
        nn.Dense(4).init(rng, jnp.ones((2, 3)))
        rng, epoch_rng = jax.random.split(rng)
        jax.random.bernoulli(epoch_rng, 0.5, (3,))

    return rejects(run)


# --- jax2onnx release -------------------------------------------------------------


@driver
def jax2onnx_dino_rope_training(path: Path) -> bool:
    from jax2onnx.plugins.examples.eqx.dino import DinoRoPE

    rope = DinoRoPE(
        16, num_heads=2, shift_coords=1.0, jitter_coords=2.0, rescale_coords=2.0
    )
    return rejects(
        *_modes(
            lambda inference: rope.get_sincos(H=2, W=2, key=_key(), inference=inference)
        )
    )
