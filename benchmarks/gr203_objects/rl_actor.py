# origin: written for this benchmark in the style of RL agents (epsilon-greedy
#   actors keeping their exploration key)
# licence: Apache-2.0, the guardrails authors
# case GreedyActor.act: reuse - `self.key` decides exploration and picks the
#   random action (two draws from one key), and is never written back, so every
#   step explores the same way.
# case SplitActor.act: clean - three keys from one split, the first written back.
# oracle: excerpt:steps(GreedyActor(jax.random.key(0),0.5)) rejects
#   excerpt:steps(SplitActor(jax.random.key(0),0.5)) passes
import jax
import jax.numpy as jnp


class GreedyActor:
    def __init__(self, key, epsilon):
        self.key = key
        self.epsilon = epsilon

    def act(self, q_values):
        explore = jax.random.uniform(self.key) < self.epsilon  # gr203: reuse
        random_action = jax.random.randint(self.key, (), 0, q_values.shape[-1])  # gr203: reuse
        return jnp.where(explore, random_action, jnp.argmax(q_values))


class SplitActor:
    def __init__(self, key, epsilon):
        self.key = key
        self.epsilon = epsilon

    def act(self, q_values):
        self.key, explore_key, action_key = jax.random.split(self.key, 3)
        explore = jax.random.uniform(explore_key) < self.epsilon
        random_action = jax.random.randint(action_key, (), 0, q_values.shape[-1])
        return jnp.where(explore, random_action, jnp.argmax(q_values))


def steps(actor):
    q = jnp.array([0.1, 0.5, 0.2])
    return [actor.act(q) for _ in range(3)]
