# origin: written after the implementation, as a held-out check, in the style
#   of JAX training scripts' batch generators
# licence: Apache-2.0, the guardrails authors
# case batch_stream: reuse - `permutation(key, n)` every epoch of the endless
#   loop with the same key.
# case batch_stream_split: clean - a new key every epoch.
# case augmented: reuse - each batch is yielded with the same augmentation key.
# oracle: excerpt:take(batch_stream(jax.random.key(0),jnp.arange(4.0),2),4) rejects
#   excerpt:take(batch_stream_split(jax.random.key(0),jnp.arange(4.0),2),4) passes
#   excerpt:use_keys(augmented(jax.random.key(0),jnp.arange(4.0),2)) rejects
import itertools

import jax
import jax.numpy as jnp


def batch_stream(key, data, batch_size):
    n = len(data)
    while True:
        perm = jax.random.permutation(key, n)  # gr203: reuse
        for i in range(0, n, batch_size):
            yield data[perm[i : i + batch_size]]


def batch_stream_split(key, data, batch_size):
    n = len(data)
    while True:
        key, perm_key = jax.random.split(key)
        perm = jax.random.permutation(perm_key, n)
        for i in range(0, n, batch_size):
            yield data[perm[i : i + batch_size]]


def augmented(key, data, batch_size):
    for i in range(0, len(data), batch_size):
        yield data[i : i + batch_size], key  # gr203: reuse


def take(stream, n):
    return list(itertools.islice(stream, n))


def use_keys(stream):
    return [batch + jax.random.normal(k, batch.shape) for batch, k in stream]
