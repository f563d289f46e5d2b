# origin: written for the benchmark in the style of batched VAE / bootstrap code
# licence: Apache-2.0 (this repository)
# case batched_reparam_two_draws: reuse - the vmapped function draws eps and
#   the dropout mask from the same per-example key `r`.
# case batched_reparam_split: clean - it splits `r` first.
# case ensemble_members: reuse - the inner function, called through vmap with
#   a key array, reuses its `seed_array` argument.
# oracle: excerpt:batched_reparam_two_draws(jax.random.key(0)) rejects
#   excerpt:batched_reparam_split(jax.random.key(0)) passes
#   excerpt:ensemble_members(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp


def batched_reparam_two_draws(key):
    def encode(r, mean, logvar):
        eps = jax.random.normal(r, mean.shape)
        keep = jax.random.bernoulli(r, 0.9, mean.shape)  # gr203: reuse
        return jnp.where(keep, mean + jnp.exp(0.5 * logvar) * eps, 0.0)

    means = jnp.zeros((4, 3))
    keys = jax.random.split(key, 4)
    return jax.vmap(encode)(keys, means, means)


def batched_reparam_split(key):
    def encode(r, mean, logvar):
        eps_key, drop_key = jax.random.split(r)
        eps = jax.random.normal(eps_key, mean.shape)
        keep = jax.random.bernoulli(drop_key, 0.9, mean.shape)
        return jnp.where(keep, mean + jnp.exp(0.5 * logvar) * eps, 0.0)

    means = jnp.zeros((4, 3))
    return jax.vmap(encode)(jax.random.split(key, 4), means, means)


def _member(seed_array, x):
    w = jax.random.normal(seed_array, (3, 3))
    b = jax.random.normal(seed_array, (3,))  # gr203: reuse
    return x @ w + b


def ensemble_members(key):
    members = jax.random.split(key, 5)
    return jax.vmap(_member, in_axes=(0, None))(members, jnp.ones((3,)))
