# origin: written after the analysis, in the style of a sampler whose scan
#   carry is a dict
# licence: Apache-2.0 (this repository)
# case sample_chain: clean - the body splits and stores the new key.
# case sample_chain_stale: reuse - the body stores back the key it drew from.
# case noise_tree: clean - a key per leaf through jax.tree.map.
# oracle: excerpt:sample_chain(jax.random.key(0)) passes
#   excerpt:sample_chain_stale(jax.random.key(0)) rejects
#   excerpt:noise_tree(jax.random.key(0)) passes
import jax
import jax.numpy as jnp


def _step(carry, _):
    key, sub = jax.random.split(carry["rng"])
    x = carry["x"] + jax.random.normal(sub, carry["x"].shape)
    return {"rng": key, "x": x}, x


def _step_stale(carry, _):
    key = carry["rng"]
    x = carry["x"] + jax.random.normal(key, carry["x"].shape)  # gr203: reuse
    return {"rng": key, "x": x}, x


def sample_chain(key):
    return jax.lax.scan(_step, {"rng": key, "x": jnp.zeros(2)}, None, 3)


def sample_chain_stale(key):
    return jax.lax.scan(_step_stale, {"rng": key, "x": jnp.zeros(2)}, None, 3)


def noise_tree(key):
    params = {"a": jnp.ones(2), "b": jnp.ones(3)}
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.tree.unflatten(treedef, list(jax.random.split(key, len(leaves))))
    return jax.tree.map(lambda p, k: p + jax.random.normal(k, p.shape), params, keys)
