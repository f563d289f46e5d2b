# origin: written for the benchmark in the style of Flax NNX's MNIST / MLP
#   tutorials (nnx.Rngs streams, nnx.Dropout)
# licence: Apache-2.0 (this repository)
# case MLP.__init__: clean - `rngs` is an nnx.Rngs: every layer draws a new
#   key from it.
# case MLP.__call__: clean - the dropout stream is drawn on each call.
# case build_models: clean - `rng` is an nnx.Rngs handed to two models.
# case noisy_features: reuse - a raw key taken from the stream once, then
#   drawn from twice.
# oracle: excerpt:MLP(4,8,rngs=nnx.Rngs(0,dropout=1))(jnp.ones((2,4))) passes
#   excerpt:build_models(nnx.Rngs(0)) passes
#   excerpt:noisy_features(nnx.Rngs(0)) rejects
import jax
import jax.numpy as jnp
from flax import nnx


class MLP(nnx.Module):
    def __init__(self, din, dhidden, *, rngs: nnx.Rngs):
        self.linear1 = nnx.Linear(din, dhidden, rngs=rngs)
        self.dropout = nnx.Dropout(0.5, rngs=rngs)
        self.linear2 = nnx.Linear(dhidden, 2, rngs=rngs)

    def __call__(self, x):
        x = self.dropout(nnx.relu(self.linear1(x)))
        x = self.dropout(x)
        return self.linear2(x)


def build_models(rng):
    encoder = nnx.Linear(4, 8, rngs=rng)
    decoder = nnx.Linear(8, 4, rngs=rng)
    noise = jax.random.normal(rng.noise(), (4,)) if hasattr(rng, "noise") else 0.0
    return encoder, decoder, noise


def noisy_features(rngs):
    key = rngs.params()
    a = jax.random.normal(key, (3,))
    b = jax.random.normal(key, (3,))  # gr203: reuse
    return a + b
