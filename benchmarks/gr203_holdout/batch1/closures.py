"""Keys captured by functions that run more than once."""
import functools

import jax
import jax.numpy as jnp


def perturb_params_reuse(params, key, scale=0.01):
    return jax.tree.map(lambda p: p + scale * jax.random.normal(key, p.shape), params)


def perturb_params_good(params, key, scale=0.01):
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    noisy = [p + scale * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys)]
    return jax.tree.unflatten(treedef, noisy)


def init_layer(key, shape):
    return jax.random.normal(key, shape)


def partial_init_reuse(key):
    init = functools.partial(init_layer, key)
    w1 = init((3, 3))
    w2 = init((3, 3))
    return w1, w2


def fori_noise_reuse(x, key, steps=3):
    def body(i, x):
        return x + jax.random.normal(key, x.shape)

    return jax.lax.fori_loop(0, steps, body, x)


def fori_noise_good(x, key, steps=3):
    def body(i, x):
        return x + jax.random.normal(jax.random.fold_in(key, i), x.shape)

    return jax.lax.fori_loop(0, steps, body, x)


def vmap_noise_reuse(xs, key):
    def add_noise(x, rng_in):
        return x + jax.random.normal(rng_in, x.shape)

    return jax.vmap(add_noise, in_axes=(0, None))(xs, key)


def vmap_noise_good(xs, key):
    def add_noise(x, rng_in):
        return x + jax.random.normal(rng_in, x.shape)

    keys = jax.random.split(key, xs.shape[0])
    return jax.vmap(add_noise)(xs, keys)


def kwargs_twice_reuse(key):
    kw = dict(key=key)
    a = init_layer(shape=(2,), **kw)
    b = init_layer(shape=(2,), **kw)
    return a, b
