# origin: written for this benchmark in the style of Flax NNX modules that keep
#   their own key in a Variable
# licence: Apache-2.0, the guardrails authors
# case GaussianNoise.__call__: reuse - the Variable's key is drawn from on every
#   call and never updated: the same noise each step.
# case FreshGaussianNoise.__call__: clean - split, the new key written back to
#   the Variable.
# oracle: excerpt:twice(GaussianNoise(jax.random.key(0))) rejects
#   excerpt:twice(FreshGaussianNoise(jax.random.key(0))) passes
import jax
import jax.numpy as jnp
from flax import nnx


class NoiseKey(nnx.Variable):
    pass


class GaussianNoise(nnx.Module):
    def __init__(self, key, scale=0.1):
        self.key = NoiseKey(key)
        self.scale = scale

    def __call__(self, x):
        return x + self.scale * jax.random.normal(self.key.value, x.shape)  # gr203: reuse


class FreshGaussianNoise(nnx.Module):
    def __init__(self, key, scale=0.1):
        self.key = NoiseKey(key)
        self.scale = scale

    def __call__(self, x):
        key, noise_key = jax.random.split(self.key.value)
        self.key.value = key
        return x + self.scale * jax.random.normal(noise_key, x.shape)


def twice(layer):
    x = jnp.ones(3)
    return layer(x), layer(x)
