# origin: written for this benchmark in the style of data pipelines and
#   samplers that hand out keys from a generator
# licence: Apache-2.0, the guardrails authors
# case repeat_key: reuse - the generator yields the same key every round.
# case batches_with_key: reuse - every batch comes with the same augmentation key.
# case key_sequence: clean - splits before each yield and keeps the new key.
# case batches_fresh: clean - a key per batch from `split(key, n)`.
# oracle: excerpt:draw(repeat_key(jax.random.key(0))) rejects
#   excerpt:augment(batches_with_key(jnp.ones((4,2)),jax.random.key(0))) rejects
#   excerpt:draw(key_sequence(jax.random.key(0))) passes
#   excerpt:augment(batches_fresh(jnp.ones((4,2)),jax.random.key(0))) passes
import jax
import jax.numpy as jnp


def repeat_key(key):
    while True:
        yield key  # gr203: reuse


def key_sequence(key):
    while True:
        key, sub = jax.random.split(key)
        yield sub


def batches_with_key(data, key):
    for row in data:
        yield row, key  # gr203: reuse


def batches_fresh(data, key):
    keys = jax.random.split(key, len(data))
    for row, row_key in zip(data, keys):
        yield row, row_key


def draw(stream):
    return [jax.random.normal(next(stream), (2,)) for _ in range(3)]


def augment(batches):
    return [row + jax.random.normal(key, row.shape) for row, key in batches]
