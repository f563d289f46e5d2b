# origin: written for the benchmark in the style of Equinox model builders
# licence: Apache-2.0 (this repository)
# case build_with_partial: reuse - `functools.partial(init_linear, key)` is
#   called for two layers.
# case build_kwargs_twice: reuse - `**layer_kwargs` hands the same `key` to both
#   layers.
# case build_partial_per_layer: clean - a partial per layer, each with its key.
# oracle: excerpt:build_with_partial(jax.random.key(0)) rejects
#   excerpt:build_kwargs_twice(jax.random.key(0)) rejects
#   excerpt:build_partial_per_layer(jax.random.key(0)) passes
import functools

import jax


def init_linear(key, n_in, n_out):
    w_key, b_key = jax.random.split(key)
    return jax.random.normal(w_key, (n_in, n_out)), jax.random.normal(b_key, (n_out,))


def linear(n_in, n_out, *, key):
    return jax.random.normal(key, (n_in, n_out))


def build_with_partial(key):
    init = functools.partial(init_linear, key)
    first = init(4, 8)
    second = init(8, 2)  # gr203: reuse
    return first, second


def build_kwargs_twice(key):
    layer_kwargs = dict(key=key)
    first = linear(4, 8, **layer_kwargs)
    second = linear(8, 2, **layer_kwargs)  # gr203: reuse
    return first, second


def build_partial_per_layer(key):
    k1, k2 = jax.random.split(key)
    first = functools.partial(init_linear, k1)(4, 8)
    second = functools.partial(init_linear, k2)(8, 2)
    return first, second
