# origin: written after the analysis, in the style of a hand-written MLP with
#   dropout between layers (Haiku-style key handling in plain JAX)
# licence: Apache-2.0 (this repository)
# case mlp_forward_keys_zip: clean - one key per layer, zipped.
# case mlp_forward_one_key: reuse - every layer's dropout draws from `key`.
# case init_mlp_dict: clean - one key per named layer in a dict.
# case init_mlp_dict_shared: reuse - two layers read the same entry.
# oracle: excerpt:mlp_forward_keys_zip(jax.random.key(0)) passes
#   excerpt:mlp_forward_one_key(jax.random.key(0)) rejects
#   excerpt:init_mlp_dict(jax.random.key(0)) passes
#   excerpt:init_mlp_dict_shared(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp

LAYERS = [jnp.ones((3, 3)), jnp.ones((3, 3)), jnp.ones((3, 3))]


def dropout(key, x, rate=0.5):
    keep = jax.random.bernoulli(key, 1 - rate, x.shape)
    return jnp.where(keep, x / (1 - rate), 0.0)


def mlp_forward_keys_zip(key):
    x = jnp.ones(3)
    for w, layer_key in zip(LAYERS, jax.random.split(key, len(LAYERS))):
        x = dropout(layer_key, jnp.tanh(x @ w))
    return x


def mlp_forward_one_key(key):
    x = jnp.ones(3)
    for w in LAYERS:
        x = dropout(key, jnp.tanh(x @ w))  # gr203: reuse
    return x


def init_mlp_dict(key):
    names = ["encoder", "hidden", "decoder"]
    keys = dict(zip(names, jax.random.split(key, len(names))))
    return {name: jax.random.normal(keys[name], (3, 3)) for name in names}


def init_mlp_dict_shared(key):
    keys = dict(zip(["encoder", "decoder"], jax.random.split(key)))
    enc = jax.random.normal(keys["encoder"], (3, 3))
    dec = jax.random.normal(keys["encoder"], (3, 3))  # gr203: reuse
    return enc, dec, keys["decoder"]
