# origin: written for this benchmark in the style of augmentation and sampling
#   code built on lax.cond / lax.while_loop
# licence: Apache-2.0, the guardrails authors
# case maybe_flip: clean - each `cond` branch draws from `key` once; only one
#   branch runs.
# case jitter: reuse - `key` draws the scale before the `cond`, and the taken
#   branch draws from it again.
# case rejection_sample: reuse - the `while_loop` body closes over `key`: every
#   iteration draws the same proposal.
# case rejection_sample_carry: clean - the key is carried and split each round.
# case switch_noise: clean - `lax.switch` branches each draw from the key once.
# oracle: excerpt:[maybe_flip(jax.random.key(0),jnp.ones(3),f)for(f)in(True,False)] passes
#   excerpt:[jitter(jax.random.key(0),jnp.ones(3),f)for(f)in(True,False)] rejects
#   excerpt:rejection_sample(jax.random.key(0)) rejects
#   excerpt:rejection_sample_carry(jax.random.key(0)) passes
#   excerpt:[switch_noise(jax.random.key(0),jnp.ones(3),i)for(i)in(range(3))] passes
import jax
import jax.numpy as jnp
from jax import lax


def maybe_flip(key, x, flip):
    return lax.cond(
        flip,
        lambda v: v[::-1] + jax.random.normal(key, v.shape),
        lambda v: v + jax.random.uniform(key, v.shape),
        x,
    )


def jitter(key, x, strong):
    scale = jax.random.uniform(key)

    def strong_branch(v):
        return v * scale + jax.random.normal(key, v.shape)  # gr203: reuse

    def weak_branch(v):
        return v * scale

    return lax.cond(strong, strong_branch, weak_branch, x)


def rejection_sample(key, threshold=0.9):
    def cond_fun(carry):
        return carry[1] < threshold

    def body_fun(carry):
        proposal = jax.random.uniform(key)  # gr203: reuse
        return carry[0] + 1, proposal

    return lax.while_loop(cond_fun, body_fun, (0, 0.0))


def rejection_sample_carry(key, threshold=0.9):
    def cond_fun(carry):
        return carry[1] < threshold

    def body_fun(carry):
        count, _, key = carry
        key, sub = jax.random.split(key)
        return count + 1, jax.random.uniform(sub), key

    return lax.while_loop(cond_fun, body_fun, (0, 0.0, key))


def switch_noise(key, x, which):
    branches = [
        lambda v: v + jax.random.normal(key, v.shape),
        lambda v: v * jax.random.uniform(key, v.shape),
        lambda v: v,
    ]
    return lax.switch(which, branches, x)
