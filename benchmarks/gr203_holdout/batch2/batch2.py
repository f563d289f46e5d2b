"""Second held-out batch: everyday idioms."""
import functools

import jax
import jax.numpy as jnp
import numpy as np


def index_twice(key):
    keys = jax.random.split(key, 3)
    a = jax.random.normal(keys[0], (2,))
    b = jax.random.normal(keys[1], (2,))
    c = jax.random.uniform(keys[1], (2,))
    return a, b, c


def unpacked_twice(key):
    k1, k2 = jax.random.split(key)
    w = jax.random.normal(k1, (3,))
    b = jax.random.normal(k1, (3,))
    return w, b, k2


def parent_after_split(key):
    k1, k2 = jax.random.split(key)
    x = jax.random.normal(k1, (2,))
    y = jax.random.normal(key, (2,))
    return x, y, k2


def closure_called_twice(key):
    def sample(n):
        return jax.random.normal(key, (n,))

    return sample(2), sample(3)


def vmapped_split_clean(key):
    return jax.vmap(lambda k: jax.random.normal(k, ()))(jax.random.split(key, 4))


class NumpyAugment:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def __call__(self, x):
        return x + self.rng.normal(size=x.shape) + self.rng.uniform(size=x.shape)


def train_loop_clean(key, steps=3):
    rng = key
    out = []
    for _ in range(steps):
        rng, step_rng = jax.random.split(rng)
        out.append(jax.random.normal(step_rng, (2,)))
    return out


def init_pair(key):
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (2, 2)), jax.random.normal(k2, (2,))


def init_pair_twice(key):
    enc = init_pair(key)
    dec = init_pair(key)
    return enc, dec


def init_pair_split(key):
    k_enc, k_dec = jax.random.split(key)
    return init_pair(k_enc), init_pair(k_dec)


def choice_then_permutation(key, n=5):
    pick = jax.random.choice(key, n)
    order = jax.random.permutation(key, n)
    return pick, order


def dropout_then_noise(x, key, training):
    if training:
        keep = jax.random.bernoulli(key, 0.9, x.shape)
        x = jnp.where(keep, x, 0.0)
    return x + 0.01 * jax.random.normal(key, x.shape)


def early_return_clean(x, key, training):
    if not training:
        return x
    return x + jax.random.normal(key, x.shape)


def while_split_clean(key, n=3):
    i = 0
    total = 0.0
    while i < n:
        key, sub = jax.random.split(key)
        total = total + jax.random.normal(sub, ())
        i += 1
    return total


def comprehension_reuse(key):
    return [jax.random.normal(key, ()) for _ in range(3)]


def comprehension_clean(key):
    return [jax.random.normal(k, ()) for k in jax.random.split(key, 3)]


def partial_sampler_reuse(key):
    draw = functools.partial(jax.random.normal, key)
    return draw((2,)), draw((3,))


def fold_in_per_step_clean(key, steps=3):
    return [jax.random.normal(jax.random.fold_in(key, t), (2,)) for t in range(steps)]


def named_rngs_dict_reuse(key):
    k1, k2 = jax.random.split(key)
    rngs = {"params": k1, "dropout": k1}
    w = jax.random.normal(rngs["params"], (2,))
    m = jax.random.bernoulli(rngs["dropout"], 0.5, (2,))
    return w, m, k2


def gumbel_and_categorical_clean(key, logits):
    k_g, k_c = jax.random.split(key)
    g = jax.random.gumbel(k_g, logits.shape)
    c = jax.random.categorical(k_c, logits)
    return g, c
