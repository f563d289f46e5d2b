"""Keys in state records: NamedTuple / dataclass training states."""
from dataclasses import dataclass, replace
from typing import NamedTuple

import jax
import jax.numpy as jnp


class TrainState(NamedTuple):
    params: jax.Array
    rng: jax.Array
    step: int


def train_step_stale(state, batch):
    rng, dropout_rng = jax.random.split(state.rng)
    mask = jax.random.bernoulli(dropout_rng, 0.9, batch.shape)
    grads = jnp.mean(batch * mask) * jnp.ones_like(state.params)
    return TrainState(state.params - 0.1 * grads, state.rng, state.step + 1)


def train_step_good(state, batch):
    rng, dropout_rng = jax.random.split(state.rng)
    mask = jax.random.bernoulli(dropout_rng, 0.9, batch.shape)
    grads = jnp.mean(batch * mask) * jnp.ones_like(state.params)
    return TrainState(state.params - 0.1 * grads, rng, state.step + 1)


@dataclass
class GanState:
    g_params: jax.Array
    d_params: jax.Array
    key: jax.Array


def gan_step_stale(state, real):
    key, z_key = jax.random.split(state.key)
    z = jax.random.normal(z_key, real.shape)
    fake = z * state.g_params
    d_loss = jnp.mean(fake - real)
    return replace(state, d_params=state.d_params - d_loss)


def gan_step_good(state, real):
    key, z_key = jax.random.split(state.key)
    z = jax.random.normal(z_key, real.shape)
    fake = z * state.g_params
    d_loss = jnp.mean(fake - real)
    return replace(state, d_params=state.d_params - d_loss, key=key)


def sample_latent(key, shape):
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape)


def caller_keeps_old_key(key):
    _, z1 = sample_latent(key, (3,))
    _, z2 = sample_latent(key, (3,))
    return z1, z2


def caller_threads_key(key):
    key, z1 = sample_latent(key, (3,))
    key, z2 = sample_latent(key, (3,))
    return z1, z2
