# origin: written for this benchmark in the style of Flax NNX modules that draw
#   from an `nnx.Rngs` stream
# licence: Apache-2.0, the guardrails authors
# case TwinInit.__init__: reuse - `key = rngs.params()` once, handed to both
#   weight initialisers: the two matrices are equal.
# case NoisyBlock.__call__: reuse - one `rngs.dropout()` key for both noise draws.
# case FreshInit, FreshBlock: clean - `rngs.params()` / `rngs()` called per draw
#   (a stream gives a new key on every call).
# oracle: excerpt:TwinInit(3,rngs=nnx.Rngs(0)) rejects
#   excerpt:NoisyBlock(rngs=nnx.Rngs(0))(jnp.ones(3)) rejects
#   excerpt:FreshInit(3,rngs=nnx.Rngs(0)) passes
#   excerpt:FreshBlock(rngs=nnx.Rngs(0))(jnp.ones(3)) passes
import jax
import jax.numpy as jnp
from flax import nnx


class TwinInit(nnx.Module):
    def __init__(self, dim, *, rngs: nnx.Rngs):
        key = rngs.params()
        init = nnx.initializers.lecun_normal()
        self.w1 = nnx.Param(init(key, (dim, dim)))
        self.w2 = nnx.Param(init(key, (dim, dim)))  # gr203: reuse


class FreshInit(nnx.Module):
    def __init__(self, dim, *, rngs: nnx.Rngs):
        init = nnx.initializers.lecun_normal()
        self.w1 = nnx.Param(init(rngs.params(), (dim, dim)))
        self.w2 = nnx.Param(init(rngs.params(), (dim, dim)))
        self.proj = nnx.Linear(dim, dim, rngs=rngs)
        self.out = nnx.Linear(dim, dim, rngs=rngs)


class NoisyBlock(nnx.Module):
    def __init__(self, *, rngs: nnx.Rngs):
        self.rngs = rngs

    def __call__(self, x):
        key = self.rngs.dropout()
        x = x + jax.random.normal(key, x.shape)
        return x * jax.random.bernoulli(key, 0.5, x.shape)  # gr203: reuse


class FreshBlock(nnx.Module):
    def __init__(self, *, rngs: nnx.Rngs):
        self.rngs = rngs

    def __call__(self, x):
        x = x + jax.random.normal(self.rngs.dropout(), x.shape)
        return x * jax.random.bernoulli(self.rngs(), 0.5, x.shape)
