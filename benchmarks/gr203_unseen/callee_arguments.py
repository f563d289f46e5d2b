# origin: written for the benchmark in the style of hand-written dropout and
#   noise helpers in plain-JAX training scripts
# licence: Apache-2.0 (this repository)
# case forward_eval: clean - the helper returns before drawing when `train` is
#   False, and the caller passes False.
# case forward_train: reuse - with `train=True` both calls draw from `key`.
# case forward_deterministic_helper: clean - the helper's `deterministic=True`
#   path draws nothing.
# oracle: excerpt:forward_eval(jnp.ones(3),jax.random.key(0)) passes
#   excerpt:forward_train(jnp.ones(3),jax.random.key(0)) rejects
#   excerpt:forward_deterministic_helper(jnp.ones(3),jax.random.key(0)) passes
import jax
import jax.numpy as jnp


def dropout(x, key, rate, train):
    if not train or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def add_noise(x, rng, deterministic=False):
    if deterministic:
        return x
    return x + jax.random.normal(rng, x.shape)


def forward_eval(x, key):
    h = dropout(x, key, 0.5, train=False)
    return dropout(h, key, 0.5, False)


def forward_train(x, key):
    h = dropout(x, key, 0.5, train=True)
    return dropout(h, key, 0.5, train=True)  # gr203: reuse


def forward_deterministic_helper(x, key):
    h = add_noise(x, key, deterministic=True)
    return add_noise(h, key, True)
