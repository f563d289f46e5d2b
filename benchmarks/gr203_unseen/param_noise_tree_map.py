# origin: written for the benchmark in the style of evolution-strategies and
#   noisy-SGD perturbations (optax's add_noise draws per leaf)
# licence: Apache-2.0 (this repository)
# case perturb_same_key_every_leaf: reuse - the lambda runs once per leaf and
#   draws from the captured `key` each time.
# case perturb_key_per_leaf: clean - one key per leaf, mapped alongside.
# case perturb_nested_function: reuse - a nested function closing over `rng`
#   is mapped over the leaves.
# oracle: excerpt:perturb_same_key_every_leaf(jax.random.key(0)) rejects
#   excerpt:perturb_key_per_leaf(jax.random.key(0)) passes
#   excerpt:perturb_nested_function(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp

PARAMS = {"w": jnp.ones((2, 3)), "b": jnp.zeros((3,))}


def perturb_same_key_every_leaf(key, sigma=0.1):
    return jax.tree.map(
        lambda p: p + sigma * jax.random.normal(key, p.shape), PARAMS  # gr203: reuse
    )


def perturb_key_per_leaf(key, sigma=0.1):
    leaves, treedef = jax.tree.flatten(PARAMS)
    keys = jax.random.split(key, len(leaves))
    noisy = [p + sigma * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys)]
    return jax.tree.unflatten(treedef, noisy)


def perturb_nested_function(rng, sigma=0.1):
    def add_noise(p):
        return p + sigma * jax.random.normal(rng, p.shape)  # gr203: reuse

    return jax.tree_util.tree_map(add_noise, PARAMS)
