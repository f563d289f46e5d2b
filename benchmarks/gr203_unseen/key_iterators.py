# origin: written for the benchmark in the style of Haiku/Equinox init helpers
# licence: Apache-2.0 (this repository)
# case init_from_iterator: clean - `next` hands out a fresh key each time.
# case init_cycle_short: reuse - `itertools.cycle` over two keys, three draws.
# case init_repeated_list: reuse - `[key] * n` gives every layer one key.
# case init_generator_of_splits: clean - a generator yielding split keys.
# oracle: excerpt:init_from_iterator(jax.random.key(0)) passes
#   excerpt:init_cycle_short(jax.random.key(0)) rejects
#   excerpt:init_repeated_list(jax.random.key(0),3) rejects
#   excerpt:init_generator_of_splits(jax.random.key(0)) passes
import itertools

import jax


def dense(key, n_in, n_out):
    return jax.random.normal(key, (n_in, n_out)) / n_in**0.5


def init_from_iterator(key):
    key_iter = iter(jax.random.split(key, 3))
    w1 = dense(next(key_iter), 4, 8)
    w2 = dense(next(key_iter), 8, 8)
    w3 = dense(next(key_iter), 8, 2)
    return w1, w2, w3


def init_cycle_short(key):
    keys = itertools.cycle(jax.random.split(key, 2))
    w1 = dense(next(keys), 4, 8)
    w2 = dense(next(keys), 8, 8)
    w3 = dense(next(keys), 8, 2)  # gr203: reuse
    return w1, w2, w3


def init_repeated_list(key, depth):
    layer_keys = [key] * depth
    return [dense(k, 4, 4) for k in layer_keys]  # gr203: reuse


def _key_stream(key):
    while True:
        key, sub = jax.random.split(key)
        yield sub


def init_generator_of_splits(key):
    stream = _key_stream(key)
    return dense(next(stream), 4, 8), dense(next(stream), 8, 2)
