# origin: written for this benchmark in the style of research scripts with a
#   global key
# licence: Apache-2.0, the guardrails authors
# case add_noise: reuse - the module's key is drawn from on every call.
# case init_weights, W_INIT: reuse - the module draws from its key at import,
#   then `init_weights` draws from it again.
# case next_key, sample: clean - `global` split and written back every call.
# case BIAS: clean - the module's second key is drawn from once, at import.
# oracle: excerpt:[add_noise(jnp.ones(2))for(_)in(range(2))] rejects
#   excerpt:[init_weights()for(_)in(range(2))] rejects
#   excerpt:[sample(2)for(_)in(range(2))] passes
import jax
import jax.numpy as jnp

NOISE_KEY = jax.random.key(42)
INIT_KEY = jax.random.key(7)
W_INIT = jax.random.normal(INIT_KEY, (3,))
_KEY = jax.random.key(0)
BIAS = jax.random.uniform(jax.random.key(1), (3,))


def add_noise(x):
    return x + 0.1 * jax.random.normal(NOISE_KEY, x.shape)  # gr203: reuse


def init_weights():
    return jax.random.normal(INIT_KEY, (3, 3))  # gr203: reuse


def next_key():
    global _KEY
    _KEY, sub = jax.random.split(_KEY)
    return sub


def sample(n):
    return jax.random.normal(next_key(), (n,))
