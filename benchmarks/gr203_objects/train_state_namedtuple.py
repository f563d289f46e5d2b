# origin: written for this benchmark in the style of optax training loops with
#   a NamedTuple train state carrying the dropout key
# licence: Apache-2.0, the guardrails authors
# case train_step: reuse - splits `state.rng` for dropout but returns the state
#   with the old `rng`: the next step splits the same key again.
# case train_step_fixed: clean - the returned state holds the new key.
# case train_step_positional: clean - a new TrainState built positionally with
#   the new key.
# oracle: excerpt:run(train_step) rejects
#   excerpt:run(train_step_fixed) passes
#   excerpt:run(train_step_positional) passes
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

optimizer = optax.sgd(0.1)


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    rng: jax.Array


def loss_fn(params, batch, dropout_key):
    keep = jax.random.bernoulli(dropout_key, 0.9, batch.shape)
    return jnp.mean((jnp.where(keep, batch, 0.0) @ params) ** 2)


def train_step(state, batch):
    rng, dropout_key = jax.random.split(state.rng)  # gr203: reuse
    grads = jax.grad(loss_fn)(state.params, batch, dropout_key)
    updates, opt_state = optimizer.update(grads, state.opt_state)
    params = optax.apply_updates(state.params, updates)
    return state._replace(params=params, opt_state=opt_state)


def train_step_fixed(state, batch):
    rng, dropout_key = jax.random.split(state.rng)
    grads = jax.grad(loss_fn)(state.params, batch, dropout_key)
    updates, opt_state = optimizer.update(grads, state.opt_state)
    params = optax.apply_updates(state.params, updates)
    return state._replace(params=params, opt_state=opt_state, rng=rng)


def train_step_positional(state, batch):
    rng, dropout_key = jax.random.split(state.rng)
    grads = jax.grad(loss_fn)(state.params, batch, dropout_key)
    updates, opt_state = optimizer.update(grads, state.opt_state)
    return TrainState(optax.apply_updates(state.params, updates), opt_state, rng)


def run(step):
    params = jnp.ones((3,))
    state = TrainState(params, optimizer.init(params), jax.random.key(0))
    batch = jnp.ones((2, 3))
    for _ in range(3):
        state = step(state, batch)
    return state
