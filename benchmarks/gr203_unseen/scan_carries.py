# origin: written for the benchmark in the style of PureJaxRL's `_env_step`
#   and RNN samplers that carry their key through lax.scan / fori_loop
# licence: Apache-2.0 (this repository)
# case env_scan_returns_old_key: reuse - the step splits `rng` but hands the
#   consumed `rng` back in the carry: the next step splits it again.
# case env_scan_returns_new_key: clean - it hands back the new `rng`.
# case noise_fori_carry_unsplit: reuse - the fori body draws from the carried
#   key and returns it unchanged.
# case noise_fori_carry_split: clean - it splits and carries the new key.
# case gibbs_while_carry: reuse - the while body returns the key it drew from.
# oracle: excerpt:env_scan_returns_old_key(jax.random.key(0)) rejects
#   excerpt:env_scan_returns_new_key(jax.random.key(0)) passes
#   excerpt:noise_fori_carry_unsplit(jax.random.key(0)) rejects
#   excerpt:noise_fori_carry_split(jax.random.key(0)) passes
#   excerpt:gibbs_while_carry(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp
from jax import lax


def env_scan_returns_old_key(rng, n_steps=4):
    def _env_step(runner_state, unused):
        obs, rng = runner_state
        new_rng, action_rng = jax.random.split(rng)  # gr203: reuse
        action = jax.random.categorical(action_rng, obs)
        obs = obs + action
        return (obs, rng), action

    runner_state = (jnp.zeros((3,)), rng)
    return lax.scan(_env_step, runner_state, None, n_steps)


def env_scan_returns_new_key(rng, n_steps=4):
    def _env_step(runner_state, unused):
        obs, rng = runner_state
        rng, action_rng = jax.random.split(rng)
        action = jax.random.categorical(action_rng, obs)
        return (obs + action, rng), action

    return lax.scan(_env_step, (jnp.zeros((3,)), rng), None, n_steps)


def noise_fori_carry_unsplit(key):
    def body(i, carry):
        x, key = carry
        x = x + jax.random.normal(key, x.shape)  # gr203: reuse
        return x, key

    return lax.fori_loop(0, 3, body, (jnp.zeros((2,)), key))


def noise_fori_carry_split(key):
    def body(i, carry):
        x, key = carry
        key, sub = jax.random.split(key)
        return x + jax.random.normal(sub, x.shape), key

    return lax.fori_loop(0, 3, body, (jnp.zeros((2,)), key))


def gibbs_while_carry(key):
    def cond(state):
        return state[0] < 3

    def body(state):
        i, x, key = state
        x = jax.random.bernoulli(key, 0.5, x.shape).astype(jnp.float32)  # gr203: reuse
        return i + 1, x, key

    return lax.while_loop(cond, body, (0, jnp.zeros((2,)), key))
