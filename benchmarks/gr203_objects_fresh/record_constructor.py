# origin: written after the implementation, as a held-out check, in the style
#   of hand-written JAX training loops with a NamedTuple state
# licence: Apache-2.0, the guardrails authors
# case update: reuse - the noise keys come from `split(state.key, 3)` but the
#   new state is built with `key=state.key`.
# case update_fixed: clean - the new key goes into the new state.
# oracle: excerpt:loop(update) rejects
#   excerpt:loop(update_fixed) passes
from typing import NamedTuple

import jax
import jax.numpy as jnp


class State(NamedTuple):
    w: jax.Array
    key: jax.Array
    step: int


def update(state):
    _, k1, k2 = jax.random.split(state.key, 3)  # gr203: reuse
    w = state.w + 0.1 * jax.random.normal(k1, state.w.shape)
    w = w * jax.random.bernoulli(k2, 0.9, w.shape)
    return State(w=w, key=state.key, step=state.step + 1)


def update_fixed(state):
    key, k1, k2 = jax.random.split(state.key, 3)
    w = state.w + 0.1 * jax.random.normal(k1, state.w.shape)
    w = w * jax.random.bernoulli(k2, 0.9, w.shape)
    return State(w=w, key=key, step=state.step + 1)


def loop(step):
    state = State(jnp.ones(3), jax.random.key(0), 0)
    for _ in range(3):
        state = step(state)
    return state
