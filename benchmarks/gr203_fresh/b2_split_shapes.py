# origin: written after the analysis (second batch), in the style of init and
#   sampling code that splits in assorted ways
# licence: Apache-2.0 (this repository)
# case init_star_unpack: clean - `key, *layer_keys = split(key, 4)`.
# case init_counter_then_first: reuse - the loop uses all three keys, then the
#   bias draws from `subkeys[0]` again.
# case sample_sliced_by_count: clean - `keys[:k]` and `keys[k:]`.
# case noise_then_dropout: reuse - with `use_noise`, the noise and the dropout
#   mask share `key`.
# oracle: excerpt:init_star_unpack(jax.random.key(0)) passes
#   excerpt:init_counter_then_first(jax.random.key(0)) rejects
#   excerpt:sample_sliced_by_count(jax.random.key(0),2) passes
#   excerpt:[noise_then_dropout(jax.random.key(0),u)for(u)in(True,False)] rejects
import jax
import jax.numpy as jnp


def init_star_unpack(key):
    key, *layer_keys = jax.random.split(key, 4)
    weights = [jax.random.normal(k, (2, 2)) for k in layer_keys]
    return weights, jax.random.normal(key, (2,))


def init_counter_then_first(key):
    subkeys = jax.random.split(key, 3)
    weights = []
    for i in range(3):
        weights.append(jax.random.normal(subkeys[i], (2, 2)))
    bias = jax.random.normal(subkeys[0], (2,))  # gr203: reuse
    return weights, bias


def sample_sliced_by_count(key, k):
    keys = jax.random.split(key, num=5)
    first = [jax.random.normal(s, ()) for s in keys[:k]]
    rest = [jax.random.uniform(s, ()) for s in keys[k:]]
    return first, rest


def noise_then_dropout(key, use_noise):
    x = jnp.ones(4)
    if use_noise:
        x = x + jax.random.normal(key, x.shape)
    keep = jax.random.bernoulli(key, 0.5, x.shape)  # gr203: reuse
    return jnp.where(keep, x, 0.0)
