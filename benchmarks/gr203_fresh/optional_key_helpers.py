# origin: written after the analysis, in the style of model code whose noise
#   helpers take an optional key
# licence: Apache-2.0 (this repository)
# case encode_without_noise: clean - `key=None` at both calls: the helper
#   returns before drawing.
# case encode_with_noise: reuse - the same key at both calls.
# case explore: reuse - epsilon-greedy draws the coin and the random action from
#   one key.
# oracle: excerpt:encode_without_noise(jax.random.key(0)) passes
#   excerpt:encode_with_noise(jax.random.key(0)) rejects
#   excerpt:explore(jax.random.key(0),jnp.ones(3)) rejects
import jax
import jax.numpy as jnp


def maybe_noise(x, scale, key=None):
    if key is None:
        return x
    return x + scale * jax.random.normal(key, x.shape)


def encode_without_noise(key):
    h = maybe_noise(jnp.ones(3), 0.1, None)
    return maybe_noise(h, 0.1, key=None), jax.random.normal(key, ())


def encode_with_noise(key):
    h = maybe_noise(jnp.ones(3), 0.1, key)
    return maybe_noise(h, 0.1, key=key)  # gr203: reuse


def explore(key, q_values, epsilon=0.1):
    coin = jax.random.uniform(key)
    random_action = jax.random.randint(key, (), 0, q_values.shape[0])  # gr203: reuse
    return jnp.where(coin < epsilon, random_action, jnp.argmax(q_values))
