# origin: written for the benchmark in the style of Flax NNX and Equinox
#   transformer blocks called in inference mode
# licence: Apache-2.0 (this repository)
# case Block.__call__: clean - with `deterministic=True` both NNX dropouts
#   ignore `rngs`; in training the caller's stream gives fresh keys.
# case eqx_block: clean - in inference both Equinox dropouts ignore the key.
# case eqx_block_training: reuse - in training the one key feeds both dropouts.
# oracle: excerpt:run_nnx_block() passes
#   excerpt:[eqx_block(jnp.ones(4),jax.random.key(0),inference=True)] passes
#   excerpt:eqx_block_training(jnp.ones(4),jax.random.key(0)) rejects
import equinox as eqx
import jax
import jax.numpy as jnp
from flax import nnx

DROP = eqx.nn.Dropout(0.5)


class Block(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.attn_drop = nnx.Dropout(0.1)
        self.mlp_drop = nnx.Dropout(0.1)

    def __call__(self, x, *, deterministic: bool, rngs=None):
        x = self.attn_drop(x, deterministic=deterministic, rngs=rngs)
        return self.mlp_drop(x, deterministic=deterministic, rngs=rngs)


def run_nnx_block():
    block = Block(nnx.Rngs(0))
    block(jnp.ones(4), deterministic=True, rngs=None)
    return block(jnp.ones(4), deterministic=False, rngs=nnx.Rngs(dropout=1))


def eqx_block(x, key, *, inference):
    x = DROP(x, key=key, inference=inference)
    return DROP(x, key=key, inference=True)


def eqx_block_training(x, key):
    x = DROP(x, key=key, inference=False)
    return DROP(x, key=key, inference=False)  # gr203: reuse
