# origin: written for this benchmark in the style of Equinox models with a key
#   field (noisy layers, stochastic depth kept on the module)
# licence: Apache-2.0, the guardrails authors
# case NoisyLinear.__call__: reuse - `noise_key` is a field: every call draws
#   the same noise from it (an Equinox module cannot write it back).
# case KeyedDropout.__call__: reuse - `__init__` hands `key` to the Linear and
#   then keeps the same key on the module, where `__call__` draws from it.
# case FreshNoisyLinear: clean - the key is an argument of `__call__`, split there.
# oracle: excerpt:twice(NoisyLinear(3,3,jax.random.key(0))) rejects
#   excerpt:once(KeyedDropout(3,jax.random.key(0))) rejects
#   excerpt:fresh_twice(FreshNoisyLinear(3,3,jax.random.key(0))) passes
import equinox as eqx
import jax
import jax.numpy as jnp


class NoisyLinear(eqx.Module):
    linear: eqx.nn.Linear
    noise_key: jax.Array
    scale: float = 0.1

    def __init__(self, din, dout, key):
        lin_key, noise_key = jax.random.split(key)
        self.linear = eqx.nn.Linear(din, dout, key=lin_key)
        self.noise_key = noise_key

    def __call__(self, x):
        noise = self.scale * jax.random.normal(self.noise_key, x.shape)  # gr203: reuse
        return self.linear(x + noise)


class KeyedDropout(eqx.Module):
    linear: eqx.nn.Linear
    key: jax.Array
    rate: float = 0.5

    def __init__(self, dim, key):
        self.linear = eqx.nn.Linear(dim, dim, key=key)
        self.key = key

    def __call__(self, x):
        keep = jax.random.bernoulli(self.key, 1 - self.rate, x.shape)  # gr203: reuse
        return self.linear(jnp.where(keep, x, 0.0))


class FreshNoisyLinear(eqx.Module):
    linear: eqx.nn.Linear

    def __init__(self, din, dout, key):
        self.linear = eqx.nn.Linear(din, dout, key=key)

    def __call__(self, x, key):
        noise_key, _ = jax.random.split(key)
        return self.linear(x + 0.1 * jax.random.normal(noise_key, x.shape))


def twice(model):
    x = jnp.ones(3)
    return model(x), model(x)


def once(model):
    return model(jnp.ones(3))


def fresh_twice(model):
    key = jax.random.key(1)
    k1, k2 = jax.random.split(key)
    x = jnp.ones(3)
    return model(x, k1), model(x, k2)
