# origin: written for this benchmark in the style of RL rollouts and samplers
#   whose helpers hand back `(new_key, value)`
# licence: Apache-2.0, the guardrails authors
# case rollout: reuse - `sample_action` splits `key` and hands back the new one,
#   but the caller drops it and draws the observation noise from the old key.
# case rollout_fixed: clean - the caller keeps the key it is given back.
# case evaluate: reuse - the `finally` block splits the key the body drew from.
# case evaluate_fixed: clean - the body draws from a subkey; `finally` splits the
#   parent once.
# oracle: excerpt:rollout(jax.random.key(0)) rejects
#   excerpt:rollout_fixed(jax.random.key(0)) passes
#   excerpt:evaluate(jax.random.key(0)) rejects
#   excerpt:evaluate_fixed(jax.random.key(0)) passes
import jax
import jax.numpy as jnp

LOG = []


def sample_action(key, logits):
    key, sub = jax.random.split(key)
    return key, jax.random.categorical(sub, logits)


def rollout(key):
    logits = jnp.zeros(4)
    _, action = sample_action(key, logits)
    noise = jax.random.normal(key, (3,))  # gr203: reuse
    return action, noise


def rollout_fixed(key):
    logits = jnp.zeros(4)
    key, action = sample_action(key, logits)
    noise = jax.random.normal(key, (3,))
    return action, noise


def evaluate(key):
    try:
        score = jax.random.uniform(key)
        return score
    finally:
        key, log_key = jax.random.split(key)  # gr203: reuse
        LOG.append(jax.random.bits(log_key))


def evaluate_fixed(key):
    key, body_key = jax.random.split(key)
    try:
        return jax.random.uniform(body_key)
    finally:
        LOG.append(jax.random.bits(key))
