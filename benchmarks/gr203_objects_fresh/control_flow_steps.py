# origin: written after the implementation, as a held-out check, in the style
#   of jitted sampling steps built on lax control flow
# licence: Apache-2.0, the guardrails authors
# case maybe_dropout: clean - only the training branch draws.
# case noisy_then_cond: reuse - `key` draws the noise, then the branch that runs
#   draws a mask from it.
# case langevin: reuse - the while body hands the key it drew from back in the
#   carry: every round draws the same noise.
# case langevin_split: clean - the body splits and carries the new key.
# oracle: excerpt:[maybe_dropout(jax.random.key(0),jnp.ones(3),t)for(t)in(True,False)] passes
#   excerpt:noisy_then_cond(jax.random.key(0),jnp.ones(3),True) rejects
#   excerpt:langevin(jax.random.key(0),jnp.ones(2)) rejects
#   excerpt:langevin_split(jax.random.key(0),jnp.ones(2)) passes
import jax
import jax.numpy as jnp


def maybe_dropout(key, x, training):
    return jax.lax.cond(
        training,
        lambda v: v * jax.random.bernoulli(key, 0.9, v.shape) / 0.9,
        lambda v: v,
        x,
    )


def noisy_then_cond(key, x, training):
    x = x + 0.1 * jax.random.normal(key, x.shape)
    return jax.lax.cond(
        training,
        lambda v: v * jax.random.bernoulli(key, 0.9, v.shape),  # gr203: reuse
        lambda v: v,
        x,
    )


def langevin(key, x0, steps=3):
    def body(carry):
        i, x, key = carry
        noise = jax.random.normal(key, x.shape)  # gr203: reuse
        return i + 1, x - 0.01 * x + 0.1 * noise, key

    return jax.lax.while_loop(lambda c: c[0] < steps, body, (0, x0, key))[1]


def langevin_split(key, x0, steps=3):
    def body(carry):
        i, x, key = carry
        key, noise_key = jax.random.split(key)
        noise = jax.random.normal(noise_key, x.shape)
        return i + 1, x - 0.01 * x + 0.1 * noise, key

    return jax.lax.while_loop(lambda c: c[0] < steps, body, (0, x0, key))[1]
