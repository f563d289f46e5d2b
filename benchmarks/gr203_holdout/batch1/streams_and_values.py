"""Generators, module-level keys, cond branches and value-equal keys."""
import jax
import jax.numpy as jnp

_NOISE_KEY = jax.random.key(0)


def key_stream_bad(key):
    while True:
        yield key


def key_stream_good(key):
    while True:
        key, sub = jax.random.split(key)
        yield sub


def two_draws_from_stream_bad(key):
    stream = key_stream_bad(key)
    a = jax.random.normal(next(stream), (2,))
    b = jax.random.normal(next(stream), (2,))
    return a, b


def two_draws_from_stream_good(key):
    stream = key_stream_good(key)
    a = jax.random.normal(next(stream), (2,))
    b = jax.random.normal(next(stream), (2,))
    return a, b


def add_global_noise(x):
    return x + jax.random.normal(_NOISE_KEY, x.shape)


def cond_branches_clean(pred, key, x):
    return jax.lax.cond(
        pred,
        lambda x: x + jax.random.normal(key, x.shape),
        lambda x: x - jax.random.uniform(key, x.shape),
        x,
    )


def cond_after_draw_reuse(pred, key, x):
    x = x + jax.random.normal(key, x.shape)
    return jax.lax.cond(
        pred,
        lambda x: x + jax.random.normal(key, x.shape),
        lambda x: x,
        x,
    )


def same_seed_twice(seed):
    a = jax.random.normal(jax.random.key(seed), (2,))
    b = jax.random.normal(jax.random.key(seed), (2,))
    return a, b


def fold_in_same_twice(key):
    k_a = jax.random.fold_in(key, 0)
    k_b = jax.random.fold_in(key, 0)
    return jax.random.normal(k_a, (2,)), jax.random.normal(k_b, (2,))


def fold_in_distinct(key):
    k_a = jax.random.fold_in(key, 0)
    k_b = jax.random.fold_in(key, 1)
    return jax.random.normal(k_a, (2,)), jax.random.normal(k_b, (2,))
