"""PPO-style rollout and update helpers (plain JAX)."""
import jax
import jax.numpy as jnp


def policy_sample(params, obs, key):
    logits = obs @ params["w"]
    return jax.random.categorical(key, logits)


def env_step(state, action, key):
    noise = jax.random.normal(key, state.shape) * 0.01
    return state + action[:, None] * 0.1 + noise


def rollout_good(params, obs, key, num_steps=4):
    traj = []
    for _ in range(num_steps):
        key, act_key, env_key = jax.random.split(key, 3)
        action = policy_sample(params, obs, act_key)
        obs = env_step(obs, action, env_key)
        traj.append(obs)
    return jnp.stack(traj)


def rollout_reuse_carry(params, obs, key, num_steps=4):
    def body(carry, _):
        obs, key = carry
        act_key, env_key = jax.random.split(key)
        action = policy_sample(params, obs, act_key)
        obs = env_step(obs, action, env_key)
        return (obs, key), obs

    (_, _), traj = jax.lax.scan(body, (obs, key), None, length=num_steps)
    return traj


def rollout_good_carry(params, obs, key, num_steps=4):
    def body(carry, _):
        obs, key = carry
        key, act_key, env_key = jax.random.split(key, 3)
        action = policy_sample(params, obs, act_key)
        obs = env_step(obs, action, env_key)
        return (obs, key), obs

    (_, _), traj = jax.lax.scan(body, (obs, key), None, length=num_steps)
    return traj


def minibatch_perms_reuse(key, n, epochs=3):
    perms = []
    for _ in range(epochs):
        perms.append(jax.random.permutation(key, n))
    return perms


def minibatch_perms_good(key, n, epochs=3):
    perms = []
    for epoch in range(epochs):
        perms.append(jax.random.permutation(jax.random.fold_in(key, epoch), n))
    return perms


def exploration_noise_reuse(key, actions):
    eps = jax.random.uniform(key, actions.shape[:1])
    random_actions = jax.random.randint(key, actions.shape, 0, 4)
    return jnp.where(eps[:, None] < 0.1, random_actions, actions)
