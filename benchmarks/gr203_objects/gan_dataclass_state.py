# origin: written for this benchmark in the style of GAN training steps with a
#   frozen dataclass state (flax.struct / dataclasses)
# licence: Apache-2.0, the guardrails authors
# case gan_step: reuse - `state.key` is split for the latent noise, and the
#   returned state (`dataclasses.replace` without `key=`) keeps the old key.
# case gan_step_returns_self: reuse - the noise is drawn from `state.key`
#   directly and the same state object goes back to the loop.
# case gan_step_fixed: clean - the new key goes into the returned state.
# oracle: excerpt:run(gan_step) rejects
#   excerpt:run(gan_step_returns_self) rejects
#   excerpt:run(gan_step_fixed) passes
import dataclasses
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class GANState:
    gen_params: Any
    disc_params: Any
    key: jax.Array
    step: int = 0


def generator(params, z):
    return jnp.tanh(z @ params)


def gan_step(state):
    key, z_key = jax.random.split(state.key)  # gr203: reuse
    z = jax.random.normal(z_key, (4, 3))
    fake = generator(state.gen_params, z)
    gen_params = state.gen_params - 0.01 * jnp.mean(fake)
    return dataclasses.replace(state, gen_params=gen_params, step=state.step + 1)


def gan_step_returns_self(state):
    z = jax.random.normal(state.key, (4, 3))  # gr203: reuse
    fake = generator(state.gen_params, z)
    state.gen_params.block_until_ready()
    return state, jnp.mean(fake)


def gan_step_fixed(state):
    key, z_key = jax.random.split(state.key)
    z = jax.random.normal(z_key, (4, 3))
    fake = generator(state.gen_params, z)
    gen_params = state.gen_params - 0.01 * jnp.mean(fake)
    return dataclasses.replace(state, gen_params=gen_params, key=key)


def run(step):
    state = GANState(jnp.ones((3, 3)), jnp.ones((3,)), jax.random.key(0))
    for _ in range(3):
        out = step(state)
        state = out[0] if isinstance(out, tuple) else out
    return state
