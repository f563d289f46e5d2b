# origin: written for the benchmark in the style of PureJaxRL / gymnax rollouts
# licence: Apache-2.0 (this repository)
# case rollout_shared_step_key: reuse - `step_keys[t]` draws the action and then
#   steps the environment's noise in the same round.
# case rollout_lookahead: reuse - round t draws from `keys[t + 1]`, round t + 1
#   from `keys[t]`: the same key, one round apart.
# case rollout_split_per_step: clean - each step key is split in two.
# oracle: excerpt:rollout_shared_step_key(jax.random.key(0),4) rejects
#   excerpt:rollout_lookahead(jax.random.key(0),4) rejects
#   excerpt:rollout_split_per_step(jax.random.key(0),4) passes
import jax
import jax.numpy as jnp


def policy(obs, key):
    logits = obs * 2.0
    return jax.random.categorical(key, logits)


def env_step(state, action, key):
    noise = 0.1 * jax.random.normal(key, state.shape)
    return state + action + noise


def rollout_shared_step_key(key, n_steps):
    step_keys = jax.random.split(key, n_steps)
    state = jnp.zeros((3,))
    actions = []
    for t in range(n_steps):
        action = policy(state, step_keys[t])
        state = env_step(state, action, step_keys[t])  # gr203: reuse
        actions.append(action)
    return state, actions


def rollout_lookahead(key, n_steps):
    keys = jax.random.split(key, n_steps + 1)
    state = jnp.zeros((3,))
    for t in range(n_steps):
        action = policy(state, keys[t])  # gr203: reuse
        state = env_step(state, action, keys[t + 1])
    return state


def rollout_split_per_step(key, n_steps):
    step_keys = jax.random.split(key, n_steps)
    state = jnp.zeros((3,))
    for t in range(n_steps):
        act_key, env_key = jax.random.split(step_keys[t])
        action = policy(state, act_key)
        state = env_step(state, action, env_key)
    return state
