# origin: written after the implementation (second round), as a held-out
#   check, in the style of flax.struct training states
# licence: Apache-2.0, the guardrails authors
# case sgld_step: reuse - the Langevin noise is drawn from a split of
#   `state.prng`, and `state.replace(...)` keeps the old `prng`.
# case sgld_step_fixed: clean - the new key goes into the returned state.
# case evaluate: reuse - `eval_rng` (a parameter) goes to both evaluation draws.
# oracle: excerpt:run(sgld_step) rejects
#   excerpt:run(sgld_step_fixed) passes
#   excerpt:evaluate(jnp.ones(3),jax.random.key(0)) rejects
import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class SGLDState:
    params: jax.Array
    prng: jax.Array
    step: int


def sgld_step(state, grads, lr=0.01):
    noise_key, _ = jax.random.split(state.prng)  # gr203: reuse
    noise = jax.random.normal(noise_key, state.params.shape)
    params = state.params - lr * grads + jnp.sqrt(2 * lr) * noise
    return state.replace(params=params, step=state.step + 1)


def sgld_step_fixed(state, grads, lr=0.01):
    prng, noise_key = jax.random.split(state.prng)
    noise = jax.random.normal(noise_key, state.params.shape)
    params = state.params - lr * grads + jnp.sqrt(2 * lr) * noise
    return state.replace(params=params, prng=prng, step=state.step + 1)


def evaluate(params, eval_rng):
    noisy = params + jax.random.normal(eval_rng, params.shape)
    mask = jax.random.bernoulli(eval_rng, 0.5, params.shape)  # gr203: reuse
    return jnp.sum(noisy * mask)


def run(step):
    state = SGLDState(jnp.ones(3), jax.random.key(0), 0)
    for _ in range(3):
        state = step(state, jnp.ones(3))
    return state
