"""Flax NNX modules, Rngs streams, inference modes and exclusive conditions."""
import jax
import jax.numpy as jnp
from flax import nnx


class Block(nnx.Module):
    def __init__(self, din, dout, *, rngs: nnx.Rngs):
        self.lin1 = nnx.Linear(din, dout, rngs=rngs)
        self.lin2 = nnx.Linear(dout, dout, rngs=rngs)
        self.drop = nnx.Dropout(0.1, rngs=rngs)

    def __call__(self, x):
        return self.lin2(self.drop(self.lin1(x)))


def build_rngs_clean(seed):
    rngs = nnx.Rngs(seed)
    a = jax.random.normal(rngs(), (2,))
    b = jax.random.normal(rngs(), (2,))
    return a, b


def build_params_key_twice(seed):
    rngs = nnx.Rngs(params=seed)
    k = rngs.params()
    w1 = jax.random.normal(k, (3, 3))
    w2 = jax.random.normal(k, (3, 3))
    return w1, w2


def dropout(x, rate, key, deterministic):
    if deterministic:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def eval_forward_clean(x, key):
    h = dropout(x, 0.1, key, deterministic=True)
    return dropout(h, 0.1, key, deterministic=True)


def train_forward_reuse(x, key):
    h = dropout(x, 0.1, key, deterministic=False)
    return dropout(h, 0.1, key, deterministic=False)


def mode_switch_clean(x, key, mode):
    if mode == "train":
        x = x + jax.random.normal(key, x.shape)
    if mode == "sample":
        x = jax.random.normal(key, x.shape)
    return x


def lookup_by_key_clean(table, key):
    value = table[key]
    return value, {key: value}, f"{key}={value}"


def diffusion_sample_reuse(x, key, steps=3):
    for t in range(steps):
        noise = jax.random.normal(key, x.shape)
        x = 0.9 * x + 0.1 * noise
    return x


def diffusion_sample_good(x, key, steps=3):
    for t in range(steps):
        key, sub = jax.random.split(key)
        x = 0.9 * x + 0.1 * jax.random.normal(sub, x.shape)
    return x
