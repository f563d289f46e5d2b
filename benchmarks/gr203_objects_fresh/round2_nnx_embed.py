# origin: written after the implementation (second round), as a held-out
#   check, in the style of Flax NNX models
# licence: Apache-2.0, the guardrails authors
# case NoisyEmbed.__init__: reuse - one `rngs.params()` key for the token table
#   and the position table.
# case StochasticDepth.__call__: clean - a stream call per draw.
# case Block: clean - NNX layers take the `rngs` stream.
# oracle: excerpt:NoisyEmbed(5,4,rngs=nnx.Rngs(0)) rejects
#   excerpt:StochasticDepth(0.5,rngs=nnx.Rngs(0))(jnp.ones(3)) passes
#   excerpt:Block(4,rngs=nnx.Rngs(0))(jnp.ones((2,4))) passes
import jax
import jax.numpy as jnp
from flax import nnx


class NoisyEmbed(nnx.Module):
    def __init__(self, vocab, dim, *, rngs: nnx.Rngs):
        init_key = rngs.params()
        self.table = nnx.Param(jax.random.normal(init_key, (vocab, dim)))
        self.pos = nnx.Param(jax.random.normal(init_key, (16, dim)))  # gr203: reuse


class StochasticDepth(nnx.Module):
    def __init__(self, rate, *, rngs: nnx.Rngs):
        self.rate = rate
        self.rngs = rngs

    def __call__(self, x):
        keep = jax.random.bernoulli(self.rngs.dropout(), 1 - self.rate)
        scale = jax.random.uniform(self.rngs.dropout(), minval=0.9, maxval=1.1)
        return jnp.where(keep, x * scale, 0.0)


class Block(nnx.Module):
    def __init__(self, dim, *, rngs: nnx.Rngs):
        self.linear = nnx.Linear(dim, dim, rngs=rngs)
        self.drop = nnx.Dropout(0.1, rngs=rngs)

    def __call__(self, x):
        return self.drop(self.linear(x))
