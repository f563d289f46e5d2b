"""Keys stored on objects: Equinox/NNX-style modules and plain classes."""
import jax
import jax.numpy as jnp


class NoisyLinear:
    def __init__(self, key, din, dout):
        self.w = jax.random.normal(key, (din, dout)) * 0.1
        self.key = key

    def __call__(self, x):
        return x @ self.w + jax.random.normal(self.key, (x.shape[0], self.w.shape[1]))


class NoisyLinearGood:
    def __init__(self, key, din, dout):
        wkey, self.key = jax.random.split(key)
        self.w = jax.random.normal(wkey, (din, dout)) * 0.1

    def __call__(self, x):
        self.key, sub = jax.random.split(self.key)
        return x @ self.w + jax.random.normal(sub, (x.shape[0], self.w.shape[1]))


class Shuffler:
    def __init__(self, data, key):
        self.data = data
        self.key = key

    def epoch(self):
        idx = jax.random.permutation(self.key, self.data.shape[0])
        return self.data[idx]


class ShufflerGood:
    def __init__(self, data, key):
        self.data = data
        self.key = key

    def epoch(self):
        self.key, sub = jax.random.split(self.key)
        idx = jax.random.permutation(sub, self.data.shape[0])
        return self.data[idx]


class VAE:
    def __init__(self, key):
        self.key = key

    def encode(self, x):
        eps = jax.random.normal(self.key, x.shape)
        return x + eps

    def decode(self, z):
        return z + 0.1 * jax.random.normal(self.key, z.shape)


class Augmenter:
    def __init__(self, key):
        self.key = key

    def flip(self, x):
        self.key, sub = jax.random.split(self.key)
        return jnp.where(jax.random.bernoulli(sub), x[::-1], x)

    def noise(self, x):
        self.key, sub = jax.random.split(self.key)
        return x + jax.random.normal(sub, x.shape)
