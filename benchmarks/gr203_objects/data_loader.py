# origin: written for this benchmark in the style of the small NumPy/JAX data
#   loaders of training scripts (shuffle every epoch with a key)
# licence: Apache-2.0, the guardrails authors
# case ShuffleLoader.__iter__: reuse - `permutation(self.key, ...)` every epoch
#   without writing a new key back: each epoch has the same order.
# case FreshLoader.__iter__: clean - splits `self.key` and writes the new key back.
# case EpochLoader.epoch: clean - the epoch's key is folded from a stored seed key
#   and the epoch number, which changes every call.
# oracle: excerpt:two_epochs(ShuffleLoader(jnp.arange(8.0),4,jax.random.key(0))) rejects
#   excerpt:two_epochs(FreshLoader(jnp.arange(8.0),4,jax.random.key(0))) passes
#   excerpt:two_folded(EpochLoader(jnp.arange(8.0),4,jax.random.key(0))) passes
import jax
import jax.numpy as jnp


class ShuffleLoader:
    def __init__(self, data, batch_size, key):
        self.data = data
        self.batch_size = batch_size
        self.key = key

    def __iter__(self):
        order = jax.random.permutation(self.key, len(self.data))  # gr203: reuse
        for start in range(0, len(order), self.batch_size):
            yield self.data[order[start : start + self.batch_size]]


class FreshLoader:
    def __init__(self, data, batch_size, key):
        self.data = data
        self.batch_size = batch_size
        self.key = key

    def __iter__(self):
        self.key, shuffle_key = jax.random.split(self.key)
        order = jax.random.permutation(shuffle_key, len(self.data))
        for start in range(0, len(order), self.batch_size):
            yield self.data[order[start : start + self.batch_size]]


class EpochLoader:
    def __init__(self, data, batch_size, key):
        self.data = data
        self.batch_size = batch_size
        self.seed_key = key

    def epoch(self, number):
        epoch_key = jax.random.fold_in(self.seed_key, number)
        order = jax.random.permutation(epoch_key, len(self.data))
        return [
            self.data[order[start : start + self.batch_size]]
            for start in range(0, len(order), self.batch_size)
        ]


def two_epochs(loader):
    return [list(loader) for _ in range(2)]


def two_folded(loader):
    return loader.epoch(0), loader.epoch(1)
