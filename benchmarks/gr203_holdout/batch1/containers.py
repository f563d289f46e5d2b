"""Keys in containers and iterators."""
import itertools

import jax
import jax.numpy as jnp


def init_mlp_good(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        jax.random.normal(k, (m, n)) * 0.1
        for k, m, n in zip(keys, sizes[:-1], sizes[1:])
    ]


def init_mlp_overlap(key, sizes):
    keys = jax.random.split(key, len(sizes))
    weights = [jax.random.normal(k, (4, 4)) for k in keys[:2]]
    biases = [jax.random.normal(k, (4,)) for k in keys[1:3]]
    return weights, biases


def init_with_iter_good(key):
    keys = iter(jax.random.split(key, 4))
    w1 = jax.random.normal(next(keys), (3, 3))
    w2 = jax.random.normal(next(keys), (3, 3))
    b = jax.random.normal(next(keys), (3,))
    return w1, w2, b


def init_with_cycle_reuse(key):
    keys = itertools.cycle(jax.random.split(key, 2))
    w1 = jax.random.normal(next(keys), (3, 3))
    w2 = jax.random.normal(next(keys), (3, 3))
    w3 = jax.random.normal(next(keys), (3, 3))
    return w1, w2, w3


def named_keys_reuse(key):
    k1, k2 = jax.random.split(key)
    keys = {"user": k1, "item": k2}
    user = jax.random.normal(keys["user"], (8,))
    item = jax.random.normal(keys["item"], (8,))
    bias = jax.random.normal(keys["user"], ())
    return user, item, bias


def loop_index_reuse(key, n=3):
    keys = jax.random.split(key, n)
    out = []
    for i in range(n):
        out.append(jax.random.normal(keys[i], (2,)))
    out.append(jax.random.normal(keys[0], (2,)))
    return out


def repeated_list_reuse(key, n=3):
    keys = [key] * n
    return [jax.random.normal(k, (2,)) for k in keys]


def config_key_string_clean(config):
    out = {}
    for key in config:
        out[key] = str(config[key])
    key = "lr"
    return out, config.get(key, 0.1)
