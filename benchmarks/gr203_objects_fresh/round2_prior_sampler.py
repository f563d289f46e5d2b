# origin: written after the implementation (second round), as a held-out
#   check, in the style of generative-model sampling utilities
# licence: Apache-2.0, the guardrails authors
# case sample_prior: reuse - the module's key is drawn from on every call.
# case project: clean - the module's second key builds a constant at import.
# case maybe_noise: reuse - `lax.cond` hands `key` to the branch that draws,
#   then `key` draws again.
# case maybe_noise_split: clean - the cond and the later draw get their own keys.
# oracle: excerpt:[sample_prior(2)for(_)in(range(2))] rejects
#   excerpt:[project(jnp.ones(3))for(_)in(range(2))] passes
#   excerpt:maybe_noise(jax.random.key(0),True) rejects
#   excerpt:maybe_noise_split(jax.random.key(0),True) passes
import jax
import jax.numpy as jnp

_PRIOR_KEY = jax.random.key(0)
_PROJECTION = jax.random.normal(jax.random.key(1), (3, 3))


def sample_prior(n):
    return jax.random.normal(_PRIOR_KEY, (n, 2))  # gr203: reuse


def project(x):
    return x @ _PROJECTION


def maybe_noise(key, add):
    x = jax.lax.cond(add, lambda k: jax.random.normal(k, (3,)), lambda k: jnp.zeros(3), key)
    return x + jax.random.uniform(key, (3,))  # gr203: reuse


def maybe_noise_split(key, add):
    cond_key, uniform_key = jax.random.split(key)
    x = jax.lax.cond(add, lambda k: jax.random.normal(k, (3,)), lambda k: jnp.zeros(3), cond_key)
    return x + jax.random.uniform(uniform_key, (3,))
